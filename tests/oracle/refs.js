'use strict';
// The two references the C code is checked against.
//
// 1. Request signatures: the official SDK itself, COS.getAuthorization.
//
// 2. POST Object policies: an independent reference for COS POST Object policies, written from
// Tencent's documented algorithm (the Node SDK has no policy function):
//   policy      = JSON.stringify({expiration, conditions})
//   expiration  = new Date(end * 1000).toISOString()
//   SignKey     = hex(HMAC-SHA1(SecretKey, KeyTime))
//   q-signature = hex(HMAC-SHA1(SignKey, hex(SHA1(policy))))
// Only node:crypto is used, so it shares nothing with the C code under test.
const crypto = require('node:crypto');
// Resolved from tests/node_modules (the lock file pins 2.15.4).
let COS;
try {
  COS = require('cos-nodejs-sdk-v5');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  console.error('cos-nodejs-sdk-v5 is not installed: run `npm ci` in tests/');
  process.exit(1);
}

// c: {secretId, secretKey, method, path, keyTime: "s;e", headers, query,
//     usePathname} — `path` goes in as Key (or Pathname: both reach the
// same code in the SDK; Pathname is exercised too).
function sdkAuthorization(c) {
  const opt = {
    SecretId: c.secretId,
    SecretKey: c.secretKey,
    Method: c.method,
    Query: c.query,
    Headers: c.headers,
    KeyTime: c.keyTime,
  };
  if (c.usePathname) opt.Pathname = c.path;
  else opt.Key = c.path;
  return COS.getAuthorization(opt);
}

function hmacHex(key, msg) {
  return crypto.createHmac('sha1', key).update(msg, 'utf8').digest('hex');
}

// p: {secretId, secretKey, bucket, key, start, end, minSize, maxSize,
//     securityToken, extra: [JSON text, ...]} — the same shape as the C
// sgw_cos_policy_t; extra conditions are JSON texts in JSON.stringify form.
function postPolicy(p) {
  const keyTime = p.start + ';' + p.end;
  const conditions = [
    { 'q-sign-algorithm': 'sha1' },
    { 'q-ak': p.secretId },
    { 'q-sign-time': keyTime },
    { bucket: p.bucket },
    { key: p.key },
  ];
  if (p.maxSize > 0) conditions.push(['content-length-range', p.minSize, p.maxSize]);
  if (p.securityToken != null) conditions.push({ 'x-cos-security-token': p.securityToken });
  for (const text of p.extra || []) conditions.push(JSON.parse(text));
  const policy = JSON.stringify({
    expiration: new Date(p.end * 1000).toISOString(),
    conditions,
  });
  const hash = crypto.createHash('sha1').update(policy, 'utf8').digest('hex');
  return {
    policy,
    policyB64: Buffer.from(policy, 'utf8').toString('base64'),
    keyTime,
    signature: hmacHex(hmacHex(p.secretKey, keyTime), hash),
  };
}

// What the C side receives: every value as the string the SDK makes of it
// ('' + v, null/undefined as ''), in the object's own iteration order.
function stringValues(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) out[k] = v == null ? '' : '' + v;
  return out;
}

module.exports = { sdkAuthorization, postPolicy, stringValues, sdkVersion: COS.version };
