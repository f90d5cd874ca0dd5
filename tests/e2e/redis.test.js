'use strict';
// gw.redis in real workers against real redis-servers started here: the
// Lua spec spec/redis.lua (reply types, arrays, errors, pipelines, eval,
// misuse, a reply too large); EVALSHA first and EVAL only after NOSCRIPT,
// as counted by the server itself (INFO commandstats through redis-cli);
// a command timeout while the server sleeps (DEBUG SLEEP); the server
// killed mid-run (503 within the timeout) and recovery after a restart;
// a request that goes away while its command waits; AUTH with a
// password and db selection from the URL, checked with redis-cli; no
// password in any answer or log line; and a clean, prompt stop with
// pooled connections open.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const net = require('node:net');
const h = require('./lib/harness.js');
const { RedisServer, sleep } = require('./lib/redis_server.js');
const { SLOW } = require('./lib/scratch.js');

const CONFIG = path.join(h.CONFIGS, 'redis.lua');
const PASSWORD = 'sgw-Redis-Pass-7f3e9a';
const WRONG = 'sgw-Wrong-Pass-41c2d8';

function op(gw, body) {
  return h.request(gw.base, '/redis', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

test('gw.redis against real redis-servers', async (t) => {
  const plain = await RedisServer.start();
  const authed = await RedisServer.start({ password: PASSWORD });
  const gw = await h.start({
    config: CONFIG, workers: 2,
    env: {
      SGW_REDIS_URL: plain.url(),
      SGW_TEST_REDIS_AUTH: authed.url(2),
      SGW_TEST_REDIS_BADAUTH: authed.url(0, WRONG),
      SGW_TEST_REDIS_NOAUTH: authed.url(0, null),
    },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await gw.stop();
    await plain.stop();
    await authed.stop();
  });

  await t.test('Lua spec redis (in each worker)', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await h.request(gw.base, '/spec?name=redis');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.failures, [], r.json.failures.join('\n'));
      assert.ok(r.json.passed >= 10, r.text);
    }
  });

  await t.test('eval sends EVALSHA, and EVAL only when the script is unknown', async () => {
    plain.cli('SCRIPT', 'FLUSH');
    plain.cli('CONFIG', 'RESETSTAT');
    const script = 'return tonumber(ARGV[1]) * 2';
    for (let i = 1; i <= 5; i++) {
      const r = await op(gw, { op: 'eval', script, keys: [], args: [i] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.value, i * 2);
    }
    const calls = plain.commandCalls();
    assert.equal(calls.evalsha, 5, JSON.stringify(calls));
    assert.equal(calls.eval, 1, JSON.stringify(calls));
  });

  await t.test('a pipeline goes out as one batch', async () => {
    const args = Array.from({ length: 50 }, (_, i) => ['SET', `pipe:${i}`, String(i)]);
    args.push(['MGET', 'pipe:0', 'pipe:49', 'pipe:none']);
    const r = await op(gw, { op: 'pipeline', args });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.value.length, 51);
    assert.ok(r.json.value.slice(0, 50).every((v) => v === 'OK'));
    assert.deepEqual(r.json.value[50], ['0', '49', null]);
    assert.equal(plain.cli('GET', 'pipe:17'), '17', 'redis-cli sees the values');
  });

  await t.test('a command timeout while the server sleeps', async () => {
    assert.equal((await op(gw, { op: 'call', args: ['PING'], timeout_ms: 200 })).status, 200);
    const sleeping = plain.cliAsync('DEBUG', 'SLEEP', '1.5');
    await sleep(100);
    const [r, ms] = await timed(() => op(gw, { op: 'call', args: ['PING'], timeout_ms: 200 }));
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.kind, 'timeout', r.text);
    assert.match(r.json.err, /no reply within 200 ms|no connection within 200 ms/);
    assert.ok(ms >= 150 && ms < 800 * SLOW, `answered after ${ms} ms`);
    await sleeping;
    const again = await op(gw, { op: 'call', args: ['PING'], timeout_ms: 200 });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.value, 'PONG');
  });

  await t.test('a request that goes away while its command waits', async () => {
    const sleeping = plain.cliAsync('DEBUG', 'SLEEP', '0.6');
    await sleep(100);
    // Several clients send a slow command and hang up at once.
    const body = JSON.stringify({ op: 'call', args: ['INCR', 'cancelled'], timeout_ms: 5000 });
    for (let i = 0; i < 10; i++) {
      const sock = net.connect(gw.port, '127.0.0.1');
      sock.on('error', () => {});
      sock.write(`POST /redis HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      setTimeout(() => sock.destroy(), 100);
    }
    await sleep(250);
    await sleeping;
    const r = await op(gw, { op: 'call', args: ['PING'] });
    assert.equal(r.status, 200, r.text);
    // The commands may still have run: the server, not the gateway, says so.
    assert.ok(Number(plain.cli('GET', 'cancelled')) <= 10);
  });

  await t.test('redis killed mid-run: 503 within the timeout, then recovery', async () => {
    // Load on both workers while the server dies and comes back.
    let running = true;
    const statuses = [];
    const load = (async () => {
      while (running) {
        const [r, ms] = await timed(() => op(gw, { op: 'call', args: ['INCR', 'load'] }));
        statuses.push({ status: r.status, kind: r.json && r.json.kind, ms });
        await sleep(5);
      }
    })();
    await sleep(200);
    await plain.kill();
    const down = [];
    for (let i = 0; i < 10; i++) {
      const [r, ms] = await timed(() => op(gw, { op: 'call', args: ['INCR', 'x'] }));
      down.push({ status: r.status, kind: r.json.kind, ms });
      assert.ok(!r.text.includes(PASSWORD));
    }
    for (const d of down) {
      assert.equal(d.status, 503, JSON.stringify(down));
      assert.equal(d.kind, 'unavailable', JSON.stringify(down));
      assert.ok(d.ms < 600 * SLOW, `a 503 took ${d.ms} ms (timeout 500 ms)`);
    }
    await plain.restart();
    const t0 = Date.now();
    let ok = null;
    while (Date.now() - t0 < 6000) {
      const r = await op(gw, { op: 'call', args: ['PING'] });
      if (r.status === 200) { ok = Date.now() - t0; break; }
      await sleep(50);
    }
    running = false;
    await load;
    assert.ok(ok !== null, 'no recovery within 6 s of the restart');
    // Both workers recover: a worker whose connections are still backing
    // off (at most 2 s, the client's longest back-off) answers 503 until
    // its next attempt; after that every request succeeds.
    const batch = async () => {
      const rs = await Promise.all(Array.from({ length: 40 }, () => op(gw, { op: 'call', args: ['PING'] })));
      return [...new Set(rs.map((r) => r.status))].sort();
    };
    const t1 = Date.now();
    let statusesNow = await batch();
    while (statusesNow.join() !== '200' && Date.now() - t1 < 2500 * SLOW) {
      assert.deepEqual(statusesNow.filter((s) => s !== 200 && s !== 503), [], String(statusesNow));
      await sleep(100);
      statusesNow = await batch();
    }
    assert.deepEqual(statusesNow, [200], `not every worker recovered within ${Date.now() - t1} ms`);
    assert.deepEqual(await batch(), [200]);
    assert.ok(statuses.some((s) => s.status === 200) && statuses.some((s) => s.status === 503), 'the load saw both');
    for (const s of statuses) assert.ok([200, 503].includes(s.status), JSON.stringify(s));
  });

  await t.test('AUTH with a password and the db from the URL', async () => {
    const r = await op(gw, { op: 'call', args: ['SET', 'authed', 'yes'], url_env: 'SGW_TEST_REDIS_AUTH' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.value, 'OK');
    assert.equal(authed.cli('-n', '2', 'GET', 'authed'), 'yes', 'written to db 2');
    assert.equal(authed.cli('-n', '0', 'EXISTS', 'authed'), '0', 'not to db 0');
    // A wrong password: the connection is refused, never used.
    for (let i = 0; i < 3; i++) {
      const bad = await op(gw, { op: 'call', args: ['PING'], url_env: 'SGW_TEST_REDIS_BADAUTH' });
      assert.equal(bad.status, 503, bad.text);
      assert.equal(bad.json.kind, 'unavailable', bad.text);
      assert.ok(!bad.text.includes(PASSWORD) && !bad.text.includes(WRONG), bad.text);
    }
    // No password: Redis answers every command with NOAUTH.
    const noauth = await op(gw, { op: 'call', args: ['PING'], url_env: 'SGW_TEST_REDIS_NOAUTH' });
    assert.equal(noauth.json.kind, 'redis', noauth.text);
    assert.match(noauth.json.err, /^NOAUTH/, noauth.text);
  });

  await t.test('no password in the log, and a prompt clean stop', async () => {
    const log = gw.log();
    assert.ok(!log.includes(PASSWORD), 'the password is in the log');
    assert.ok(!log.includes(WRONG), 'the wrong password is in the log');
    const [r, ms] = await timed(() => gw.stop());
    stopped = true;
    assert.equal(r.code, 0);
    assert.ok(ms < 2000 * SLOW, `stopping took ${ms} ms with pooled connections open`);
  });
});
