'use strict';
// GET /healthz and /readyz, answered in C. /healthz is 200 while serving
// and 503 from the moment SIGTERM starts the drain, while requests in
// flight (a route that sleeps) still finish with 200; with
// health.drain_delay_ms the listener stays open that long, so a load
// balancer sees the 503 and stops sending. /readyz is 200 once serving
// and every configured dependency answers: here a real redis-server
// (Debian package) named by SGW_REDIS_URL; when it stops, /readyz is 503
// and names redis; when it is back, 200 again.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep, freePort, until: waitUntil } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'observe.lua');
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;
const LIMITS = 'idle_timeout_ms=20000,header_timeout_ms=20000,shutdown_timeout_ms=5000';

function get(base, p, { localAddress } = {}) {
  return new Promise((resolve) => {
    const req = http.get(base + p, { agent: false, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.code || e.message }));
  });
}

const until = (what, fn, ms) => waitUntil(what, fn, ms, 100);

// A redis-server of our own on `port`, without persistence.
async function startRedis(port, dir) {
  const r = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  r.stdout.on('data', (d) => { out += d; });
  r.stderr.on('data', (d) => { out += d; });
  await until('redis-server listening', () => (/Ready to accept connections/.test(out) ? true : out.slice(-200)), 10000);
  r.stopped = new Promise((resolve) => r.on('exit', resolve));
  return r;
}

test('/healthz and /readyz while serving: 200, JSON, no caching; other methods are not theirs', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 2 });
  t.after(() => gw.stop());
  const hz = await get(gw.base, '/healthz');
  assert.equal(hz.status, 200);
  assert.deepEqual(hz.json, { status: 'ok' });
  assert.equal(hz.headers['cache-control'], 'no-store');
  const rz = await get(gw.base, '/readyz');
  assert.equal(rz.status, 200);
  assert.deepEqual(rz.json, { ready: true, status: 'serving', failing: [], checks: {} });
  const post = await new Promise((resolve) => {
    const req = http.request(gw.base + '/healthz', { method: 'POST', agent: false }, (res) => { res.resume(); resolve(res.statusCode); });
    req.end();
  });
  assert.equal(post, 404);
});

test('SIGTERM with health.drain_delay_ms: /healthz and /readyz turn 503 at once, new requests are still served during the delay, in-flight ones finish, then the listener closes', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_TEST_LIMITS: LIMITS, SGW_TEST_DRAIN_DELAY_MS: '1500' } });
  t.after(() => gw.stop(8000, { check: false }));
  const inflight = [1, 2, 3].map(() => get(gw.base, '/sleep?ms=1000'));
  await sleep(200);
  const tSig = Date.now();
  gw.child.kill('SIGTERM');
  const took = await until('/healthz 503', async () => {
    const r = await get(gw.base, '/healthz');
    return r.status === 503 ? true : r;
  }, 1000 * SLOW);
  const hz = await get(gw.base, '/healthz');
  assert.equal(hz.status, 503);
  assert.deepEqual(hz.json, { status: 'draining' });
  const rz = await get(gw.base, '/readyz');
  assert.equal(rz.status, 503);
  assert.equal(rz.json.status, 'draining');
  // Traffic that still arrives is served during the delay.
  const during = await get(gw.base, '/put-sign?ext=jpg');
  assert.equal(during.status, 200, JSON.stringify(during));
  for (const r of await Promise.all(inflight)) {
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.deepEqual(r.json, { ok: true });
  }
  // After the delay the listener closes and the process exits 0.
  await until('connections refused', async () => {
    const r = await get(gw.base, '/healthz');
    return r.error === 'ECONNREFUSED' ? true : r;
  }, 4000 * SLOW);
  const refusedAfter = Date.now() - tSig;
  assert.ok(refusedAfter >= 1400, `the listener closed ${refusedAfter} ms after SIGTERM, before the delay`);
  const ex = await gw.exited;
  assert.equal(ex.code, 0, gw.log().slice(-2000));
  assert.match(gw.log(), /signal 15: \/healthz answers 503; serving on for 1500 ms/);
  assert.match(gw.log(), /signal 15: stopping; in-flight requests have 5000 ms to finish/);
  t.diagnostic(`/healthz 503 after ${took} ms; listener closed after ${refusedAfter} ms`);
});

test('SIGTERM without a delay: a /healthz request still arriving on an open connection is answered 503, and the request in flight finishes', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_TEST_LIMITS: LIMITS } });
  t.after(() => gw.stop(8000, { check: false }));
  const sleeping = get(gw.base, '/sleep?ms=800');
  const c = await h.RawConn.open(gw.port);
  c.write('GET /healthz HTTP/1.1\r\nHost: t\r\n'); // half a request: the connection is busy
  await sleep(200);
  gw.child.kill('SIGTERM');
  await sleep(200);
  c.write('\r\n');
  const r = await c.next();
  assert.equal(r.status, 503);
  assert.deepEqual(r.json, { status: 'draining' });
  assert.match(r.headers.connection, /close/);
  const s = await sleeping;
  assert.equal(s.status, 200);
  assert.deepEqual(s.json, { ok: true });
  assert.equal((await gw.exited).code, 0);
});

test('/readyz with a real Redis (SGW_REDIS_URL): 200 while it answers, 503 naming redis when it stops, 200 again when it is back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-ready-'));
  const port = await freePort();
  let redis = await startRedis(port, dir);
  const gw = await h.start({
    config: CONFIG, workers: 2,
    env: { SGW_REDIS_URL: `redis://127.0.0.1:${port}/0`, SGW_TEST_METRICS_ALLOW: '127.0.0.1/32' },
  });
  t.after(async () => {
    await gw.stop();
    if (redis && redis.exitCode === null) { redis.kill('SIGTERM'); await redis.stopped; }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await until('ready with redis', async () => {
    const r = await get(gw.base, '/readyz');
    return r.status === 200 ? true : r.json;
  }, 5000 * SLOW);
  const ok = await get(gw.base, '/readyz');
  assert.deepEqual(ok.json, { ready: true, status: 'serving', failing: [], checks: { redis: { ok: true } } });
  assert.equal((await get(gw.base, '/healthz')).status, 200);

  redis.kill('SIGTERM');
  await redis.stopped;
  await until('not ready without redis', async () => {
    const r = await get(gw.base, '/readyz');
    return r.status === 503 ? true : r.json;
  }, 5000 * SLOW);
  const down = await get(gw.base, '/readyz');
  assert.equal(down.json.ready, false);
  assert.deepEqual(down.json.failing, ['redis']);
  assert.equal(down.json.checks.redis.ok, false);
  assert.equal(typeof down.json.checks.redis.error, 'string', 'loopback (metrics.allow) sees why');
  // A client metrics.allow does not admit sees which one, not why.
  const outside = await get(gw.base, '/readyz', { localAddress: '127.0.0.2' });
  assert.equal(outside.status, 503);
  assert.deepEqual(outside.json, { ready: false, status: 'serving', failing: ['redis'], checks: { redis: { ok: false } } });
  // The process itself is fine.
  assert.equal((await get(gw.base, '/healthz')).status, 200);
  assert.equal((await get(gw.base, '/put-sign?ext=jpg')).status, 200);
  assert.match(gw.log(), /readiness: redis is not ready/);

  redis = await startRedis(port, dir);
  await until('ready again', async () => {
    const r = await get(gw.base, '/readyz');
    return r.status === 200 ? true : r.json;
  }, 5000 * SLOW);
  assert.match(gw.log(), /readiness: redis is ready again/);
});

test('SGW_REDIS_URL that is not a Redis URL stops the start, without repeating the URL', async () => {
  await assert.rejects(h.start({ config: CONFIG, env: { SGW_REDIS_URL: 'redis://:sgwRedisPw0@127.0.0.1:notaport' } }),
    (e) => /SGW_REDIS_URL: /.test(e.message) && !e.message.includes('sgwRedisPw0'));
});
