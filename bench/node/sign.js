// Nanoseconds per signature with the official gateway code
// (@alicloud/gateway-sls), over the same CreateTicket request as bench/sign.c.
// Prints "gateway_v1 <ns>" and "gateway_v4 <ns>", best of 5 runs.
'use strict';
const Gateway = require('@alicloud/gateway-sls').default;

const gateway = new Gateway();
const query = { accessTokenExpirationTime: '600', expirationTime: '86400' };
const common = {
  accept: 'application/json', host: 'cn-shanghai.log.aliyuncs.com',
  'user-agent': 'lua-sls/0.1.0', 'x-log-apiversion': '0.6.0', 'x-log-bodyrawsize': '0',
};
const v1Headers = { ...common, 'x-log-signaturemethod': 'hmac-sha256',
                    date: 'Tue, 24 Nov 2026 21:00:00 GMT' };
const v4Headers = { ...common, 'x-log-date': '20261124T210000Z',
                    'x-log-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };
const id = 'LTAI5tEmulatorKeyId';
const secret = 'EmulatorSecret0123456789abcdef';

async function best(label, n, fn) {
  let min = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    const per = Number(process.hrtime.bigint() - t0) / n;
    if (per < min) min = per;
  }
  console.log(`${label} ${Math.round(min)}`);
}

(async () => {
  await best('gateway_v1', 50000, () =>
    gateway.getAuthorization('/tickets', 'POST', query, v1Headers, id, secret));
  const context = { request: { method: 'POST', pathname: '/tickets', query, headers: v4Headers },
                    configuration: { regionId: 'cn-shanghai', endpoint: v4Headers.host } };
  await best('gateway_v4', 50000, () =>
    gateway.getAuthorizationV4(context, v4Headers['x-log-date'],
                               v4Headers['x-log-content-sha256'], id, secret));
})();
