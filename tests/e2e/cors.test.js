'use strict';
// CORS of the signing routes (lua/policy/cors.lua): SGW_CORS_ORIGINS
// lists the origins whose pages may read the answers; only those are
// echoed in Access-Control-Allow-Origin (with credentials); "*" gives any
// other origin "*", never with credentials; every answer says Vary:
// Origin; preflights answer for listed origins only. In S3 mode too.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
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

test('S3 mode: the same CORS answers', async (t) => {
  const gw = await h.start({ config: path.join(h.CONFIGS, 's3.lua'), env: { SGW_STORAGE: 's3', SGW_CORS_ORIGINS: A } });
  t.after(() => gw.stop());
  for (const route of ['/put-sign?ext=jpg', '/post-policy?ext=png']) {
    const r = await get(gw, route, { Origin: A });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['access-control-allow-origin'], A, route);
    assert.equal(r.headers.vary, 'Origin');
    assert.equal((await get(gw, route, { Origin: B })).headers['access-control-allow-origin'], undefined);
  }
  const pre = await h.request(gw.base, '/put-sign', { method: 'OPTIONS', headers: {
    Origin: A, 'Access-Control-Request-Method': 'GET' } });
  assert.equal(pre.status, 204, pre.text);
});
