'use strict';
// Scale-out: two signgw processes (two workers each) share nothing but one
// redis-server. Three users (JWTs made by jose) each send 200 signature
// requests at once, spread over both processes and both routes, with
// SGW_QUOTA_PER_DAY=50: exactly 50 per user succeed and the other 150 are
// 429 quota_exceeded; every key is under uploads/<that user>/; the count
// redis-cli reads for each user is 50.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const jose = require('jose');
const h = require('./lib/harness.js');
const { RedisServer } = require('./lib/redis_server.js');

const SECRET = 'sgw-scaleout-secret-8d2e';
const USERS = ['alice', 'bob_2', 'carol-3'];
const PER_USER = 200;
const QUOTA = 50;

// A keep-alive agent per process: 600 requests at once, on at most 64
// connections each (the server's defaults take that easily).
function client(gw) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    agent,
    get(route, headers) {
      return new Promise((resolve, reject) => {
        const req = http.request(gw.base + route, { headers, agent }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        req.on('error', reject);
        req.end();
      });
    },
  };
}

test('two processes, one Redis: exactly the quota per user', async (t) => {
  const redis = await RedisServer.start();
  const env = { SGW_JWT_SECRET: SECRET, SGW_REDIS_URL: redis.url(), SGW_QUOTA_PER_DAY: String(QUOTA) };
  const gws = await Promise.all([h.start({ workers: 2, env }), h.start({ workers: 2, env })]);
  const clients = gws.map(client);
  t.after(async () => {
    for (const c of clients) c.agent.destroy();
    await Promise.all(gws.map((g) => g.stop()));
    await redis.stop();
  });

  const now = Math.floor(Date.now() / 1000);
  const tokens = {};
  for (const u of USERS) {
    tokens[u] = await new jose.SignJWT({ sub: u, iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(SECRET));
  }
  const jobs = [];
  for (let i = 0; i < PER_USER; i++) {
    for (const [n, u] of USERS.entries()) {
      const c = clients[(i + n) % 2];
      const route = i % 3 === 0 ? '/post-policy?ext=png' : '/put-sign?ext=jpg';
      jobs.push(c.get(route, { Authorization: `Bearer ${tokens[u]}` }).then((r) => ({ u, r })));
    }
  }
  const results = await Promise.all(jobs);

  for (const u of USERS) {
    const mine = results.filter((x) => x.u === u).map((x) => x.r);
    const ok = mine.filter((r) => r.status === 200);
    const over = mine.filter((r) => r.status === 429);
    assert.equal(ok.length, QUOTA, `${u}: ${ok.length} succeeded`);
    assert.equal(over.length, PER_USER - QUOTA, `${u}: ${over.length} refused`);
    for (const r of over) assert.equal(r.json.error, 'quota_exceeded');
    for (const r of ok) assert.ok(r.json.cosKey.startsWith(`uploads/${u}/`), `${u} got ${r.json.cosKey}`);
    assert.equal(new Set(ok.map((r) => r.json.cosKey)).size, QUOTA, 'keys are unique');
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    assert.equal(redis.cli('GET', `sgw:quota:${day}:u:${u}`), String(QUOTA));
  }
});
