'use strict';
// The seed's POST client (examples/miniprogram/post.js), loaded unchanged,
// runs on the wx shim against the real signgw and the COS stand-in, which
// checks every policy condition and recomputes q-signature.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness.js');
const { makeTls } = require('./lib/tls.js');
const { createWx, runSeed, multipart } = require('./lib/wx_shim.js');
const { createCosStandin, parseMultipart } = require('./lib/cos_standin.js');

const SEED = path.join(h.ROOT, 'examples', 'miniprogram', 'post.js');
// A second bucket of the same account: the policy must pin the bucket.
const OTHER_BUCKET = 'otherbucket-1250000000';

async function setup(t, { env = {}, config } = {}) {
  const cos = createCosStandin({
    secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: h.CREDS.COS_REGION,
    buckets: [h.CREDS.COS_BUCKET, OTHER_BUCKET], securityToken: env.COS_SECURITY_TOKEN,
  });
  await cos.listen();
  const gw = await h.start({ env, config });
  t.after(() => Promise.all([gw.stop(), cos.close()]));
  return { cos, gw };
}

// Runs the seed once; returns the gateway's answer, the decoded policy and
// the form the phone posted.
async function upload(gw, cos, ca) {
  const media = { name: 'photo.jpg', data: crypto.randomBytes(4096) };
  const shim = createWx({ gateway: gw.base, cos, media, ca });
  const modal = await runSeed(SEED, shim);
  const [sign, post] = shim.requests;
  const auth = JSON.parse(sign.response.toString('utf8'));
  const why = JSON.stringify({ modal, auth, cos: cos.log }, null, 1);
  assert.equal(modal.title, 'Upload successful', why);
  assert.equal(modal.content, `https://${auth.cosHost}/${auth.cosKey}`);
  assert.equal(auth.cosHost, h.COS_HOST);
  assert.equal(auth.qSignAlgorithm, 'sha1');
  assert.equal(auth.qAk, h.CREDS.COS_SECRET_ID);
  const stored = cos.get(auth.cosKey);
  assert.ok(stored, 'object stored under cosKey; ' + why);
  assert.ok(stored.data.equals(media.data), 'stored bytes equal the chosen file');
  assert.deepEqual(shim.scriptErrors.map(String), []);
  const policy = JSON.parse(Buffer.from(auth.policy, 'base64').toString('utf8'));
  const form = parseMultipart(post.body, post.headers['Content-Type']);
  return { auth, policy, form, media };
}

// Posts `form` (fields + file) straight to the stand-in as `host`.
function postForm(cos, host, fields, data) {
  const { boundary, body } = multipart(fields, { name: 'file', filename: 'photo.jpg', type: 'image/jpeg', data });
  return h.request(`http://127.0.0.1:${cos.port}`, '/', {
    method: 'POST', body, headers: { Host: host, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  });
}

function errorCode(res) {
  const m = /<Code>(\w+)<\/Code>/.exec(res.text);
  return m && m[1];
}

test('seed POST client uploads, and its policy is good for nothing else', async (t) => {
  const { cos, gw } = await setup(t);
  const { auth, policy, form, media } = await upload(gw, cos);
  assert.equal(auth.securityToken, undefined, 'no token without COS_SECURITY_TOKEN');
  const cond = JSON.stringify(policy.conditions);
  for (const c of [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': auth.qAk }, { 'q-sign-time': auth.qKeyTime },
    { bucket: h.CREDS.COS_BUCKET }, { key: auth.cosKey }]) {
    assert.ok(cond.includes(JSON.stringify(c)), `policy has ${JSON.stringify(c)}: ${cond}`);
  }
  assert.ok(policy.conditions.some((c) => Array.isArray(c) && c[0] === 'content-length-range'), cond);
  assert.ok(Date.parse(policy.expiration) > Date.now(), 'expiration in the future: ' + policy.expiration);

  const fields = form.fields;
  // Control: the same form again is accepted, so the refusals below come
  // from what was changed.
  assert.equal((await postForm(cos, h.COS_HOST, fields, media.data)).status, 200);

  const otherKey = fields.key.replace(/\.jpg$/, '_x.jpg');
  const r1 = await postForm(cos, h.COS_HOST, { ...fields, key: otherKey }, media.data);
  assert.equal(r1.status, 403, r1.text);
  assert.match(r1.text, /Invalid according to Policy/);
  assert.equal(cos.get(otherKey), undefined);

  const r2 = await postForm(cos, cos.hostOf(OTHER_BUCKET), fields, media.data);
  assert.equal(r2.status, 403, r2.text);
  assert.match(r2.text, /Invalid according to Policy/);
  assert.equal(cos.get(fields.key, OTHER_BUCKET), undefined);

  // Changing the policy itself breaks the signature.
  const widened = { ...policy, conditions: policy.conditions.filter((c) => !('key' in c)) };
  const r3 = await postForm(cos, h.COS_HOST,
    { ...fields, key: otherKey, policy: Buffer.from(JSON.stringify(widened)).toString('base64') }, media.data);
  assert.equal(r3.status, 403, r3.text);
  assert.equal(errorCode(r3), 'SignatureDoesNotMatch', r3.text);
});

test('content-length-range from upload.max_size is enforced', async (t) => {
  const { cos, gw } = await setup(t, { config: path.join(h.CONFIGS, 'small_upload.lua') });
  const { policy, form } = await upload(gw, cos);
  const range = policy.conditions.find((c) => Array.isArray(c) && c[0] === 'content-length-range');
  assert.deepEqual(range, ['content-length-range', 0, 65536]);
  const r = await postForm(cos, h.COS_HOST, form.fields, Buffer.alloc(65537));
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /content-length-range/);
});

test('with COS_SECURITY_TOKEN the token is returned, signed and carried by the client', async (t) => {
  const token = 'sgwE2eSessionToken-' + crypto.randomBytes(6).toString('hex');
  const { cos, gw } = await setup(t, { env: { COS_SECURITY_TOKEN: token } });
  const { auth, policy, form } = await upload(gw, cos);
  assert.equal(auth.securityToken, token);
  assert.equal(form.fields['x-cos-security-token'], token);
  assert.ok(JSON.stringify(policy.conditions).includes(JSON.stringify({ 'x-cos-security-token': token })),
    'policy pins the token: ' + JSON.stringify(policy.conditions));
});

// A Mini Program may only call HTTPS hosts: the same flow against a TLS
// listener (SGW_TLS_CERT/SGW_TLS_KEY with -l), its certificate from a
// throw-away CA the phone trusts, checked by Node's TLS client.
test('the seed flow passes over HTTPS', async (t) => {
  const tls = makeTls();
  t.after(() => fs.rmSync(tls.dir, { recursive: true, force: true }));
  const { cos, gw } = await setup(t, { env: { SGW_TLS_CERT: tls.certFile, SGW_TLS_KEY: tls.keyFile } });
  assert.match(gw.base, /^https:\/\/127\.0\.0\.1:\d+$/);
  const { auth, policy } = await upload(gw, cos, tls.ca);
  assert.equal(auth.qAk, h.CREDS.COS_SECRET_ID);
  assert.ok(policy.conditions.some((c) => c.key === auth.cosKey), JSON.stringify(policy.conditions));
});
