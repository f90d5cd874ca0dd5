'use strict';
// The correctness gate for the /put-sign measurements (plain, JWT, JWT
// plus a Redis quota): nobody gets to be fast by being wrong.
//
//   node verify-auth.js NAME BASE_URL [TOKEN USER]
//
// A handful of GET /put-sign?ext=jpg answers must carry cosHost, cosKey
// and authorization; the key must follow the layout (under uploads/<USER>/
// with a token); the Authorization must be the documented COS signature
// of PUT /<key> with the host header for the bench SecretKey, recomputed
// here with node:crypto; keys must not repeat; bad extensions get a 4xx
// and no signature. With a token, the requests carry it, and requests
// without it or with a forged one must get 401 and no signature.
//
// Credentials: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION.
// Exit 0 if all good; otherwise prints every failure and exits 1.
const http = require('node:http');
const crypto = require('node:crypto');

const [name, base, token, user] = process.argv.slice(2);
if (!name || !base) {
  console.error('usage: node verify-auth.js NAME BASE_URL [TOKEN USER]');
  process.exit(2);
}
const cred = {
  id: process.env.COS_SECRET_ID,
  key: process.env.COS_SECRET_KEY,
  bucket: process.env.COS_BUCKET,
  region: process.env.COS_REGION,
};
const EXPIRES = 900;
const SKEW = 60;
const SLACK = 5;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const failures = [];
const fail = (what) => failures.push(`${name}: ${what}`);

function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, { agent, timeout: 5000, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const hmacHex = (k, m) => crypto.createHmac('sha1', k).update(m).digest('hex');
const sha1Hex = (m) => crypto.createHash('sha1').update(m).digest('hex');
const auth = token ? { Authorization: `Bearer ${token}` } : {};

function checkSigned(r, keys) {
  if (r.status !== 200) return fail(`status ${r.status}: ${r.body.slice(0, 200)}`);
  let d;
  try {
    d = JSON.parse(r.body);
  } catch (e) {
    return fail(`body is not JSON: ${r.body.slice(0, 200)}`);
  }
  const host = `${cred.bucket}.cos.${cred.region}.myqcloud.com`;
  if (d.cosHost !== host) fail(`cosHost ${d.cosHost}, want ${host}`);
  const dir = user ? `uploads/${user}/` : 'uploads/';
  const km = /^(\d{8})\/(\d+)_([0-9a-f]{32})\.jpg$/.exec(String(d.cosKey).slice(dir.length));
  if (!String(d.cosKey).startsWith(dir) || !km) return fail(`cosKey ${d.cosKey} is not ${dir}YYYYMMDD/<unix>_<32 hex>.jpg`);
  if (keys.has(km[3])) fail(`random part ${km[3]} repeated`);
  keys.add(km[3]);
  const f = Object.fromEntries(String(d.authorization).split('&').map((p) => p.split('=')));
  const now = Math.floor(Date.now() / 1000);
  const kt = /^(\d+);(\d+)$/.exec(f['q-key-time'] || '');
  if (!kt) return fail(`q-key-time ${f['q-key-time']}`);
  if (Number(kt[2]) - Number(kt[1]) !== EXPIRES + SKEW) fail(`key time spans ${Number(kt[2]) - Number(kt[1])} s`);
  if (Math.abs(Number(kt[1]) - (now - SKEW)) > SLACK) fail(`key time starts at ${kt[1]}, now is ${now}`);
  if (f['q-sign-algorithm'] !== 'sha1' || f['q-ak'] !== cred.id || f['q-sign-time'] !== f['q-key-time'] ||
      f['q-header-list'] !== 'host' || f['q-url-param-list'] !== '') {
    fail(`authorization fields ${d.authorization}`);
  }
  // The documented q-sign: HttpString, StringToSign, then two HMAC-SHA1.
  const httpString = `put\n/${d.cosKey}\n\nhost=${encodeURIComponent(host)}\n`;
  const stringToSign = `sha1\n${f['q-key-time']}\n${sha1Hex(httpString)}\n`;
  const want = hmacHex(hmacHex(cred.key, f['q-key-time']), stringToSign);
  if (f['q-signature'] !== want) fail(`q-signature ${f['q-signature']}, want ${want}`);
  return d;
}

async function main() {
  const keys = new Set();
  for (let i = 0; i < 6; i++) checkSigned(await get('/put-sign?ext=jpg', auth), keys);
  for (const bad of ['php', 'jpg.php', '..%2Fx']) {
    const r = await get(`/put-sign?ext=${bad}`, auth);
    if (r.status < 400 || r.status > 499) fail(`ext=${bad}: status ${r.status}, want 4xx`);
    if (/authorization/.test(r.body)) fail(`ext=${bad}: answered with a signature`);
  }
  if (token) {
    const [h, p, s] = token.split('.');
    const forged = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const [what, headers] of [['no token', {}], ['a forged token', { Authorization: `Bearer ${forged}` }]]) {
      const r = await get('/put-sign?ext=jpg', headers);
      if (r.status !== 401) fail(`${what}: status ${r.status}, want 401`);
      if (/authorization/.test(r.body)) fail(`${what}: answered with a signature`);
    }
  }
  agent.destroy();
  if (failures.length) {
    for (const f of failures) console.error(`verify: FAIL ${f}`);
    process.exit(1);
  }
  console.log(`verify: ${name} ok`);
}

main().catch((e) => {
  console.error(`verify: FAIL ${name}: ${e.message}`);
  process.exit(1);
});
