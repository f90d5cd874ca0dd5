'use strict';
// The correctness gate of the /put-sign comparison (COS mode against S3
// mode): before and after it is measured, a signer must really sign.
//
//   node verify-put-s3.js NAME BASE_URL cos|s3
//
// cos: GET /put-sign?ext=jpg answers cosHost, cosKey and an Authorization
//      whose q-signature is recomputed here with node:crypto from COS's
//      documented algorithm (PUT, the path /<key>, the host header, key
//      time now-60 .. now+900).
// s3:  GET /put-sign?ext=jpg answers { url, key, method: "PUT", headers: {} };
//      the URL is AWS's virtual-hosted one for the bucket and key, its
//      X-Amz-* parameters are right for the bench credentials and now, and
//      X-Amz-Signature is recomputed here with node:crypto from AWS's
//      documented SigV4 algorithm (query authentication, UNSIGNED-PAYLOAD).
// Both: the key layout, no repeated keys, bad extensions refused with a
// 4xx and no signature.
//
// Credentials: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION (cos);
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET, S3_REGION (s3).
// Exit 0 if all good; otherwise prints every failure and exits 1.
const crypto = require('node:crypto');
const { EXPIRES, SKEW, SLACK, checker, run, cosPutSignature } = require('./verify-lib.js');

const [name, base, mode] = process.argv.slice(2);
if (!name || !base || (mode !== 'cos' && mode !== 's3')) {
  console.error('usage: node verify-put-s3.js NAME BASE_URL cos|s3');
  process.exit(2);
}
const { get, fail, done } = checker(name, base);

const hmac = (alg, k, m, enc) => crypto.createHmac(alg, k).update(m).digest(enc);
const hash = (alg, m) => crypto.createHash(alg).update(m).digest('hex');
// RFC 3986 unreserved kept, everything else %XX (AWS UriEncode).
const uriEncode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// uploads/YYYYMMDD/<unix>_<32 hex>.<ext>, now, not seen before.
function checkKey(label, key, ext, keys) {
  const now = Math.floor(Date.now() / 1000);
  const km = /^uploads\/(\d{8})\/(\d+)_([0-9a-f]{32})\.([a-z0-9]+)$/.exec(key || '');
  if (!km) return fail(`${label}: key ${key} does not match uploads/YYYYMMDD/<unix>_<32 hex>.<ext>`);
  if (km[4] !== ext.toLowerCase()) fail(`${label}: key extension ${km[4]}`);
  if (Math.abs(Number(km[2]) - now) > SLACK) fail(`${label}: key time ${km[2]}, now is ${now}`);
  if (keys.has(km[3])) fail(`${label}: random part ${km[3]} repeated`);
  keys.add(km[3]);
  return km;
}

function checkCos(d, label, ext, keys) {
  const id = process.env.COS_SECRET_ID;
  const host = `${process.env.COS_BUCKET}.cos.${process.env.COS_REGION}.myqcloud.com`;
  if (d.cosHost !== host) fail(`${label}: cosHost ${d.cosHost}, want ${host}`);
  checkKey(label, d.cosKey, ext, keys);
  const a = Object.fromEntries(String(d.authorization).split('&').map((p) => p.split('=')));
  const now = Math.floor(Date.now() / 1000);
  const kt = /^(\d+);(\d+)$/.exec(a['q-key-time'] || '');
  if (!kt) return fail(`${label}: authorization ${d.authorization}`);
  if (Number(kt[2]) - Number(kt[1]) !== EXPIRES + SKEW) fail(`${label}: key time spans ${Number(kt[2]) - Number(kt[1])} s`);
  if (Math.abs(Number(kt[1]) - (now - SKEW)) > SLACK) fail(`${label}: key time starts at ${kt[1]}, now is ${now}`);
  const sig = cosPutSignature(process.env.COS_SECRET_KEY, a['q-key-time'], d.cosKey, host);
  const want = `q-sign-algorithm=sha1&q-ak=${id}&q-sign-time=${a['q-key-time']}&q-key-time=${a['q-key-time']}` +
    `&q-header-list=host&q-url-param-list=&q-signature=${sig}`;
  if (d.authorization !== want) fail(`${label}: authorization\n  got  ${d.authorization}\n  want ${want}`);
}

function checkS3(d, label, ext, keys) {
  const id = process.env.AWS_ACCESS_KEY_ID;
  const region = process.env.S3_REGION || 'us-east-1';
  const host = `${process.env.S3_BUCKET}.s3.${region}.amazonaws.com`;
  if (d.method !== 'PUT') fail(`${label}: method ${d.method}`);
  if (!d.headers || typeof d.headers !== 'object' || Object.keys(d.headers).length !== 0) fail(`${label}: headers ${JSON.stringify(d.headers)}`);
  checkKey(label, d.key, ext, keys);
  const qi = String(d.url).indexOf('?');
  const origin = `https://${host}/${d.key}`;
  if (d.url.slice(0, qi) !== origin) return fail(`${label}: url ${d.url}, want ${origin}?...`);
  const pairs = d.url.slice(qi + 1).split('&').map((p) => p.split('=').map(decodeURIComponent));
  const q = Object.fromEntries(pairs);
  const date = q['X-Amz-Date'] || '';
  const t = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)) / 1000;
  if (!(Math.abs(t - Date.now() / 1000) <= SLACK)) fail(`${label}: X-Amz-Date ${date}`);
  const scope = `${date.slice(0, 8)}/${region}/s3/aws4_request`;
  const want = { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    'X-Amz-Credential': `${id}/${scope}`, 'X-Amz-Expires': String(EXPIRES), 'X-Amz-SignedHeaders': 'host', 'x-id': 'PutObject' };
  for (const [k, v] of Object.entries(want)) if (q[k] !== v) fail(`${label}: ${k}=${q[k]}, want ${v}`);
  if (pairs.length !== 8) fail(`${label}: ${pairs.length} query parameters, want 8`);
  const canonicalQuery = pairs.filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = `PUT\n/${d.key.split('/').map(uriEncode).join('/')}\n${canonicalQuery}\nhost:${host}\n\nhost\nUNSIGNED-PAYLOAD`;
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${hash('sha256', canonical)}`;
  let key = `AWS4${process.env.AWS_SECRET_ACCESS_KEY}`;
  for (const part of [date.slice(0, 8), region, 's3', 'aws4_request']) key = hmac('sha256', key, part);
  const sig = hmac('sha256', key, toSign, 'hex');
  if (q['X-Amz-Signature'] !== sig) fail(`${label}: X-Amz-Signature ${q['X-Amz-Signature']}, want ${sig}`);
}

async function main() {
  const keys = new Set();
  for (const ext of ['jpg', 'jpg', 'jpg', 'jpg', 'JPG', 'png']) {
    const label = `ext=${ext}`;
    const r = await get(`/put-sign?ext=${ext}`);
    if (r.status !== 200) { fail(`${label}: status ${r.status}: ${r.body.slice(0, 200)}`); continue; }
    let d;
    try {
      d = JSON.parse(r.body);
    } catch (e) {
      fail(`${label}: body is not JSON: ${r.body.slice(0, 200)}`);
      continue;
    }
    if (mode === 'cos') checkCos(d, label, ext, keys);
    else checkS3(d, label, ext, keys);
  }
  for (const bad of ['php', 'jpg.php', '..%2Fx', 'jpg%00', '', 'x'.repeat(40)]) {
    const path = bad === '' ? '/put-sign' : `/put-sign?ext=${bad}`;
    const r = await get(path);
    if (r.status < 400 || r.status > 499) fail(`${path}: status ${r.status}, want 4xx`);
    if (/authorization|X-Amz-Signature/.test(r.body)) fail(`${path}: answered with a signature`);
  }
  done('verify-put-s3', `verify-put-s3: ${name} (${mode}) ok`);
}

run('verify-put-s3', name, main);
