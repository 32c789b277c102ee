-- sls.credentials against the official @alicloud/credentials 2.4.7
-- (tools/official-verify, installed from npm by tools/test.sh). Each case
-- runs one of our providers and the official one on the same inputs (env,
-- INI file, config.json, AssumeRole arguments), with every request sent to
-- the emulator, which records it (and checks AssumeRole signatures).
-- Both must answer alike (the same keys, or both no keys), mean the same
-- hosts, and send the same requests: method, path, query, form body and
-- headers, field for field. AssumeRole's SignatureNonce and Timestamp are
-- ours, handed to the official code, so both sign the same parameters.
-- Where we differ on purpose, DIFFERENT says how and why.
local H = require "spec.helpers"
local cjson = require "cjson.safe"
local sls = require "sls"
local creds = require "sls.credentials"

local VERIFY = H.root .. "/tools/official-verify"

-- Headers that differ, and why. Every other header must be the same.
local HEADERS_DIFFERENT = {
  host = "both go to the emulator's loopback port; the host each meant is compared through the URLs",
  connection = "transport: Node asks for keep-alive, libcurl keeps connections without saying so",
  ["content-length"] = "transport; the bodies themselves are compared field for field",
  accept = "src/http.c (sls._fetch) sends Accept: application/json on every request; the answers are JSON",
  ["x-acs-credentials-provider"] = "telemetry the official AssumeRole adds (its own provider class name, "
    .. "e.g. static_ak); not signed, not an API parameter",
}
-- On the IMDS token PUT, libcurl adds a form content type to the empty body
-- (src/http.c sets POSTFIELDS for every PUT): reported to the lead.
local PUT_CONTENT_TYPE = "content-type"

-- Deliberate differences in behaviour, each checked by a case below.
local DIFFERENT = {
  ecs_token = "the official ECS provider fetches a second IMDSv2 token before the credentials "
    .. "request when it has just discovered the role; we use the one token (valid 6 hours) for both",
  profile_external_id = "we send external_id from INI and CLI profiles as ExternalId (SPEC 5 asks for it); "
    .. "the official profile providers ignore the field",
  bad_env_value = "we refuse header-unsafe values (CR/LF, spaces, control characters) from the "
    .. "environment; the official library sends them (SPEC 5, issue 11)",
  expiration = "we take an Expiration with an offset, without a zone, or none, as unknown (renewed "
    .. "within the hour by the client); the official session code refuses the answer",
  dotted_section = "the npm ini parser nests [a.b] under [a], so the official provider cannot find "
    .. "profile a.b; we keep the name (as the Python and Go libraries do)",
}

-- Paths are known now (cases name them); the files are written in setup.
local emu
local dir = H.tmpdir()
local home, cli_home = dir .. "/home", dir .. "/cli"
local ini_file, oidc_token = home .. "/.alibabacloud/credentials", dir .. "/oidc-token"

local write = H.write_file

-- The emulator as a case wants it, issuing the same keys on each run.
local function fresh(case)
  emu:reset()
  emu:config(H.merge({ issued = 0 }, case.config))
end

-- What a provider answered and sent: { ok, credentials, error, urls, wire }.
local function ours(case, now)
  fresh(case)
  local urls = {}
  local function fetch(req)
    urls[#urls + 1] = req.url
    local copy = H.merge(req)
    copy.url = emu.url .. req.url:match("^https?://[^/]+(.*)$")
    return sls._fetch(copy)
  end
  local got, err = case.ours(case.env):get(now, fetch)
  return { ok = got ~= nil, credentials = got, error = err, urls = urls,
           wire = emu:stats().cred.wire }
end

local function official(case, freeze)
  fresh(case)
  local file = write(dir .. "/scenario.json", cjson.encode {
    provider = case.official, env = case.env, args = case.args or {}, redirect = emu.url,
    freeze = freeze })
  local out, rc = H.run(("env -u LD_PRELOAD node %s/run.js %s 2>&1"):format(VERIFY, file))
  local r = cjson.decode(out)
  assert(rc == 0 and r, "the official provider did not run: " .. out:sub(1, 300))
  r.wire = emu:stats().cred.wire
  return r
end

local function no_nulls(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do
    if v ~= cjson.null then out[k] = no_nulls(v) end
  end
  return out
end

local function bare(url) return (url:gsub("%?.*$", "")) end

-- Drops what the official ECS provider sends twice (DIFFERENT.ecs_token):
-- a token PUT after the first.
local function one_token(wire)
  local out, seen = {}, false
  for _, w in ipairs(wire) do
    if not (w.method == "PUT" and seen) then out[#out + 1] = w end
    seen = seen or w.method == "PUT"
  end
  return out
end

local function headers_of(w)
  local h = {}
  for k, v in pairs(w.headers) do
    if not HEADERS_DIFFERENT[k] and not (w.method == "PUT" and k == PUT_CONTENT_TYPE) then
      -- IMDS tokens are fresh for each request: that one was sent is what counts.
      h[k] = k == "x-aliyun-ecs-metadata-token" and "(a token)" or v
    end
  end
  return h
end

-- Runs a case on both sides and compares what they answered and sent.
local function check(case)
  local now = 1800000000
  local a = ours(case, now)
  local freeze = { timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ", now), nonces = {} }
  for _, w in ipairs(a.wire) do
    freeze.nonces[#freeze.nonces + 1] = w.query.SignatureNonce
  end
  local b = official(case, freeze)
  local label = case[1] .. ": ours " .. tostring(a.error) .. " / official " .. tostring(b.error)
  assert.equal(case.ok ~= false, a.ok, label)
  assert.equal(a.ok, b.ok, label)
  if a.ok then
    assert.same({ b.credentials.access_key_id, b.credentials.access_key_secret,
                  b.credentials.security_token ~= cjson.null and b.credentials.security_token or nil },
                { a.credentials.access_key_id, a.credentials.access_key_secret,
                  a.credentials.security_token }, case[1])
  end
  local bw = case.ecs and one_token(b.wire) or b.wire
  local burls = {}
  for i, u in ipairs(b.urls) do
    if not (case.ecs and u:match("/latest/api/token$") and i > 1) then burls[#burls + 1] = bare(u) end
  end
  local aurls = {}
  for i, u in ipairs(a.urls) do aurls[i] = bare(u) end
  assert.same(burls, aurls, case[1])
  assert.equal(#bw, #a.wire, case[1])
  for i = 1, #bw do
    local x, y = a.wire[i], bw[i]
    assert.same({ y.method, y.path, y.query, no_nulls(y.form) },
                { x.method, x.path, x.query, no_nulls(x.form) }, case[1] .. " request " .. i)
    assert.same(headers_of(y), headers_of(x), case[1] .. " request " .. i .. " headers")
  end
  return a, b
end

describe("against the official @alicloud/credentials", function()
  setup(function()
    local f = io.open(VERIFY .. "/node_modules/@alicloud/credentials/package.json")
    assert(f, "tools/official-verify has no node_modules: run tools/test.sh, or npm install "
      .. "--no-package-lock there")
    assert.equal("2.4.7", cjson.decode(f:read("*a")).version)
    f:close()
    emu = H.start_emulator()
    os.execute("mkdir -p " .. home .. "/.aliyun " .. home .. "/.alibabacloud " .. cli_home .. "/.aliyun")
    write(oidc_token, "eyJ.official.token\n")
    local profiles = {
      { name = "ak", mode = "AK", access_key_id = H.KEY.access_key_id,
        access_key_secret = H.KEY.access_key_secret, region_id = "cn-hangzhou", expired_seconds = 0 },
      { name = "sts", mode = "StsToken", access_key_id = H.STS.access_key_id,
        access_key_secret = H.STS.access_key_secret, sts_token = H.STS.security_token },
      { name = "role", mode = "RamRoleArn", access_key_id = H.KEY.access_key_id,
        access_key_secret = H.KEY.access_key_secret, ram_role_arn = "acs:ram::1:role/cli",
        ram_session_name = "cli-session", expired_seconds = 1800, sts_region = "cn-hangzhou",
        enable_vpc = true },
      { name = "role_plain", mode = "RamRoleArn", access_key_id = H.KEY.access_key_id,
        access_key_secret = H.KEY.access_key_secret, ram_role_arn = "acs:ram::1:role/plain",
        ram_session_name = "plain" },
      { name = "role_ext", mode = "RamRoleArn", access_key_id = H.KEY.access_key_id,
        access_key_secret = H.KEY.access_key_secret, ram_role_arn = "acs:ram::1:role/ext",
        ram_session_name = "ext", external_id = "ext-id" },
      { name = "chained", mode = "ChainableRamRoleArn", source_profile = "role_plain",
        ram_role_arn = "acs:ram::1:role/second", ram_session_name = "second" },
      { name = "ecs", mode = "EcsRamRole", ram_role_name = "EcsRoleForSls" },
      { name = "oidc", mode = "OIDC", ram_role_arn = "acs:ram::1:role/oidc",
        oidc_provider_arn = "acs:ram::1:oidc-provider/cli", oidc_token_file = oidc_token,
        ram_session_name = "oidc-session", sts_region = "cn-shanghai" },
      { name = "bogus", mode = "Bogus" },
    }
    write(home .. "/.aliyun/config.json", cjson.encode { current = "ak", profiles = profiles })
    write(cli_home .. "/.aliyun/config.json", cjson.encode { current = "sts", profiles = profiles })
    local function role_section(name, extra)
      return table.concat({ "[" .. name .. "]", "type = ram_role_arn",
        "access_key_id = " .. H.KEY.access_key_id, "access_key_secret = " .. H.KEY.access_key_secret,
        "role_arn = acs:ram::1:role/ini", "role_session_name = ini-session", extra }, "\n")
    end
    write(ini_file, table.concat({
      "# lua-sls cross-check",
      "[default]",
      "type = access_key            # inline",
      "access_key_id = " .. H.STS.access_key_id,
      "access_key_secret = \"" .. H.STS.access_key_secret .. "\"",
      "[quoted]",
      "type = 'access_key'",
      "access_key_id = " .. H.KEY.access_key_id .. ";comment",
      "access_key_secret = " .. H.KEY.access_key_secret .. "#comment",
      "[notype]",
      "access_key_id = " .. H.KEY.access_key_id,
      "access_key_secret = " .. H.KEY.access_key_secret,
      role_section("role", "policy = \"{\\\"Version\\\": \\\"1\\\", \\\"Statement\\\": []}\""),
      role_section("role_ext", "external_id = ext-id"),
      "[ecs]",
      "type = ecs_ram_role",
      "role_name = EcsRoleForSls",
      "[magic]",
      "type = magic",
      "[dotted.name]",
      "type = access_key",
      "access_key_id = " .. H.KEY.access_key_id,
      "access_key_secret = " .. H.KEY.access_key_secret,
      "[default]",
      "region = cn-hangzhou",
    }, "\n"))
  end)
  teardown(function()
    if emu then emu:stop() end
    os.execute("rm -rf " .. dir)
  end)

  describe("the INI parser", function()
    for _, case in ipairs(require "spec.ini_cases") do
      it("reads like npm ini: " .. case[1], function()
        local file = write(dir .. "/ini.json", cjson.encode { provider = "ini", args = { text = case[2] } })
        local out = H.run(("env -u LD_PRELOAD node %s/run.js %s"):format(VERIFY, file))
        local theirs = no_nulls(assert(cjson.decode(out)).ini)
        assert.same(theirs, creds._parse_ini(case[2]))
        assert.same(case[3], theirs.s)
      end)
    end

    it("differs on dotted section names: " .. DIFFERENT.dotted_section, function()
      local text = "[a.b]\nk = v"
      local file = write(dir .. "/ini.json", cjson.encode { provider = "ini", args = { text = text } })
      local theirs = cjson.decode((H.run(("env -u LD_PRELOAD node %s/run.js %s"):format(VERIFY, file)))).ini
      assert.same({ a = { b = { k = "v" } } }, theirs)
      assert.same({ ["a.b"] = { k = "v" } }, creds._parse_ini(text))
    end)
  end)

  local cli = function(env) return creds.cli_profile { env = env } end
  local ini = function(env) return creds.profile { env = env } end
  local ecs = function(env) return creds.ecs_ram_role { env = env } end
  local uri = function(env) return creds.uri { env = env } end

  local function assume(args)
    return function(env)
      return creds.assume_role { source = creds.static(args.source), role_arn = args.role_arn,
        role_session_name = args.role_session_name, policy = args.policy,
        external_id = args.external_id, duration = args.duration, env = env }
    end
  end

  for _, case in ipairs {
    -- The aliyun CLI profile.
    { "CLI: the current profile, AK", official = "cli_profile", ours = cli, env = { HOME = home } },
    { "CLI: StsToken by ALIBABA_CLOUD_PROFILE", official = "cli_profile", ours = cli,
      env = { HOME = home, ALIBABA_CLOUD_PROFILE = "sts" } },
    { "CLI: RamRoleArn with sts_region, enable_vpc and expired_seconds", official = "cli_profile",
      ours = cli, env = { HOME = home, ALIBABA_CLOUD_PROFILE = "role" } },
    { "CLI: RamRoleArn with ALIBABA_CLOUD_STS_REGION and ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=TRUE",
      official = "cli_profile", ours = cli, env = { HOME = home, ALIBABA_CLOUD_PROFILE = "role_plain",
        ALIBABA_CLOUD_STS_REGION = "ap-southeast-1", ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED = "TRUE" } },
    { "CLI: ChainableRamRoleArn", official = "cli_profile", ours = cli,
      env = { HOME = home, ALIBABA_CLOUD_PROFILE = "chained" } },
    { "CLI: EcsRamRole", official = "cli_profile", ours = cli, ecs = true,
      env = { HOME = home, ALIBABA_CLOUD_PROFILE = "ecs" } },
    { "CLI: OIDC", official = "cli_profile", ours = cli, env = { HOME = home, ALIBABA_CLOUD_PROFILE = "oidc" } },
    { "CLI: an unsupported mode", official = "cli_profile", ours = cli, ok = false,
      env = { HOME = home, ALIBABA_CLOUD_PROFILE = "bogus" } },
    { "CLI: a missing profile", official = "cli_profile", ours = cli, ok = false,
      env = { HOME = home, ALIBABA_CLOUD_PROFILE = "nope" } },
    { "CLI: ALIBABA_CLOUD_CLI_PROFILE_DISABLED=True", official = "cli_profile", ours = cli, ok = false,
      env = { HOME = home, ALIBABA_CLOUD_CLI_PROFILE_DISABLED = "True" } },
    { "CLI: no config.json", official = "cli_profile", ours = cli, ok = false, env = { HOME = dir } },
    -- The INI file.
    { "INI: [default], quotes and comments", official = "profile", ours = ini,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file } },
    { "INI: quoted type, comments without blanks", official = "profile", ours = ini,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "quoted" } },
    { "INI: type is required", official = "profile", ours = ini, ok = false,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "notype" } },
    { "INI: ram_role_arn with a quoted JSON policy", official = "profile", ours = ini,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "role" } },
    { "INI: ram_role_arn, ~/.alibabacloud/credentials, ALIBABA_CLOUD_STS_REGION", official = "profile",
      ours = ini, env = { HOME = home, ALIBABA_CLOUD_PROFILE = "role", ALIBABA_CLOUD_STS_REGION = "cn-beijing" } },
    { "INI: ecs_ram_role", official = "profile", ours = ini, ecs = true,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "ecs" } },
    { "INI: an unknown type", official = "profile", ours = ini, ok = false,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "magic" } },
    { "INI: a missing section", official = "profile", ours = ini, ok = false,
      env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "nope" } },
    -- STS AssumeRole.
    { "AssumeRole: keys, policy, session name, 900 s", official = "ram_role_arn",
      args = { source = H.KEY, role_arn = "acs:ram::1:role/r", role_session_name = "s-1",
               policy = '{"Statement": [{"Action": "log:CreateTicket"}]}', duration = 900 },
      env = {} },
    { "AssumeRole: an STS source, external_id, ALIBABA_CLOUD_STS_REGION and VPC", official = "ram_role_arn",
      args = { source = H.STS, role_arn = "acs:ram::1:role/r", role_session_name = "s-2",
               external_id = "abc-123" },
      env = { ALIBABA_CLOUD_STS_REGION = "cn-hangzhou", ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED = "true" } },
    { "AssumeRole: the session name from ALIBABA_CLOUD_ROLE_SESSION_NAME", official = "ram_role_arn",
      args = { source = H.KEY, role_arn = "acs:ram::1:role/r" },
      env = { ALIBABA_CLOUD_ROLE_SESSION_NAME = "from-env" } },
    -- OIDC.
    { "OIDC: the token file as read, ALIBABA_CLOUD_ROLE_SESSION_NAME, ALIBABA_CLOUD_STS_REGION",
      official = "oidc", ours = function(env) return creds.oidc { env = env } end,
      env = { ALIBABA_CLOUD_ROLE_ARN = "acs:ram::1:role/k8s", ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "acs:ram::1:oidc-provider/ack",
              ALIBABA_CLOUD_OIDC_TOKEN_FILE = oidc_token, ALIBABA_CLOUD_ROLE_SESSION_NAME = "pod",
              ALIBABA_CLOUD_STS_REGION = "cn-shanghai" } },
    -- The ECS RAM role.
    { "ECS: IMDSv2, role discovered", official = "ecs_ram_role", ours = ecs, ecs = true, env = {} },
    { "ECS: role from ALIBABA_CLOUD_ECS_METADATA", official = "ecs_ram_role", ours = ecs, ecs = true,
      env = { ALIBABA_CLOUD_ECS_METADATA = "EcsRoleForSls" } },
    { "ECS: IMDSv1 when there is no token endpoint", official = "ecs_ram_role", ours = ecs, ecs = true,
      env = {}, config = { imds_v2 = false } },
    { "ECS: a request refused with a token is sent again without", official = "ecs_ram_role", ours = ecs,
      ecs = true, env = {}, config = { imds_reject_token = true } },
    { "ECS: ... but not with ALIBABA_CLOUD_IMDSV1_DISABLED=TRUE", official = "ecs_ram_role", ours = ecs,
      ecs = true, ok = false, env = { ALIBABA_CLOUD_IMDSV1_DISABLED = "TRUE" },
      config = { imds_reject_token = true } },
    { "ECS: Code is not Success", official = "ecs_ram_role", ours = ecs, ecs = true, ok = false,
      env = { ALIBABA_CLOUD_ECS_METADATA = "EcsRoleForSls" }, config = { cred_answer = { Code = "Failure" } } },
    { "ECS: no SecurityToken", official = "ecs_ram_role", ours = ecs, ecs = true, ok = false,
      env = { ALIBABA_CLOUD_ECS_METADATA = "EcsRoleForSls" }, config = { cred_answer = { SecurityToken = cjson.null } } },
    -- The credentials URI.
    { "URI", official = "uri", ours = uri, env = { ALIBABA_CLOUD_CREDENTIALS_URI = "URI" } },
    { "URI: Code is not looked at", official = "uri", ours = uri, env = { ALIBABA_CLOUD_CREDENTIALS_URI = "URI" },
      config = { cred_answer = { Code = "Failure" } } },
    { "URI: no SecurityToken", official = "uri", ours = uri, ok = false,
      env = { ALIBABA_CLOUD_CREDENTIALS_URI = "URI" }, config = { cred_answer = { SecurityToken = cjson.null } } },
    -- The environment.
    { "environment", official = "env", ours = function(env) return creds.environment { env = env } end,
      env = { ALIBABA_CLOUD_ACCESS_KEY_ID = H.STS.access_key_id, ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.STS.access_key_secret,
              ALIBABA_CLOUD_SECURITY_TOKEN = H.STS.security_token } },
    { "environment: the secret missing", official = "env", ok = false,
      ours = function(env) return creds.environment { env = env } end,
      env = { ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id } },
    -- The default chain, in the official order.
    { "chain: only ~/.aliyun/config.json", official = "default", ours = function(env) return creds.chain { env = env } end,
      env = { HOME = cli_home, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" } },
    { "chain: the CLI profile before the INI file", official = "default",
      ours = function(env) return creds.chain { env = env } end,
      env = { HOME = home, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" } },
    { "chain: only the INI file", official = "default", ours = function(env) return creds.chain { env = env } end,
      env = { HOME = dir, ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" } },
    { "chain: the environment first", official = "default", ours = function(env) return creds.chain { env = env } end,
      env = { HOME = home, ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
              ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret } },
    { "chain: OIDC before the CLI profile", official = "default", ours = function(env) return creds.chain { env = env } end,
      env = { HOME = home, ALIBABA_CLOUD_ROLE_ARN = "acs:ram::1:role/k8s", ALIBABA_CLOUD_ROLE_SESSION_NAME = "pod",
              ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "acs:ram::1:oidc-provider/ack", ALIBABA_CLOUD_OIDC_TOKEN_FILE = oidc_token } },
    { "chain: the ECS RAM role before the URI", official = "default", ours = function(env) return creds.chain { env = env } end,
      ecs = true, env = { HOME = dir, ALIBABA_CLOUD_CREDENTIALS_URI = "URI" } },
    { "chain: the URI last", official = "default", ours = function(env) return creds.chain { env = env } end,
      env = { HOME = dir, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "TRUE", ALIBABA_CLOUD_CREDENTIALS_URI = "URI" } },
  } do
    it("behaves and sends like it: " .. case[1], function()
      case.ours = case.ours or assume(case.args)
      -- Paths and URLs known only now.
      for k, v in pairs(case.env) do
        if v == "URI" then case.env[k] = emu.url .. "/credentials-uri" end
      end
      check(case)
    end)
  end

  describe("differs on purpose", function()
    it(DIFFERENT.ecs_token, function()
      local a, b = check { "ECS", official = "ecs_ram_role", ours = ecs, ecs = true, env = {} }
      assert.equal(3, #a.wire)
      assert.same({ "PUT", "GET", "PUT", "GET" }, { b.wire[1].method, b.wire[2].method,
                                                   b.wire[3].method, b.wire[4].method })
    end)

    it(DIFFERENT.profile_external_id, function()
      for _, case in ipairs {
        { "INI", official = "profile", ours = ini,
          env = { ALIBABA_CLOUD_CREDENTIALS_FILE = ini_file, ALIBABA_CLOUD_PROFILE = "role_ext" } },
        { "CLI", official = "cli_profile", ours = cli, env = { HOME = home, ALIBABA_CLOUD_PROFILE = "role_ext" } },
      } do
        local a = ours(case, os.time())
        local b = official(case, nil)
        assert.is_true(a.ok and b.ok)
        assert.equal("ext-id", a.wire[1].form.ExternalId)
        assert.is_nil(b.wire[1].form.ExternalId)
      end
    end)

    it(DIFFERENT.bad_env_value, function()
      local case = { "env", official = "env", ours = function(env) return creds.environment { env = env } end,
        env = { ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id, ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret,
                ALIBABA_CLOUD_SECURITY_TOKEN = "tok\r\nX-Injected: yes" } }
      local a, b = ours(case, os.time()), official(case)
      assert.is_true(b.ok)
      assert.is_false(a.ok)
      assert.equal("ALIBABA_CLOUD_SECURITY_TOKEN must be printable ASCII without spaces", a.error)
    end)

    it(DIFFERENT.expiration, function()
      for _, e in ipairs { "2030-01-01T08:00:00+08:00", "2030-01-01T00:00:00", cjson.null } do
        local case = { "URI", official = "uri", ours = uri, config = { cred_answer = { Expiration = e } },
                       env = { ALIBABA_CLOUD_CREDENTIALS_URI = emu.url .. "/credentials-uri" } }
        local a, b = ours(case, os.time()), official(case)
        assert.is_true(a.ok)
        assert.equal(e == "2030-01-01T08:00:00+08:00" and 1893456000 or nil, a.credentials.expiration)
        assert.is_false(b.ok)
      end
    end)
  end)
end)
