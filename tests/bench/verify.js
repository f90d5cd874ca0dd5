'use strict';
// Checks that a benchmarked server really signs before anyone measures it:
// nobody gets to be fast by being wrong.
//
//   node verify.js NAME BASE_URL [--static]
//
// For a signer: a handful of GET /post-policy?ext=jpg answers (plus JPG
// and png) must carry every field; the policy must decode to exactly the
// JSON that COS's documented algorithm builds for that key and key time
// (byte for byte, conditions in order); the key must follow the layout;
// qSignature must be right for the bench SecretKey (recomputed here with
// node:crypto, independent of every server); keys must not repeat; bad
// extensions must get a 4xx and no signature. --static (the nginx ceiling)
// only checks 200 and a JSON body.
//
// Credentials: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION.
// An https:// BASE_URL is checked over TLS (trust its CA with
// NODE_EXTRA_CA_CERTS).
// Exit 0 if all good; otherwise prints every failure and exits 1.
const { cosCred: cred, EXPIRES, SKEW, SLACK, checker, run, cosPolicySignature } = require('./verify-lib.js');

const [name, base, mode] = process.argv.slice(2);
if (!name || !base) {
  console.error('usage: node verify.js NAME BASE_URL [--static]');
  process.exit(2);
}
const MAX_SIZE = 100 * 1024 * 1024;
const { get, fail, done } = checker(name, base);

function checkSigned(r, ext, keys) {
  const label = `ext=${ext}`;
  if (r.status !== 200) return fail(`${label}: status ${r.status}: ${r.body.slice(0, 200)}`);
  if (!/application\/json/.test(r.headers['content-type'] || '')) fail(`${label}: content-type ${r.headers['content-type']}`);
  let d;
  try {
    d = JSON.parse(r.body);
  } catch (e) {
    return fail(`${label}: body is not JSON: ${r.body.slice(0, 200)}`);
  }
  for (const f of ['cosHost', 'cosKey', 'policy', 'qSignAlgorithm', 'qAk', 'qKeyTime', 'qSignature']) {
    if (typeof d[f] !== 'string' || d[f] === '') return fail(`${label}: field ${f} missing`);
  }
  const host = `${cred.bucket}.cos.${cred.region}.myqcloud.com`;
  if (d.cosHost !== host) fail(`${label}: cosHost ${d.cosHost}, want ${host}`);
  if (d.qSignAlgorithm !== 'sha1') fail(`${label}: qSignAlgorithm ${d.qSignAlgorithm}`);
  if (d.qAk !== cred.id) fail(`${label}: qAk ${d.qAk}`);

  const now = Math.floor(Date.now() / 1000);
  const kt = /^(\d+);(\d+)$/.exec(d.qKeyTime);
  if (!kt) return fail(`${label}: qKeyTime ${d.qKeyTime}`);
  const start = Number(kt[1]);
  const end = Number(kt[2]);
  if (end - start !== EXPIRES + SKEW) fail(`${label}: qKeyTime spans ${end - start} s, want ${EXPIRES + SKEW}`);
  if (Math.abs(start - (now - SKEW)) > SLACK) fail(`${label}: qKeyTime starts at ${start}, now is ${now}`);

  const want = ext.toLowerCase();
  const km = /^uploads\/(\d{8})\/(\d+)_([0-9a-f]{32})\.([a-z0-9]+)$/.exec(d.cosKey);
  if (!km) return fail(`${label}: cosKey ${d.cosKey} does not match uploads/YYYYMMDD/<unix>_<32 hex>.<ext>`);
  if (km[4] !== want) fail(`${label}: cosKey extension ${km[4]}, want ${want}`);
  const unix = Number(km[2]);
  if (Math.abs(unix - now) > SLACK) fail(`${label}: cosKey time ${unix}, now is ${now}`);
  const iso = new Date(unix * 1000).toISOString();
  if (km[1] !== iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10)) fail(`${label}: cosKey date ${km[1]} is not the UTC date of ${unix}`);
  if (keys.has(km[3])) fail(`${label}: random part ${km[3]} repeated`);
  keys.add(km[3]);

  const policy = Buffer.from(d.policy, 'base64').toString('utf8');
  if (Buffer.from(policy, 'utf8').toString('base64') !== d.policy) fail(`${label}: policy is not canonical base64`);
  const expected = JSON.stringify({
    expiration: new Date(end * 1000).toISOString(),
    conditions: [
      { 'q-sign-algorithm': 'sha1' },
      { 'q-ak': cred.id },
      { 'q-sign-time': d.qKeyTime },
      { bucket: cred.bucket },
      { key: d.cosKey },
      ['content-length-range', 0, MAX_SIZE],
    ],
  });
  if (policy !== expected) fail(`${label}: policy JSON differs\n  got  ${policy}\n  want ${expected}`);
  try {
    const p = JSON.parse(policy);
    if (!Array.isArray(p.conditions) || p.conditions.length !== 6) fail(`${label}: policy conditions ${JSON.stringify(p.conditions)}`);
  } catch (e) {
    fail(`${label}: policy is not JSON: ${policy.slice(0, 200)}`);
  }
  const sig = cosPolicySignature(cred.key, d.qKeyTime, policy);
  if (d.qSignature !== sig) fail(`${label}: qSignature ${d.qSignature}, want ${sig}`);
  return d;
}

async function main() {
  if (mode === '--static') {
    for (let i = 0; i < 3; i++) {
      const r = await get('/post-policy?ext=jpg');
      if (r.status !== 200) fail(`status ${r.status}`);
      try {
        JSON.parse(r.body);
      } catch (e) {
        fail('body is not JSON');
      }
    }
  } else {
    const keys = new Set();
    const exts = ['jpg', 'jpg', 'jpg', 'jpg', 'jpg', 'jpg', 'JPG', 'png'];
    for (const ext of exts) checkSigned(await get(`/post-policy?ext=${ext}`), ext, keys);
    for (const bad of ['php', 'jpg.php', '..%2Fx', 'jpg%00', '', 'x'.repeat(40)]) {
      const path = bad === '' ? '/post-policy' : `/post-policy?ext=${bad}`;
      const r = await get(path);
      if (r.status < 400 || r.status > 499) fail(`${path}: status ${r.status}, want 4xx`);
      if (/qSignature|policy"/.test(r.body)) fail(`${path}: answered with a signature`);
    }
  }
  done('verify', `verify: ${name} ok`);
}

run('verify', name, main);
