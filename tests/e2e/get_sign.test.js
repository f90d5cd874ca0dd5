'use strict';
// COS mode's GET /get-sign?key=KEY: a presigned GET only for a key in the
// caller's own folder (policy/owner.lua). The URL's signature is recomputed
// by the official SDK (cos-nodejs-sdk-v5, COS.getAuthorization with the
// URL's own KeyTime) for GET /<key> with the host header; keys outside
// upload.prefix or another user's folder get 403, malformed ones 400; with
// COS_CREDENTIALS=sts the route does not exist (its credentials allow
// uploads only).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const COS = require('cos-nodejs-sdk-v5');
const h = require('./lib/harness.js');

const servers = {};

test.before(async () => {
  servers.plain = await h.start();
  servers.users = await h.start({ config: path.join(h.CONFIGS, 'bearer_users.lua') });
});

test.after(async () => {
  for (const s of Object.values(servers)) await s.stop();
});

// The q-* parameters of a COS presigned URL, checked by the SDK.
function checkUrl(url, key) {
  const u = new URL(url);
  assert.equal(u.protocol, 'https:');
  assert.equal(u.host, h.COS_HOST);
  assert.equal(decodeURIComponent(u.pathname), '/' + key);
  const q = Object.fromEntries(u.searchParams);
  assert.equal(q['q-sign-algorithm'], 'sha1');
  assert.equal(q['q-ak'], h.CREDS.COS_SECRET_ID);
  assert.equal(q['q-sign-time'], q['q-key-time']);
  assert.equal(q['q-header-list'], 'host');
  assert.equal(q['q-url-param-list'], '');
  const [start, end] = q['q-key-time'].split(';').map(Number);
  const now = Math.floor(Date.now() / 1000);
  assert.equal(end - start, 900 + 60, 'upload.expires + upload.skew');
  assert.ok(Math.abs(start - (now - 60)) <= 5, `key time starts at ${start}, now ${now}`);
  const want = COS.getAuthorization({
    SecretId: h.CREDS.COS_SECRET_ID, SecretKey: h.SECRET_KEY, Method: 'GET',
    Pathname: '/' + key, Headers: { host: h.COS_HOST }, Query: {}, KeyTime: q['q-key-time'],
  });
  assert.equal(q['q-signature'], Object.fromEntries(want.split('&').map((p) => p.split('=')))['q-signature']);
}

test('a key under upload.prefix gets a presigned GET the SDK agrees with', async () => {
  const put = await h.request(servers.plain.base, '/put-sign?ext=jpg');
  assert.equal(put.status, 200, put.text);
  const r = await h.request(servers.plain.base, `/get-sign?key=${encodeURIComponent(put.json.cosKey)}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['url']);
  assert.equal(r.headers['cache-control'], 'no-store');
  checkUrl(r.json.url, put.json.cosKey);
});

test('outside the caller\'s folder: 403; malformed: 400; no signature either way', async () => {
  for (const key of ['other/a.jpg', 'uploadsx/a.jpg', 'uploads', 'uploads/']) {
    const r = await h.request(servers.plain.base, `/get-sign?key=${encodeURIComponent(key)}`);
    assert.ok(r.status === 403 || r.status === 400, `${key}: ${r.status}`);
    assert.ok(!r.json.url, key);
  }
  for (const key of ['', 'uploads/../etc/passwd', 'uploads/a b.jpg', '/uploads/a.jpg', 'uploads//a.jpg',
    'uploads/./a.jpg', 'uploads/é.jpg', 'uploads/a.jpg%00']) {
    const r = await h.request(servers.plain.base, `/get-sign?key=${encodeURIComponent(key)}`);
    assert.equal(r.status, 400, key);
    assert.equal(r.json.error, 'bad_key');
  }
  const none = await h.request(servers.plain.base, '/get-sign');
  assert.equal(none.status, 400);
});

test('with users, only one\'s own folder', async () => {
  const alice = { Authorization: 'Bearer sgw-e2e-token-alice' };
  const bob = { Authorization: 'Bearer sgw-e2e-token-bob' };
  const put = await h.request(servers.users.base, '/put-sign?ext=png', { headers: alice });
  assert.match(put.json.cosKey, /^uploads\/alice\//);
  let r = await h.request(servers.users.base, `/get-sign?key=${encodeURIComponent(put.json.cosKey)}`, { headers: alice });
  assert.equal(r.status, 200, r.text);
  checkUrl(r.json.url, put.json.cosKey);
  r = await h.request(servers.users.base, `/get-sign?key=${encodeURIComponent(put.json.cosKey)}`, { headers: bob });
  assert.equal(r.status, 403);
  assert.equal(r.json.error, 'forbidden');
  r = await h.request(servers.users.base, `/get-sign?key=${encodeURIComponent(put.json.cosKey)}`);
  assert.equal(r.status, 401);
});

test('COS_CREDENTIALS=sts: no /get-sign', async () => {
  const r = h.runCli(['-t'], { env: { COS_CREDENTIALS: 'sts' } });
  assert.equal(r.status, 0, r.output);
  const s = await h.start({ env: { COS_CREDENTIALS: 'sts', COS_STS_ENDPOINT: 'https://127.0.0.1:9/' } });
  try {
    const g = await h.request(s.base, '/get-sign?key=uploads/a.jpg');
    assert.equal(g.status, 404);
  } finally {
    await s.stop();
  }
});
