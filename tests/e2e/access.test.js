'use strict';
// The shipped policies, switched on by environment variables alone, with
// the shipped config (through configs/test.lua):
// - SGW_JWT_SECRET: tokens made by jose (an independent JWT library) in
//   Authorization: Bearer or the cookie; 401 with WWW-Authenticate: Bearer
//   for a missing, expired, tampered, wrong-key, wrong-alg (HS384 and
//   HS512 with the same secret), alg:none, wrong iss/aud token; 403 for a
//   sub that cannot name a folder; keys under <prefix><sub>/YYYYMMDD/; the
//   signature for that key accepted by the COS stand-in (official SDK);
//   SGW_JWT_ALGS, SGW_JWT_COOKIE, SGW_JWT_LEEWAY, SGW_JWT_SECRET_FILE.
// - SGW_SESSION_COOKIE + SGW_REDIS_URL: the user is what redis-cli stored
//   under session:<id>; 401 without a session; 503 when Redis is down,
//   even with SGW_REDIS_FAIL_OPEN=1.
// - SGW_QUOTA_PER_DAY: per user per UTC day, 429 quota_exceeded with
//   Retry-After; the count redis-cli reads; by client address without
//   login; Redis down: 503 unavailable, or allowed with a warning under
//   SGW_REDIS_FAIL_OPEN=1.
// - SGW_TRUSTED_PROXIES: X-Forwarded-For / X-Real-IP count only from a
//   trusted peer (seen through the quota's per-address keys in Redis).
// No secret in any answer or log line.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const jose = require('jose');
const h = require('./lib/harness.js');
const { RedisServer, sleep } = require('./lib/redis_server.js');
const { createCosStandin } = require('./lib/cos_standin.js');

const SECRET = 'sgw-access-test-secret-Ω-5b1f0c9e';
const ISSUER = 'https://login.example';
const AUDIENCE = 'signgw-uploads';

const utcDay = () => new Date().toISOString().slice(0, 10).replace(/-/g, '');

function sign(claims, { alg = 'HS256', key = Buffer.from(SECRET), header = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg, ...header }).sign(key);
}

// GET with optional headers, from an optional local address (127.0.0.x).
function get(gw, route, { headers = {}, from } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(gw.base + route, { headers, agent: false, localAddress: from }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        h.assertNoSecret(text, route);
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = (token) => ({ Authorization: `Bearer ${token}` });

function assertRefused(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.json.error, code, `${what}: ${r.text}`);
  assert.equal(r.json.authorization, undefined, `${what}: a signature was given`);
  assert.equal(r.json.qSignature, undefined, `${what}: a policy was given`);
  assert.ok(!r.text.includes(SECRET), `${what}: the secret is in the answer`);
}

test('SGW_JWT_SECRET: bearer and cookie tokens, 401 and 403, keys under the user', async (t) => {
  const cos = createCosStandin({
    secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: h.CREDS.COS_REGION, bucket: h.CREDS.COS_BUCKET,
  });
  await cos.listen();
  const gw = await h.start({ workers: 2, env: { SGW_JWT_SECRET: SECRET, SGW_JWT_ISSUER: ISSUER, SGW_JWT_AUDIENCE: AUDIENCE } });
  t.after(() => Promise.all([gw.stop(), cos.close()]));
  const good = { sub: 'user_7', iss: ISSUER, aud: AUDIENCE };

  await t.test('a valid token: 200, the key is under uploads/<sub>/, COS accepts the upload', async () => {
    const token = await sign(good);
    const r = await get(gw, '/put-sign?ext=jpg', { headers: bearer(token) });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.cosKey, new RegExp(`^uploads/user_7/${utcDay()}/\\d+_[0-9a-f]{32}\\.jpg$`));
    const put = await h.request(`http://127.0.0.1:${cos.port}`, '/' + r.json.cosKey, {
      method: 'PUT', headers: { Host: r.json.cosHost, Authorization: r.json.authorization }, body: 'data',
    });
    assert.equal(put.status, 200, put.text);
    assert.ok(cos.get(r.json.cosKey), 'stored');
    const p = await get(gw, '/post-policy?ext=png', { headers: bearer(token) });
    assert.equal(p.status, 200, p.text);
    assert.match(p.json.cosKey, /^uploads\/user_7\/\d{8}\//);
    // The cookie "token" works the same.
    const c = await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: `theme=dark; token=${token}; x=1` } });
    assert.equal(c.status, 200, c.text);
    assert.match(c.json.cosKey, /^uploads\/user_7\//);
  });

  await t.test('missing or refused tokens: 401 with WWW-Authenticate: Bearer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = await sign(good);
    const [h0, p0, s0] = valid.split('.');
    const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const cases = [
      ['no token', {}],
      ['Basic credentials', { Authorization: 'Basic dXNlcjpwYXNz' }],
      ['empty bearer', { Authorization: 'Bearer ' }],
      ['expired', bearer(await sign({ ...good, exp: now - 120 }))],
      ['not yet valid', bearer(await sign({ ...good, nbf: now + 300 }))],
      ['no exp', bearer(await new jose.SignJWT(good).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(SECRET)))],
      ['another secret', bearer(await sign(good, { key: Buffer.from(SECRET + '!') }))],
      ['HS384 with the same secret', bearer(await sign(good, { alg: 'HS384' }))],
      ['HS512 with the same secret', bearer(await sign(good, { alg: 'HS512' }))],
      ['alg none', bearer(new jose.UnsecuredJWT(good).setIssuedAt().setExpirationTime('5m').encode())],
      ['other issuer', bearer(await sign({ ...good, iss: 'https://evil.example' }))],
      ['other audience', bearer(await sign({ ...good, aud: 'someone-else' }))],
      ['tampered header', bearer(`${flip(h0)}.${p0}.${s0}`)],
      ['tampered payload', bearer(`${h0}.${Buffer.from(JSON.stringify({ ...good, sub: 'admin', exp: now + 300 })).toString('base64url')}.${s0}`)],
      ['tampered signature', bearer(`${h0}.${p0}.${flip(s0)}`)],
      ['garbage', bearer('not.a.token')],
      ['oversized', bearer('a'.repeat(9000))],
      ['cookie with a bad token', { Cookie: 'token=abc.def.ghi' }],
    ];
    for (const [what, headers] of cases) {
      for (const route of ['/put-sign?ext=jpg', '/post-policy?ext=jpg']) {
        const r = await get(gw, route, { headers });
        assertRefused(r, 401, 'unauthorized', what);
        assert.match(r.headers['www-authenticate'] || '', /^Bearer/, `${what}: WWW-Authenticate`);
      }
    }
  });

  await t.test('a sub that cannot name a folder: 403', async () => {
    for (const sub of ['../etc', 'a/b', 'user.name', 'a b', '', 'x'.repeat(65), 'ü']) {
      const r = await get(gw, '/put-sign?ext=jpg', { headers: bearer(await sign({ ...good, sub })) });
      assertRefused(r, 403, 'forbidden', `sub ${JSON.stringify(sub)}`);
    }
    const unsigned = (claims) => new jose.SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(SECRET));
    assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bearer(await unsigned({ iss: ISSUER, aud: AUDIENCE })) }),
      403, 'forbidden', 'no sub');
    // RFC 7519: sub is a string; a number makes the token malformed (401).
    assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bearer(await unsigned({ ...good, sub: 42 })) }),
      401, 'unauthorized', 'numeric sub');
    const ok = await get(gw, '/put-sign?ext=jpg', { headers: bearer(await sign({ ...good, sub: 'A-z_09'.padEnd(64, 'x') })) });
    assert.equal(ok.status, 200, ok.text);
  });

  await t.test('a bad ext is still a 400 for a valid token', async () => {
    const r = await get(gw, '/put-sign?ext=php', { headers: bearer(await sign(good)) });
    assertRefused(r, 400, 'ext_not_allowed', 'ext php');
  });

  await t.test('the secret is in no log line', () => {
    assert.ok(!gw.log().includes(SECRET));
  });
});

test('SGW_JWT_ALGS, SGW_JWT_COOKIE, SGW_JWT_LEEWAY and SGW_JWT_SECRET_FILE', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-access-'));
  const file = path.join(dir, 'jwt-secret');
  fs.writeFileSync(file, SECRET + '\n'); // an editor's final newline is not part of it
  const gw = await h.start({
    env: { SGW_JWT_SECRET_FILE: file, SGW_JWT_ALGS: 'HS256,HS384', SGW_JWT_COOKIE: 'jwt', SGW_JWT_LEEWAY: '0' },
  });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const now = Math.floor(Date.now() / 1000);

  const hs384 = await sign({ sub: 'u1' }, { alg: 'HS384' });
  assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: bearer(hs384) })).status, 200, 'HS384 allowed by SGW_JWT_ALGS');
  const hs512 = await sign({ sub: 'u1' }, { alg: 'HS512' });
  assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bearer(hs512) }), 401, 'unauthorized', 'HS512 not listed');
  const ok = await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: `jwt=${await sign({ sub: 'u2' })}` } });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.json.cosKey, /^uploads\/u2\//);
  assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: `token=${await sign({ sub: 'u2' })}` } }),
    401, 'unauthorized', 'the default cookie name is not read');
  // Leeway 0: a token expired 10 s ago is refused (with the default 30 s it passes, above).
  assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bearer(await sign({ sub: 'u3', exp: now - 10 })) }),
    401, 'unauthorized', 'expired with leeway 0');
  // A verified token is remembered, but never past its exp.
  const short = await sign({ sub: 'u4', exp: Math.floor(Date.now() / 1000) + 2 });
  for (let i = 0; i < 3; i++) assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: bearer(short) })).status, 200);
  await sleep(2100 + 1000 - (Date.now() % 1000));
  assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bearer(short) }), 401, 'unauthorized', 'expired while remembered');
  assert.ok(!gw.log().includes(SECRET));
});

test('the default leeway forgives 30 s of clock skew', async (t) => {
  const gw = await h.start({ env: { SGW_JWT_SECRET: SECRET } });
  t.after(() => gw.stop());
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: bearer(await sign({ sub: 'u', exp: now - 10 })) })).status, 200);
  assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: bearer(await sign({ sub: 'u', exp: now - 60 })) })).status, 401);
});

test('sessions in Redis, quotas per user and per address, trusted proxies', async (t) => {
  const redis = await RedisServer.start();
  t.after(() => redis.stop());

  await t.test('SGW_SESSION_COOKIE: the user is the session\'s value', async () => {
    const gw = await h.start({ workers: 2, env: { SGW_SESSION_COOKIE: 'sid', SGW_REDIS_URL: redis.url(), SGW_REDIS_FAIL_OPEN: '1' } });
    try {
      redis.cli('SET', 'session:abc123', 'alice', 'EX', '600');
      redis.cli('SET', 'session:bad-user', '../bob');
      const ok = await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: 'lang=en; sid=abc123' } });
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.json.cosKey, new RegExp(`^uploads/alice/${utcDay()}/`));
      assertRefused(await get(gw, '/put-sign?ext=jpg'), 401, 'unauthorized', 'no cookie');
      assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: 'sid=nosuch' } }), 401, 'unauthorized', 'unknown session');
      assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: 'sid=bad-user' } }), 403, 'forbidden', 'bad user');
      redis.cli('DEL', 'session:abc123'); // logged out
      assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: 'sid=abc123' } }), 401, 'unauthorized', 'logged out');
      // Redis down: nobody can be known, so 503 even with FAIL_OPEN.
      await redis.kill();
      const down = await get(gw, '/put-sign?ext=jpg', { headers: { Cookie: 'sid=abc123' } });
      assertRefused(down, 503, 'unavailable', 'Redis down');
    } finally {
      if (!redis.child) await redis.restart();
      await gw.stop();
    }
  });

  await t.test('SGW_QUOTA_PER_DAY with JWT users: N a day each, then 429', async () => {
    const gw = await h.start({ workers: 2, env: { SGW_JWT_SECRET: SECRET, SGW_REDIS_URL: redis.url(), SGW_QUOTA_PER_DAY: '3' } });
    try {
      const alice = bearer(await sign({ sub: 'alice' }));
      const bob = bearer(await sign({ sub: 'bob' }));
      for (let i = 0; i < 3; i++) assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: alice })).status, 200);
      const over = await get(gw, '/post-policy?ext=jpg', { headers: alice });
      assertRefused(over, 429, 'quota_exceeded', '4th of alice');
      const retry = Number(over.headers['retry-after']);
      const toMidnight = 86400 - (Math.floor(Date.now() / 1000) % 86400);
      assert.ok(Math.abs(retry - toMidnight) <= 2, `Retry-After ${retry}, ${toMidnight} s to UTC midnight`);
      assert.equal((await get(gw, '/put-sign?ext=jpg', { headers: bob })).status, 200, 'bob has his own quota');
      // A refused request (bad ext) takes nothing.
      assert.equal((await get(gw, '/put-sign?ext=exe', { headers: bob })).status, 400);
      assert.equal(redis.cli('GET', `sgw:quota:${utcDay()}:u:alice`), '3');
      assert.equal(redis.cli('GET', `sgw:quota:${utcDay()}:u:bob`), '1');
      const ttl = Number(redis.cli('TTL', `sgw:quota:${utcDay()}:u:alice`));
      assert.ok(ttl > 0 && ttl <= 86400 + 3600, `TTL ${ttl}`);
      // Redis down: 503 unavailable (fail closed).
      await redis.kill();
      assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: bob }), 503, 'unavailable', 'Redis down');
    } finally {
      if (!redis.child) await redis.restart();
      await gw.stop();
    }
  });

  await t.test('SGW_REDIS_FAIL_OPEN=1: allowed with a warning while Redis is down', async () => {
    const gw = await h.start({ workers: 1, env: { SGW_REDIS_URL: redis.url(), SGW_QUOTA_PER_DAY: '1', SGW_REDIS_FAIL_OPEN: '1' } });
    try {
      await redis.kill();
      for (let i = 0; i < 3; i++) assert.equal((await get(gw, '/put-sign?ext=jpg')).status, 200);
      assert.match(gw.log(), /quota: Redis failed \(.*\); allowing \(SGW_REDIS_FAIL_OPEN=1\)/);
      assert.equal(gw.log().match(/quota: Redis failed/g).length, 1, 'one warning, not one per request');
    } finally {
      if (!redis.child) await redis.restart();
      await gw.stop();
    }
  });

  await t.test('the quota in S3 mode', async () => {
    const gw = await h.start({
      env: { SGW_REDIS_URL: redis.url(), SGW_QUOTA_PER_DAY: '1', SGW_JWT_SECRET: SECRET, SGW_STORAGE: 's3',
        S3_BUCKET: 'quota-bucket', S3_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    try {
      const carol = bearer(await sign({ sub: 'carol_s3' }));
      const first = await get(gw, '/put-sign?ext=jpg', { headers: carol });
      assert.equal(first.status, 200, first.text);
      assert.match(first.json.url || JSON.stringify(first.json), /uploads\/carol_s3\//);
      const second = await get(gw, '/post-policy?ext=jpg', { headers: carol });
      assert.equal(second.status, 429, second.text);
      assert.equal(second.json.error, 'quota_exceeded');
      assert.equal(redis.cli('GET', `sgw:quota:${utcDay()}:u:carol_s3`), '1');
    } finally {
      await gw.stop();
    }
  });

  await t.test('no login: the quota counts per client address; proxies only when trusted', async () => {
    redis.cli('FLUSHALL');
    const gw = await h.start({
      env: { SGW_REDIS_URL: redis.url(), SGW_QUOTA_PER_DAY: '2', SGW_TRUSTED_PROXIES: '127.0.0.1/32, 10.0.0.0/8' },
    });
    try {
      const day = utcDay();
      const key = (who) => `sgw:quota:${day}:ip:${who}`;
      // From a trusted proxy (127.0.0.1): the rightmost untrusted hop.
      await get(gw, '/put-sign?ext=jpg', { headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9, 10.1.1.1' } });
      assert.equal(redis.cli('GET', key('203.0.113.9')), '1');
      // Several X-Forwarded-For lines count as one list (the client's own first).
      await get(gw, '/put-sign?ext=jpg', { headers: { 'X-Forwarded-For': ['6.6.6.6', '203.0.113.9'] } });
      assert.equal(redis.cli('GET', key('203.0.113.9')), '2');
      assert.equal(redis.cli('EXISTS', key('6.6.6.6')), '0');
      assertRefused(await get(gw, '/put-sign?ext=jpg', { headers: { 'X-Forwarded-For': '203.0.113.9' } }),
        429, 'quota_exceeded', '3rd from 203.0.113.9');
      await get(gw, '/put-sign?ext=jpg', { headers: { 'X-Real-IP': '192.0.2.5' } });
      assert.equal(redis.cli('GET', key('192.0.2.5')), '1');
      await get(gw, '/put-sign?ext=jpg', { headers: { 'X-Forwarded-For': 'garbage, 10.2.2.2' } });
      assert.equal(redis.cli('GET', key('10.2.2.2')), '1', 'a garbled hop stops at the last trusted one');
      // From an untrusted peer (127.0.0.2): the headers are ignored.
      await get(gw, '/put-sign?ext=jpg', { from: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.50', 'X-Real-IP': '203.0.113.51' } });
      assert.equal(redis.cli('GET', key('127.0.0.2')), '1');
      assert.equal(redis.cli('EXISTS', key('203.0.113.50')), '0');
      assert.equal(redis.cli('EXISTS', key('203.0.113.51')), '0');
      // No proxy headers from the trusted peer: the peer itself.
      await get(gw, '/put-sign?ext=jpg');
      assert.equal(redis.cli('GET', key('127.0.0.1')), '1');
    } finally {
      await gw.stop();
    }
  });
});
