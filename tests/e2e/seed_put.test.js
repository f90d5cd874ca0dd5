'use strict';
// The seed's PUT client (examples/miniprogram/put.js), loaded unchanged,
// runs on the wx shim against the real signgw and the COS stand-in, which
// recomputes every Authorization with the official SDK.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness.js');
const { makeTls } = require('./lib/tls.js');
const { createWx, runSeed } = require('./lib/wx_shim.js');
const { createCosStandin } = require('./lib/cos_standin.js');

const SEED = path.join(h.ROOT, 'examples', 'miniprogram', 'put.js');
// A second bucket of the same account: the replay must fail on the signature.
const OTHER_BUCKET = 'otherbucket-1250000000';

async function setup(t, env = {}) {
  const cos = createCosStandin({
    secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: h.CREDS.COS_REGION,
    buckets: [h.CREDS.COS_BUCKET, OTHER_BUCKET], securityToken: env.COS_SECURITY_TOKEN,
  });
  await cos.listen();
  const gw = await h.start({ env });
  t.after(() => Promise.all([gw.stop(), cos.close()]));
  return { cos, gw };
}

// Runs the seed once; returns what the phone saw and what COS stored.
async function upload(gw, cos, ca) {
  const media = { name: 'photo.jpg', data: crypto.randomBytes(4096) };
  const shim = createWx({ gateway: gw.base, cos, media, ca });
  const modal = await runSeed(SEED, shim);
  const [sign, put] = shim.requests;
  const auth = JSON.parse(sign.response.toString('utf8'));
  const why = JSON.stringify({ modal, auth, cos: cos.log }, null, 1);
  assert.equal(modal.title, 'Upload successful', why);
  assert.equal(modal.content, `https://${auth.cosHost}/${auth.cosKey}`);
  assert.equal(auth.cosHost, h.COS_HOST);
  const stored = cos.get(auth.cosKey);
  assert.ok(stored, 'object stored under cosKey; ' + why);
  assert.ok(stored.data.equals(media.data), 'stored bytes equal the chosen file');
  // The seed calls onProgressUpdate on wx.request's task, which Weixin's
  // RequestTask lacks; that TypeError is the only error allowed.
  const errors = shim.scriptErrors.map(String).filter((e) => !/onProgressUpdate/.test(e));
  assert.deepEqual(errors, []);
  return { shim, auth, put };
}

function errorCode(res) {
  const m = /<Code>(\w+)<\/Code>/.exec(res.text);
  return m && m[1];
}

test('seed PUT client uploads, and its signature is good for nothing else', async (t) => {
  const { cos, gw } = await setup(t);
  const { auth, put } = await upload(gw, cos);
  assert.equal(auth.securityToken, undefined, 'no token without COS_SECURITY_TOKEN');
  assert.equal(put.headers['x-cos-security-token'], undefined);
  const fields = Object.fromEntries(auth.authorization.split('&').map((p) => p.split('=')));
  assert.equal(fields['q-ak'], h.CREDS.COS_SECRET_ID);
  assert.ok(fields['q-header-list'].split(';').includes('host'), 'host is signed: ' + auth.authorization);

  const cosBase = `http://127.0.0.1:${cos.port}`;
  const replay = (host, keyPath) => h.request(cosBase, keyPath, {
    method: 'PUT', headers: { Host: host, Authorization: auth.authorization }, body: 'replayed',
  });
  const keyPath = '/' + auth.cosKey;
  // Control: the very same request is accepted, so the refusals below come
  // from what was changed.
  assert.equal((await replay(h.COS_HOST, keyPath)).status, 200);

  const otherKey = keyPath.replace(/\.jpg$/, '_x.jpg');
  const r1 = await replay(h.COS_HOST, otherKey);
  assert.equal(r1.status, 403, r1.text);
  assert.equal(errorCode(r1), 'SignatureDoesNotMatch', r1.text);

  const r2 = await replay(cos.hostOf(OTHER_BUCKET), keyPath);
  assert.equal(r2.status, 403, r2.text);
  assert.equal(errorCode(r2), 'SignatureDoesNotMatch', r2.text);
  assert.equal(cos.get(auth.cosKey, OTHER_BUCKET), undefined);
  assert.equal(cos.get(otherKey.slice(1)), undefined);
});

test('with COS_SECURITY_TOKEN the token is returned and carried by the client', async (t) => {
  const token = 'sgwE2eSessionToken-' + crypto.randomBytes(6).toString('hex');
  const { cos, gw } = await setup(t, { COS_SECURITY_TOKEN: token });
  const { auth, put } = await upload(gw, cos);
  assert.equal(auth.securityToken, token);
  assert.equal(put.headers['x-cos-security-token'], token);
});

// A Mini Program may only call HTTPS hosts: the same flow against a TLS
// listener (SGW_TLS_CERT/SGW_TLS_KEY with -l), its certificate from a
// throw-away CA the phone trusts, checked by Node's TLS client.
test('the seed flow passes over HTTPS', async (t) => {
  const tls = makeTls();
  t.after(() => fs.rmSync(tls.dir, { recursive: true, force: true }));
  const { cos, gw } = await setup(t, { SGW_TLS_CERT: tls.certFile, SGW_TLS_KEY: tls.keyFile });
  assert.match(gw.base, /^https:\/\/127\.0\.0\.1:\d+$/);
  const { auth, put } = await upload(gw, cos, tls.ca);
  assert.equal(put.status, 200);
  assert.ok(auth.authorization.includes('q-header-list=host'));
});
