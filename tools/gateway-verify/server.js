// Verifies lua-sls requests with the official SLS gateway code: for each
// request it recomputes the authorization with @alicloud/gateway-sls from the
// headers and query received, and answers like SLS. Loopback only.
//   node server.js PORT_FILE
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const Gateway = require('@alicloud/gateway-sls').default;

const KEYS = {
  LTAI5tEmulatorKeyId: 'EmulatorSecret0123456789abcdef',
  'STS.EmulatorTokenId': 'EmulatorStsSecret',
};
const gateway = new Gateway();
let verified = 0;

function parseQuery(raw) {
  const query = {};
  for (const part of (raw || '').split('&').filter(Boolean)) {
    const [k, v = ''] = part.split('=');
    query[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return query;
}

async function expected(method, pathname, query, headers) {
  const auth = headers.authorization || '';
  if (auth.startsWith('LOG ')) {
    const id = auth.slice(4).split(':')[0];
    return gateway.getAuthorization(pathname, method, query, headers, id, KEYS[id] || '');
  }
  const id = (auth.match(/Credential=([^/]+)\//) || [])[1] || '';
  const region = (auth.match(/Credential=[^/]+\/\d+\/([^/]+)\//) || [])[1] || '';
  const context = { request: { method, pathname, query, headers },
                    configuration: { regionId: region, endpoint: headers.host } };
  return gateway.getAuthorizationV4(context, headers['x-log-date'],
                                    headers['x-log-content-sha256'], id, KEYS[id] || '');
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    const [pathname, raw] = req.url.split('?');
    if (pathname === '/_verified') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ verified }));
    }
    const want = await expected(req.method, pathname, parseQuery(raw), req.headers);
    const requestId = crypto.randomBytes(12).toString('hex').toUpperCase();
    if (want !== req.headers.authorization) {
      res.writeHead(401, { 'content-type': 'application/json', 'x-log-requestid': requestId });
      return res.end(JSON.stringify({ errorCode: 'SignatureNotMatch',
                                      errorMessage: 'the official gateway computes another signature' }));
    }
    verified++;
    res.writeHead(200, { 'content-type': 'application/json', 'x-log-requestid': requestId });
    res.end(JSON.stringify(pathname === '/tickets' ? { ticket: 'verified.by.gateway' }
                                                   : { accessToken: 'verified.by.gateway' }));
  });
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[2], String(server.address().port));
});
