'use strict';
// The example policies in examples/policies/ switch on by config alone:
// a bearer-token check (auth_bearer) and a {"code":0,"data":...} envelope
// (shape_envelope).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness.js');
const { createCosStandin } = require('./lib/cos_standin.js');

const TOKEN = 'sgw-e2e-token-1'; // configs/bearer.lua

test('auth_bearer: no token 401, wrong token 403, right token a working signature', async (t) => {
  const cos = createCosStandin({
    secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: h.CREDS.COS_REGION, bucket: h.CREDS.COS_BUCKET,
  });
  await cos.listen();
  const gw = await h.start({ config: path.join(h.CONFIGS, 'bearer.lua') });
  t.after(() => Promise.all([gw.stop(), cos.close()]));

  for (const route of ['/put-sign?ext=jpg', '/post-policy?ext=jpg']) {
    const none = await h.request(gw.base, route);
    assert.equal(none.status, 401, none.text);
    assert.ok(none.json && none.json.error, none.text);
    assert.equal(none.json.authorization ?? none.json.qSignature, undefined, none.text);

    for (const bad of ['Bearer wrong-token', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`]) {
      const r = await h.request(gw.base, route, { headers: { Authorization: bad } });
      assert.equal(r.status, 403, `${bad}: ${r.text}`);
      assert.equal(r.json.authorization ?? r.json.qSignature, undefined, r.text);
    }
    // Not a bearer token at all counts as missing.
    const basic = await h.request(gw.base, route, { headers: { Authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(basic.status, 401, basic.text);
  }

  const ok = await h.request(gw.base, '/put-sign?ext=jpg', { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200, ok.text);
  // The signature works: the COS stand-in (official SDK) accepts the upload.
  const put = await h.request(`http://127.0.0.1:${cos.port}`, '/' + ok.json.cosKey, {
    method: 'PUT', headers: { Host: ok.json.cosHost, Authorization: ok.json.authorization }, body: 'bearer upload',
  });
  assert.equal(put.status, 200, put.text);
  assert.equal(cos.get(ok.json.cosKey).data.toString(), 'bearer upload');

  const post = await h.request(gw.base, '/post-policy?ext=png', { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(post.status, 200, post.text);
  assert.ok(post.json.qSignature, post.text);
});

test('shape_envelope: success bodies become {"code":0,"data":{...}}', async (t) => {
  const gw = await h.start({ config: path.join(h.CONFIGS, 'envelope.lua') });
  t.after(() => gw.stop());

  const put = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(Object.keys(put.json).sort(), ['code', 'data']);
  assert.equal(put.json.code, 0);
  assert.equal(put.json.data.cosHost, h.COS_HOST);
  assert.match(put.json.data.cosKey, /^uploads\/.*\.jpg$/);
  assert.match(put.json.data.authorization, /q-signature=[0-9a-f]{40}/);

  const post = await h.request(gw.base, '/post-policy?ext=jpg');
  assert.equal(post.status, 200, post.text);
  assert.equal(post.json.code, 0);
  for (const f of ['cosHost', 'cosKey', 'policy', 'qSignAlgorithm', 'qAk', 'qKeyTime', 'qSignature']) {
    assert.ok(post.json.data[f], `data.${f}: ${post.text}`);
  }

  // Errors are not dressed up as success.
  const bad = await h.request(gw.base, '/put-sign?ext=exe');
  assert.equal(bad.status, 400, bad.text);
  assert.notEqual(bad.json.code, 0, bad.text);
  assert.equal(bad.json.data, undefined, bad.text);
});
