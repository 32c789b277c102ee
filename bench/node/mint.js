// Sequential CreateTicket calls per second with the official Node SDK
// (@alicloud/sls20201230) against a local server, best of 3 runs.
//   node mint.js HOST:PORT COUNT   ->   "node_sdk <mints per second>"
'use strict';
const Sls = require('@alicloud/sls20201230');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const [endpoint, count = '2000'] = process.argv.slice(2);
const client = new Sls.default(new $OpenApiUtil.Config({
  accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
  accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  endpoint, protocol: 'http', regionId: 'cn-shanghai',
}));
const request = new Sls.CreateTicketRequest({ expirationTime: 86400, accessTokenExpirationTime: 600 });

(async () => {
  const first = await client.createTicket(request);      // warm up, and check
  if (!first.body || !first.body.ticket) throw new Error('no ticket');
  const n = Number(count);
  let best = 0;
  for (let run = 0; run < 3; run++) {                      // the best of 3
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await client.createTicket(request);
    best = Math.max(best, n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  console.log(`node_sdk ${Math.round(best)}`);
})().catch((err) => { console.error(err.message); process.exit(1); });
