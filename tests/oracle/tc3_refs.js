'use strict';
// The reference TC3-HMAC-SHA256 signatures are checked against: the
// official SDK's own signing function, Sign.sign3 from
// tencentcloud-sdk-nodejs-common (what tencentcloud-sdk-nodejs-sts calls for
// every request), fed the exact body bytes and the headers a client sends.
//
// A case c: {secretId, secretKey, token, service, host, action, version,
//            region, timestamp, contentType, payload (Buffer)}
// token, region and contentType may be null (contentType null: the default
// "application/json; charset=utf-8").
let Sign;
let sdkVersion;
try {
  Sign = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js').default;
  sdkVersion = require('tencentcloud-sdk-nodejs-common/package.json').version;
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  console.error('tencentcloud-sdk-nodejs-common is not installed: run `npm ci` in tests/');
  process.exit(1);
}

const DEFAULT_CONTENT_TYPE = 'application/json; charset=utf-8';

// The Content-Type a client sends: trimmed of spaces and tabs, lower-cased
// (Tencent's documentation lower-cases signed header values; sending the
// lower-cased value makes the SDK sign the same bytes).
function sentContentType(ct) {
  return (ct == null ? DEFAULT_CONTENT_TYPE : ct).replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase();
}

// The headers a client sends and their Authorization, as the SDK makes it:
// sign3 takes the URL (it signs URL.hostname, so no port) and the
// Content-Type header it will send.
function sdkTc3(c) {
  const contentType = sentContentType(c.contentType);
  const authorization = Sign.sign3({
    method: 'POST',
    url: `https://${c.host}/`,
    payload: c.payload,
    timestamp: c.timestamp,
    service: c.service,
    secretId: c.secretId,
    secretKey: c.secretKey,
    headers: { 'Content-Type': contentType },
  });
  const headers = {
    Authorization: authorization,
    'Content-Type': contentType,
    Host: c.host.toLowerCase(),
    'X-TC-Action': c.action,
    'X-TC-Timestamp': String(c.timestamp),
    'X-TC-Version': c.version,
  };
  if (c.region) headers['X-TC-Region'] = c.region;
  if (c.token != null) headers['X-TC-Token'] = c.token;
  return headers;
}

// What tc3_tool and the vector test read: the case with the body as base64.
function toolInput(c) {
  const o = Object.assign({}, c, { payloadB64: c.payload.toString('base64') });
  delete o.payload;
  return o;
}

module.exports = { sdkTc3, sentContentType, toolInput, sdkVersion, DEFAULT_CONTENT_TYPE };
