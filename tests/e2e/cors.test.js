'use strict';
// CORS of the signing routes (lua/policy/cors.lua) and /get-sign.
// - SGW_CORS_ORIGINS lists the origins whose pages may read the answers:
//   only those are echoed in Access-Control-Allow-Origin (with
//   credentials); "*" gives any other origin "*", never with credentials;
//   every answer says Vary: Origin; preflights answer for listed origins.
// - /get-sign presigns a download only under the caller's own folder
//   (upload.prefix, and the user's folder with upload.user_segment).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const COS = require('cos-nodejs-sdk-v5');
const h = require('./lib/harness.js');

const A = 'http://app.test:8080';
const B = 'https://b.example.com';

function get(gw, p, headers = {}) {
  return h.request(gw.base, p, { headers });
}

test('only listed origins are echoed, with credentials; Vary: Origin always', async (t) => {
  const gw = await h.start({ env: { SGW_CORS_ORIGINS: `${A}, ${B}` } });
  t.after(() => gw.stop());
  for (const route of ['/put-sign?ext=jpg', '/post-policy?ext=png', '/put-sign?ext=php']) {
    const ok = await get(gw, route, { Origin: B });
    assert.equal(ok.headers['access-control-allow-origin'], B, route);
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    assert.equal(ok.headers.vary, 'Origin');
    const evil = await get(gw, route, { Origin: 'https://evil.test' });
    assert.equal(evil.headers['access-control-allow-origin'], undefined, 'an unlisted origin gets nothing');
    assert.equal(evil.headers.vary, 'Origin');
    const none = await get(gw, route);
    assert.equal(none.headers['access-control-allow-origin'], undefined);
    assert.equal(none.headers.vary, 'Origin');
    assert.equal(ok.status, none.status, 'CORS changes no answer');
  }
  // Preflights.
  const pre = await h.request(gw.base, '/put-sign', { method: 'OPTIONS', headers: {
    Origin: A, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
  assert.equal(pre.status, 204, pre.text);
  assert.equal(pre.headers['access-control-allow-origin'], A);
  assert.equal(pre.headers['access-control-allow-methods'], 'GET');
  assert.match(pre.headers['access-control-allow-headers'], /\bauthorization\b/);
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.equal(pre.headers.vary, 'Origin');
  for (const [what, headers, status] of [
    ['an unlisted origin', { Origin: 'http://app.test:8081', 'Access-Control-Request-Method': 'GET' }, 403],
    ['a method the routes do not take', { Origin: A, 'Access-Control-Request-Method': 'DELETE' }, 403],
    ['no preflight at all', { Origin: A }, 400],
  ]) {
    const r = await h.request(gw.base, '/post-policy', { method: 'OPTIONS', headers });
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(r.headers['access-control-allow-origin'], undefined, what);
  }
  assert.equal((await h.request(gw.base, '/get-sign', { method: 'OPTIONS', headers: {
    Origin: A, 'Access-Control-Request-Method': 'GET' } })).status, 204);
});

test('"*" allows any origin, but never with credentials; bad origins fail the config', async (t) => {
  const gw = await h.start({ env: { SGW_CORS_ORIGINS: `* ${A}` } });
  t.after(() => gw.stop());
  const any = await get(gw, '/put-sign?ext=jpg', { Origin: 'https://whoever.test' });
  assert.equal(any.headers['access-control-allow-origin'], '*');
  assert.equal(any.headers['access-control-allow-credentials'], undefined);
  const listed = await get(gw, '/put-sign?ext=jpg', { Origin: A });
  assert.equal(listed.headers['access-control-allow-origin'], A);
  assert.equal(listed.headers['access-control-allow-credentials'], 'true');

  for (const bad of ['https://app.test/', 'app.test', 'https://app.test/path', 'null']) {
    const r = h.runCli(['-t', '-c', path.join(h.CONFIGS, 'test.lua')], { env: { SGW_CORS_ORIGINS: bad } });
    assert.equal(r.status, 1, `${bad}: ${r.output}`);
    assert.match(r.output, /test\.lua: cors\.origins: .* is not an origin/, r.output);
  }
});

test('/get-sign presigns only keys in the caller\'s own folder', async (t) => {
  const gw = await h.start({ config: path.join(h.CONFIGS, 'users.lua') });
  t.after(() => gw.stop());
  const alice = { 'X-User': 'alice' };
  const put = await get(gw, '/put-sign?ext=jpg', alice);
  assert.match(put.json.cosKey, /^uploads\/alice\//);
  const r = await get(gw, '/get-sign?key=' + encodeURIComponent(put.json.cosKey), alice);
  assert.equal(r.status, 200, r.text);
  const url = new URL(r.json.url);
  assert.equal(url.protocol, 'https:');
  assert.equal(url.host, h.COS_HOST);
  assert.equal(url.pathname, '/' + put.json.cosKey);
  assert.ok(url.searchParams.get('q-signature'), r.json.url);
  assert.equal(r.headers['cache-control'], 'no-store');
  for (const [what, key, user, status, code] of [
    ['another user\'s file', put.json.cosKey, { 'X-User': 'bob' }, 403, 'forbidden'],
    ['outside the upload prefix', 'private/alice/x.jpg', alice, 403, 'forbidden'],
    ['the folder itself', 'uploads/alice/', alice, 400, 'invalid_key'],
    ['".."', 'uploads/alice/../bob/x.jpg', alice, 400, 'invalid_key'],
    ['no key', '', alice, 400, 'key_required'],
    ['odd bytes', 'uploads/alice/a b.jpg', alice, 400, 'invalid_key'],
  ]) {
    const res = await get(gw, '/get-sign?key=' + encodeURIComponent(key), user);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.json.error, code, what);
  }
});

test('/get-sign without user folders: anything under upload.prefix', async (t) => {
  const gw = await h.start();
  t.after(() => gw.stop());
  const ok = await get(gw, '/get-sign?key=uploads/20261130/x.jpg');
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await get(gw, '/get-sign?key=other/x.jpg')).status, 403);
  // The signature is the one the official SDK makes for GET of that key.
  const q = new URL(ok.json.url).searchParams;
  const want = COS.getAuthorization({
    SecretId: h.CREDS.COS_SECRET_ID, SecretKey: h.SECRET_KEY, Method: 'get',
    Pathname: '/uploads/20261130/x.jpg', Headers: { host: h.COS_HOST }, KeyTime: q.get('q-key-time'),
  });
  assert.equal(q.get('q-signature'), new URLSearchParams(want).get('q-signature'));
});
