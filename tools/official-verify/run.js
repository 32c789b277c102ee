// Runs one official @alicloud/credentials provider for spec/14, with its
// requests sent to a local server, and prints what it answered as JSON.
//   node run.js SCENARIO.json
// with { "provider": "...", "env": {...}, "redirect": "http://127.0.0.1:PORT",
// "args": {...}, "freeze": { "nonces": [...], "timestamp": "..." } }, or
// { "provider": "ini", "args": { "text": "..." } } for the INI parser alone.
// env replaces the whole environment (HOME included: the providers read
// ~/.aliyun and ~/.alibabacloud through it). Every request goes to
// `redirect` with its path and query kept; the URL the provider meant is
// reported in `urls`. freeze fixes AssumeRole's SignatureNonce and
// Timestamp so that both sides sign the same parameters. Loopback only.
'use strict';
const scenario = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));

for (const k of Object.keys(process.env)) delete process.env[k];
Object.assign(process.env, scenario.env || {});

const redirect = new URL(scenario.redirect || 'http://127.0.0.1:1');
if (!['127.0.0.1', 'localhost'].includes(redirect.hostname)) throw new Error('loopback only');

const urls = [];
const httpx = require('httpx');
const request = httpx.request;
httpx.request = function (url, opts) {
  urls.push(url);
  const u = new URL(url);
  return request.call(this, redirect.origin + u.pathname + u.search, opts);
};

if (scenario.freeze) {
  const nonces = [].concat(scenario.freeze.nonces || []);
  let n = 0;
  require('kitx').makeNonce = () => nonces[Math.min(n++, nonces.length - 1)];
  require('@alicloud/credentials/dist/src/util/utils').timestamp = () => scenario.freeze.timestamp;
}

const P = (name) => require('@alicloud/credentials/dist/src/providers/' + name).default;
const a = scenario.args || {};

function source() {
  const s = a.source;
  if (s.security_token) {
    return P('static_sts').builder().withAccessKeyId(s.access_key_id)
      .withAccessKeySecret(s.access_key_secret).withSecurityToken(s.security_token).build();
  }
  return P('static_ak').builder().withAccessKeyId(s.access_key_id)
    .withAccessKeySecret(s.access_key_secret).build();
}

const builders = {
  default: () => P('default').builder().build(),
  env: () => P('env').builder().build(),
  oidc: () => P('oidc_role_arn').builder().build(),
  cli_profile: () => P('cli_profile').builder().withProfileName(a.profile).build(),
  profile: () => P('profile').builder().withProfileName(a.profile).build(),
  ecs_ram_role: () => P('ecs_ram_role').builder().withRoleName(process.env.ALIBABA_CLOUD_ECS_METADATA).build(),
  uri: () => P('uri').builder().withCredentialsURI(process.env.ALIBABA_CLOUD_CREDENTIALS_URI).build(),
  ram_role_arn: () => P('ram_role_arn').builder().withCredentialsProvider(source())
    .withRoleArn(a.role_arn).withRoleSessionName(a.role_session_name).withPolicy(a.policy)
    .withExternalId(a.external_id).withDurationSeconds(a.duration).withStsRegionId(a.sts_region)
    .withEnableVpc(a.enable_vpc).build(),
};

(async () => {
  if (scenario.provider === 'ini') {   // the INI parser the profile provider uses (npm ini 1.3.x)
    process.stdout.write(JSON.stringify({ ini: require('ini').parse(a.text) }));
    process.exit(0);
  }
  const out = { urls };
  try {
    const c = await builders[scenario.provider]().getCredentials();
    out.ok = true;
    out.credentials = { access_key_id: c.accessKeyId, access_key_secret: c.accessKeySecret,
                        security_token: c.securityToken || null };
  } catch (e) {
    out.ok = false;
    out.error = String(e && e.message);
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
})();
