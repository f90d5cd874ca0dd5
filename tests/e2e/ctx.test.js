'use strict';
// ctx is per request: what a handler stores in ctx is its own, across
// waits and while other requests run on the same worker, and nothing of
// it is left for the next request. The user a permission check returns
// lands on ctx.user, shape code sees it, and with upload.user_segment
// the key goes into the user's folder (signatures checked by the COS
// stand-in, i.e. the official SDK); a user that is not 1 to 64 of
// [A-Za-z0-9_-] gets 403 and no signature.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');
const { createCosStandin } = require('./lib/cos_standin.js');

test('-w 1: u=alice reads back alice after gw.sleep while u=bob runs meanwhile', async (t) => {
  const gw = await h.start({ workers: 1 });
  t.after(() => gw.stop());
  const alice = h.request(gw.base, '/ctx?u=alice&ms=400');
  await sleep(100); // alice is inside gw.sleep now
  const bob = await h.request(gw.base, '/ctx?u=bob&ms=0');
  assert.equal(bob.status, 200, bob.text);
  assert.equal(bob.json.u, 'bob', bob.text);
  assert.equal(bob.json.left, undefined, `bob saw what alice stored: ${bob.text}`);
  const a = await alice;
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.u, 'alice', `alice's ctx after the wait: ${a.text}`);
  assert.equal(a.json.left, undefined, a.text);
});

test('-w 1: 60 interleaved requests each keep their own ctx; the next ones start empty', async (t) => {
  const gw = await h.start({ workers: 1 });
  t.after(() => gw.stop());
  const names = Array.from({ length: 60 }, (_, i) => `user${i}`);
  const rs = await Promise.all(names.map((u, i) => h.request(gw.base, `/ctx?u=${u}&ms=${(i * 37) % 200}`)));
  rs.forEach((r, i) => {
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { u: names[i] }, `request ${i}`);
  });
  // The coroutines are reused now: their ctx must have been emptied.
  for (let i = 0; i < 20; i++) {
    const r = await h.request(gw.base, '/ctx');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, {}, `a reused coroutine's ctx kept something: ${r.text}`);
  }
});

async function standin(t) {
  const cos = createCosStandin({
    secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: h.CREDS.COS_REGION, bucket: h.CREDS.COS_BUCKET,
  });
  await cos.listen();
  t.after(() => cos.close());
  return cos;
}

// PUTs `body` with the answer's signature to the stand-in.
function upload(cos, answer, body) {
  return h.request(`http://127.0.0.1:${cos.port}`, '/' + answer.cosKey, {
    method: 'PUT', headers: { Host: answer.cosHost, Authorization: answer.authorization }, body,
  });
}

const KEY = (user, ext) => new RegExp(`^uploads/${user}/\\d{8}/\\d+_[0-9a-f]{32}\\.${ext}$`);

test('user_segment: the user from auth.check is ctx.user, the key folder, and seen by shape', async (t) => {
  const cos = await standin(t);
  const gw = await h.start({ config: path.join(h.CONFIGS, 'users.lua') });
  t.after(() => gw.stop());

  for (const user of ['alice', 'Bob_2', 'x-y', 'a'.repeat(64), '42']) {
    const r = await h.request(gw.base, '/put-sign?ext=jpg', { headers: { 'X-User': user } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.cosKey, KEY(user, 'jpg'));
    assert.equal(String(r.json.user), user, 'the shape saw ctx.user');
    const put = await upload(cos, r.json, `upload by ${user}`);
    assert.equal(put.status, 200, put.text);
    assert.equal(cos.get(r.json.cosKey).data.toString(), `upload by ${user}`);
  }
  const post = await h.request(gw.base, '/post-policy?ext=png', { headers: { 'X-User': 'alice' } });
  assert.equal(post.status, 200, post.text);
  assert.match(post.json.cosKey, KEY('alice', 'png'));
  const policy = JSON.parse(Buffer.from(post.json.policy, 'base64').toString());
  assert.ok(policy.conditions.some((c) => c.key === post.json.cosKey), 'the policy pins the user\'s key');
});

test('user_segment: a user outside [A-Za-z0-9_-]{1,64}, or none, gets 403 and no signature', async (t) => {
  const gw = await h.start({ config: path.join(h.CONFIGS, 'users.lua') });
  t.after(() => gw.stop());
  const bad = ['../etc', 'a/b', '.', '..', 'a.b', 'al ice', 'a'.repeat(65), '%2e%2e', 'ü', '-1', ''];
  for (const route of ['/put-sign?ext=jpg', '/post-policy?ext=jpg']) {
    for (const user of [...bad, undefined]) {
      const headers = user === undefined ? {} : { 'X-User': user };
      const r = await h.request(gw.base, route, { headers });
      assert.equal(r.status, 403, `${route} user ${JSON.stringify(user)}: ${r.text}`);
      assert.equal(r.json.error, 'forbidden', r.text);
      assert.equal(r.json.authorization ?? r.json.qSignature ?? r.json.cosKey, undefined, r.text);
    }
  }
  // Without user_segment the same users are fine: the rule is the key's.
  const plain = await h.start({ config: path.join(h.CONFIGS, 'test.lua') });
  t.after(() => plain.stop());
  const r = await h.request(plain.base, '/put-sign?ext=jpg', { headers: { 'X-User': '../etc' } });
  assert.equal(r.status, 200, r.text);
});

test('auth_bearer with tokens mapped to users: each token uploads into its user\'s folder', async (t) => {
  const cos = await standin(t);
  const gw = await h.start({ config: path.join(h.CONFIGS, 'bearer_users.lua') });
  t.after(() => gw.stop());
  for (const user of ['alice', 'bob']) {
    const r = await h.request(gw.base, '/put-sign?ext=jpg', { headers: { Authorization: `Bearer sgw-e2e-token-${user}` } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.cosKey, KEY(user, 'jpg'));
    const put = await upload(cos, r.json, user);
    assert.equal(put.status, 200, put.text);
  }
  const wrong = await h.request(gw.base, '/put-sign?ext=jpg', { headers: { Authorization: 'Bearer sgw-e2e-token-eve' } });
  assert.equal(wrong.status, 403, wrong.text);
});
