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
const { cosCred: cred, EXPIRES, SKEW, SLACK, checker, run, cosPutSignature } = require('./verify-lib.js');

const [name, base, token, user] = process.argv.slice(2);
if (!name || !base) {
  console.error('usage: node verify-auth.js NAME BASE_URL [TOKEN USER]');
  process.exit(2);
}
const { get, fail, done } = checker(name, base);
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
  const want = cosPutSignature(cred.key, f['q-key-time'], d.cosKey, host);
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
  done('verify', `verify: ${name} ok`);
}

run('verify', name, main);
