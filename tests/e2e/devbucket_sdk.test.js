'use strict';
// The dev bucket against independent clients: the official COS SDK
// (cos-nodejs-sdk-v5) puts, heads and gets objects and presigns URLs, and
// a POST Object form is built and signed here with node:crypto from COS's
// documented algorithm and sent with Node's own FormData (the Node SDK has
// no postObject). Whatever they sign must be accepted and stored byte for
// byte; with a wrong SecretKey, SecretId or token, or a changed request,
// the answer is 403 with COS's error code and nothing is stored.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const COS = require('cos-nodejs-sdk-v5');
const h = require('./lib/harness.js');
const { startDev, errorCode } = require('./lib/devbucket.js');

const BUCKET = h.CREDS.COS_BUCKET;
const REGION = h.CREDS.COS_REGION;
const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');
const hmac = (key, msg) => crypto.createHmac('sha1', key).update(msg).digest('hex');
const sha1 = (msg) => crypto.createHash('sha1').update(msg).digest('hex');

function sdk(dev, { id = h.CREDS.COS_SECRET_ID, key = h.SECRET_KEY, token } = {}) {
  return new COS({ SecretId: id, SecretKey: key, SecurityToken: token, Protocol: 'http:', Domain: dev.bucketHost });
}

async function refused(promise) {
  try {
    await promise;
  } catch (err) {
    return { status: err.statusCode, code: err.code || (err.error && err.error.Code) };
  }
  throw new Error('the request was accepted');
}

// A POST Object form, policy and q-signature made here (COS's documented
// algorithm: SignKey = HMAC-SHA1(SecretKey, KeyTime), q-signature =
// HMAC-SHA1(SignKey, SHA1(policy))).
function signedForm({ key, data, secretKey = h.SECRET_KEY, max = 1 << 20, extra = [], fields = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const keyTime = `${now - 60};${now + 600}`;
  const policy = JSON.stringify({
    expiration: new Date((now + 600) * 1000).toISOString(),
    conditions: [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': h.CREDS.COS_SECRET_ID }, { 'q-sign-time': keyTime },
      { bucket: BUCKET }, { key }, ['content-length-range', 0, max], ...extra],
  });
  const form = new FormData();
  const all = {
    key, success_action_status: '201', 'Content-Type': 'image/jpeg', 'q-sign-algorithm': 'sha1',
    'q-ak': h.CREDS.COS_SECRET_ID, 'q-key-time': keyTime,
    'q-signature': hmac(hmac(secretKey, keyTime), sha1(policy)),
    policy: Buffer.from(policy).toString('base64'), ...fields,
  };
  for (const [k, v] of Object.entries(all)) form.append(k, v);
  form.append('file', new Blob([data]), 'photo.jpg');
  return form;
}

async function post(dev, form) {
  const res = await fetch(dev.bucketBase + '/', { method: 'POST', body: form });
  const text = await res.text();
  h.assertNoSecret(text, 'POST');
  return { status: res.status, text, headers: res.headers, code: errorCode(text) };
}

test('the official SDK puts, heads and gets objects, and presigned URLs work', async (t) => {
  const dev = await startDev(t);
  assert.match(dev.gw.log(), /dev mode \(dev\.enabled\)/, 'asked for with real credentials: says so');
  const cos = sdk(dev);
  for (const key of ['sdk/photo.jpg', 'sdk/with space (1)!.jpg', '中文/文件 名.png', 'a/b/c/d/e.bin']) {
    const body = crypto.randomBytes(200 * 1024 + key.length);
    const put = await cos.putObject({ Bucket: BUCKET, Region: REGION, Key: key, Body: body });
    assert.equal(put.statusCode, 200, key);
    assert.equal(put.ETag, `"${md5(body)}"`, 'ETag is the MD5, as COS gives it');
    assert.ok(dev.object(key).equals(body), `stored as sent: ${key}`);
    const head = await cos.headObject({ Bucket: BUCKET, Region: REGION, Key: key });
    assert.equal(head.statusCode, 200);
    assert.equal(Number(head.headers['content-length']), body.length);
    const got = await cos.getObject({ Bucket: BUCKET, Region: REGION, Key: key });
    assert.equal(got.statusCode, 200);
    assert.ok(Buffer.from(got.Body).equals(body), `the same bytes come back: ${key}`);
    // A presigned URL from the SDK: the signature is in the query.
    const url = cos.getObjectUrl({ Bucket: BUCKET, Region: REGION, Key: key, Sign: true, Expires: 300 });
    const res = await fetch(url);
    assert.equal(res.status, 200, url);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
    // The same URL for another key, or with another method, is refused.
    const other = new URL(url);
    other.pathname += 'x';
    assert.equal(errorCode(await (await fetch(other)).text()), 'SignatureDoesNotMatch');
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 403);
  }
  assert.equal((await cos.getObject({ Bucket: BUCKET, Region: REGION, Key: 'sdk/none.jpg' }).catch((e) => e)).statusCode, 404);
  assert.deepEqual(dev.temps(), []);
});

test('a wrong SecretKey, SecretId or token gets 403 and stores nothing', async (t) => {
  const token = 'sgwDevToken-' + crypto.randomBytes(6).toString('hex');
  const dev = await startDev(t, { env: { COS_SECURITY_TOKEN: token } });
  const good = sdk(dev, { token });
  const body = crypto.randomBytes(1024);
  await good.putObject({ Bucket: BUCKET, Region: REGION, Key: 'ok.jpg', Body: body });
  const cases = [
    ['wrong SecretKey', sdk(dev, { key: 'wrong' + h.SECRET_KEY, token }), 'SignatureDoesNotMatch'],
    ['wrong SecretId', sdk(dev, { id: 'AKIDsomebodyElse0001', token }), 'InvalidAccessKeyId'],
    ['no token', sdk(dev), 'InvalidAccessKeyId'],
    ['wrong token', sdk(dev, { token: token + 'x' }), 'InvalidAccessKeyId'],
  ];
  for (const [what, cos, code] of cases) {
    const put = await refused(cos.putObject({ Bucket: BUCKET, Region: REGION, Key: 'bad.jpg', Body: body }));
    assert.deepEqual(put, { status: 403, code }, `${what}: putObject`);
    assert.equal((await refused(cos.headObject({ Bucket: BUCKET, Region: REGION, Key: 'ok.jpg' }))).status, 403, what);
    assert.deepEqual(await refused(cos.getObject({ Bucket: BUCKET, Region: REGION, Key: 'ok.jpg' })),
      { status: 403, code }, `${what}: getObject`);
  }
  // A large body with a bad signature: refused from the head, before the
  // body; the client still gets the answer.
  const big = crypto.randomBytes(8 << 20);
  assert.deepEqual(await refused(cases[0][1].putObject({ Bucket: BUCKET, Region: REGION, Key: 'big.jpg', Body: big })),
    { status: 403, code: 'SignatureDoesNotMatch' });
  // No signature at all.
  const bare = await fetch(`${dev.bucketBase}/ok.jpg`);
  assert.equal(bare.status, 403);
  assert.equal(errorCode(await bare.text()), 'AccessDenied');
  assert.deepEqual(dev.objects(), ['ok.jpg']);
  assert.deepEqual(dev.temps(), []);
});

test('a POST Object form signed from the documented algorithm is stored; every broken form is refused', async (t) => {
  const dev = await startDev(t);
  const data = crypto.randomBytes(300 * 1024);
  const ok = await post(dev, signedForm({ key: 'forms/a.jpg', data }));
  assert.equal(ok.status, 201, ok.text);
  assert.match(ok.text, /<Key>forms\/a\.jpg<\/Key>/);
  assert.equal(ok.headers.get('etag'), `"${md5(data)}"`);
  assert.ok(dev.object('forms/a.jpg').equals(data));

  const cases = [
    ['wrong SecretKey', { secretKey: 'nope' }, 403, 'SignatureDoesNotMatch'],
    ['a key other than the policy pins', { fields: { key: 'forms/other.jpg' } }, 403, 'AccessDenied'],
    ['a file above content-length-range', { max: 1000 }, 400, 'EntityTooLarge'],
    ['a failed starts-with', { extra: [['starts-with', '$Content-Type', 'video/']] }, 403, 'AccessDenied'],
    ['an unknown condition', { extra: [['ends-with', '$key', 'x']] }, 403, 'InvalidPolicyDocument'],
    ['a policy other than the one signed', { fields: { policy: 'bm90IGpzb24=' } }, 403, 'SignatureDoesNotMatch'],
  ];
  for (const [what, opts, status, code] of cases) {
    const r = await post(dev, signedForm({ key: 'forms/bad.jpg', data, ...opts }));
    assert.deepEqual([r.status, r.code], [status, code], `${what}: ${r.text}`);
  }
  // The gateway's own policy works as well (signed by signgw).
  const auth = (await h.request(dev.gw.base, '/post-policy?ext=jpg')).json;
  assert.equal(auth.cosHost, dev.bucketHost, 'cosHost names the dev bucket');
  const form = new FormData();
  for (const [k, v] of Object.entries({
    key: auth.cosKey, 'q-sign-algorithm': auth.qSignAlgorithm, 'q-ak': auth.qAk,
    'q-key-time': auth.qKeyTime, 'q-signature': auth.qSignature, policy: auth.policy,
  })) form.append(k, v);
  form.append('file', new Blob([data]), 'x.jpg');
  const r = await post(dev, form);
  assert.equal(r.status, 204, r.text); // COS's default success_action_status
  assert.ok(dev.object(auth.cosKey).equals(data));
  assert.deepEqual(dev.objects().sort(), ['forms/a.jpg', auth.cosKey].sort());
  assert.deepEqual(dev.temps(), []);
});

test('with real credentials and no dev.enabled there is no dev bucket', async (t) => {
  const gw = await h.start({ env: { SGW_DEV: undefined } });
  t.after(() => gw.stop());
  assert.doesNotMatch(gw.log(), /dev bucket/);
  const r = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(r.json.cosHost, h.COS_HOST, 'signatures point at COS');
  assert.equal((await h.request(gw.base, '/')).status, 404, 'no upload page');
});
