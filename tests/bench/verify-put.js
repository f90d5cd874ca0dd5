'use strict';
// Checks GET /put-sign answers of a benchmarked server before it is
// measured: nobody gets to be fast by being wrong.
//
//   node verify-put.js NAME BASE_URL [LOOKUP_URL]
//
// Each answer's authorization is recomputed here with node:crypto, by
// COS's documented q-sign algorithm (independent of every server), for
// PUT /<cosKey> with the host header signed: with the bench SecretKey, or,
// when LOOKUP_URL is given (the STS double's lookup hook), with the
// temporary key STS issued for its q-ak, which must not be the permanent
// SecretId and must come with its securityToken. Keys must follow the
// layout and not repeat; a bad ext must get a 4xx and no signature.
//
// Credentials: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION.
const http = require('node:http');
const { cosPutSignature } = require('./verify-lib.js');

const [name, base, lookup] = process.argv.slice(2);
const cred = { id: process.env.COS_SECRET_ID, key: process.env.COS_SECRET_KEY,
  host: `${process.env.COS_BUCKET}.cos.${process.env.COS_REGION}.myqcloud.com` };
const failures = [];
const fail = (what) => failures.push(`${name}: ${what}`);

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

async function main() {
  const keys = new Set();
  for (let i = 0; i < 8; i++) {
    const r = await get(`${base}/put-sign?ext=${i % 2 ? 'JPG' : 'png'}`);
    if (r.status !== 200) { fail(`status ${r.status}: ${r.body.slice(0, 200)}`); continue; }
    const a = JSON.parse(r.body);
    const f = Object.fromEntries(String(a.authorization).split('&').map((p) => p.split('=')));
    if (a.cosHost !== cred.host) fail(`cosHost ${a.cosHost}`);
    if (!/^uploads\/\d{8}\/\d+_[0-9a-f]{32}\.(jpg|png)$/.test(a.cosKey)) fail(`key layout ${a.cosKey}`);
    if (keys.has(a.cosKey)) fail(`key repeated ${a.cosKey}`);
    keys.add(a.cosKey);
    if (f['q-header-list'] !== 'host') fail(`q-header-list ${f['q-header-list']}`);
    let secret = cred.key;
    if (lookup) {
      if (f['q-ak'] === cred.id) fail('signed with the permanent SecretId in sts mode');
      const rec = await get(`${lookup}/lookup?id=${encodeURIComponent(f['q-ak'])}`);
      if (rec.status !== 200) { fail(`q-ak ${f['q-ak']} was not issued by STS`); continue; }
      const t = JSON.parse(rec.body);
      if (a.securityToken !== t.token) fail('securityToken is not the credential\'s token');
      if (Number(f['q-key-time'].split(';')[1]) > t.expiredTime) fail('signature outlives its credential');
      secret = t.secretKey;
    } else if (f['q-ak'] !== cred.id) {
      fail(`q-ak ${f['q-ak']}`);
    }
    if (cosPutSignature(secret, f['q-key-time'], a.cosKey, cred.host) !== f['q-signature']) fail(`bad signature for ${a.cosKey}`);
  }
  const bad = await get(`${base}/put-sign?ext=php`);
  if (bad.status < 400 || bad.status >= 500 || /authorization/.test(bad.body)) fail(`ext=php: ${bad.status}`);
  if (failures.length) {
    console.error(failures.join('\n'));
    process.exit(1);
  }
  console.error(`${name}: /put-sign verified`);
}

main().catch((e) => { console.error(`${name}: ${e.message}`); process.exit(1); });
