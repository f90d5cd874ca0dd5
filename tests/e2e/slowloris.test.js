'use strict';
// Slowloris: 1,000 connections trickle header bytes (one byte every
// 500 ms each) while a normal keep-alive client measures throughput. The
// ratio loaded / unloaded (measured just before) is printed and must be
// at least 0.5 (the aim is 0.9); every slow connection is closed by the
// header timeout (408), and the server answers normally afterwards.
//
// The trickling runs in a child process (this file with --trickle) so it
// does not slow the measuring client. 1,000 sockets need a file descriptor
// limit above the usual 1024: CMake runs this under `ulimit -n 8192`; with
// a lower limit, fewer connections are opened and the test says so.
const net = require('node:net');

const TRICKLE_MS = 500;
const REQUEST_HEAD = 'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nX-Slow: ';

if (process.argv[2] === '--trickle') {
  // ---- child: open n slow connections, report how they end ----
  const conns = [];
  let open = 0;
  const report = () => {
    const closed = conns.filter((c) => c.closedAt >= 0);
    process.send({
      closed: closed.length,
      got408: conns.filter((c) => /^HTTP\/1\.1 408 /.test(c.got)).length,
      minClose: Math.min(...closed.map((c) => c.closedAt)),
      maxClose: Math.max(...closed.map((c) => c.closedAt)),
      errors: conns.filter((c) => c.error).map((c) => c.error).slice(0, 5),
      sample: (conns.find((c) => !/^HTTP\/1\.1 408 /.test(c.got)) || {}).got,
    });
  };
  const connect = (port) => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const c = { got: '', closedAt: -1, start: 0, error: null };
    conns.push(c);
    s.on('connect', () => {
      open++;
      c.start = performance.now();
      s.write(REQUEST_HEAD);
      c.timer = setInterval(() => s.write('a'), TRICKLE_MS);
      resolve();
    });
    s.on('data', (d) => { c.got += d.toString('latin1'); });
    s.on('error', (e) => { c.error = e.code; resolve(); });
    s.on('close', () => { clearInterval(c.timer); c.closedAt = performance.now() - c.start; open--; });
  });
  process.on('message', async (m) => {
    if (m.cmd === 'open') {
      for (let i = 0; i < m.n; i += 50) await Promise.all(Array.from({ length: Math.min(50, m.n - i) }, () => connect(m.port)));
      process.send({ connected: open, failed: conns.filter((c) => c.error).length });
    } else if (m.cmd === 'report') {
      report();
    }
  });
  process.on('disconnect', () => process.exit(0));
} else {
  main();
}

function main() {
  const test = require('node:test');
  const assert = require('node:assert/strict');
  const path = require('node:path');
  const { fork, spawnSync } = require('node:child_process');
  const h = require('./lib/harness.js');

  const SLOW_CONNS = 1000;
  const HEADER_MS = 6000;
  const WINDOW_MS = 2000;
  const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;
  const { sleep } = require('./lib/wait.js');

  // Pipelined keep-alive GETs on `conns` connections for `ms`: answers/s.
  async function throughput(port, ms, conns = 4, depth = 8) {
    const req = 'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n'.repeat(depth);
    const clients = [];
    for (let i = 0; i < conns; i++) clients.push(await h.RawConn.open(port));
    let answers = 0;
    let bad = 0;
    const until = performance.now() + ms;
    const t0 = performance.now();
    await Promise.all(clients.map(async (c) => {
      while (performance.now() < until) {
        c.write(req);
        for (let i = 0; i < depth; i++) {
          const r = await c.next(5000);
          if (r.status === 200) answers++;
          else bad++;
        }
      }
    }));
    const elapsed = performance.now() - t0;
    for (const c of clients) c.close();
    assert.equal(bad, 0, 'every answer is a 200');
    return (answers * 1000) / elapsed;
  }

  function fdLimit() {
    const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
    const n = Number(String(r.stdout).trim());
    return Number.isFinite(n) ? n : Infinity; // "unlimited"
  }

  test(`slowloris: ${SLOW_CONNS} trickling connections, throughput of a normal client keeps >= 0.5 of unloaded`, { timeout: 120000 }, async (t) => {
    let n = SLOW_CONNS;
    const limit = fdLimit();
    if (limit < SLOW_CONNS + 200) {
      n = Math.max(100, limit - 200);
      t.diagnostic(`file descriptor limit ${limit}: opening ${n} slow connections instead of ${SLOW_CONNS}`);
    }
    const gw = await h.start({
      config: path.join(h.CONFIGS, 'limits.lua'),
      workers: 1,
      env: { SGW_TEST_LIMITS: `header_timeout_ms=${HEADER_MS},idle_timeout_ms=60000,max_connections=20000` },
    });
    t.after(() => gw.stop());
    const child = fork(__filename, ['--trickle'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    t.after(() => child.kill());
    const messages = [];
    const waiters = [];
    child.on('message', (m) => { messages.push(m); for (const w of waiters.splice(0)) w(); });
    const nextMessage = async (ms) => {
      const until = performance.now() + ms;
      while (!messages.length) {
        assert.ok(performance.now() < until, 'no word from the trickling process');
        await Promise.race([new Promise((r) => waiters.push(r)), sleep(100)]);
      }
      return messages.shift();
    };

    await throughput(gw.port, 500); // warm up
    const unloaded = await throughput(gw.port, WINDOW_MS);

    child.send({ cmd: 'open', port: gw.port, n });
    const up = await nextMessage(30000);
    assert.equal(up.connected, n, `all slow connections open: ${JSON.stringify(up)}`);
    const loaded = await throughput(gw.port, WINDOW_MS);
    const ratio = loaded / unloaded;
    t.diagnostic(`unloaded ${Math.round(unloaded)} req/s, with ${n} slowloris connections ${Math.round(loaded)} req/s: ratio ${ratio.toFixed(2)}`);
    console.log(`slowloris ratio ${ratio.toFixed(3)} (unloaded ${Math.round(unloaded)} req/s, loaded ${Math.round(loaded)} req/s, ${n} slow connections)`);

    // Every slow connection is closed by the header timeout, with a 408.
    let report;
    const deadline = performance.now() + HEADER_MS + 10000 * SLOW;
    for (;;) {
      child.send({ cmd: 'report' });
      report = await nextMessage(5000);
      if (report.closed === n || performance.now() > deadline) break;
      await sleep(500);
    }
    t.diagnostic(`slow connections closed ${Math.round(report.minClose)}..${Math.round(report.maxClose)} ms after their first byte`);
    assert.equal(report.closed, n, `all slow connections closed: ${JSON.stringify(report)}`);
    assert.equal(report.got408, n, `each got a 408: ${JSON.stringify(report)}`);
    assert.ok(report.minClose >= HEADER_MS - 200, `none closed before the header timeout: ${JSON.stringify(report)}`);
    assert.ok(report.maxClose <= HEADER_MS + 3000 * SLOW, `all closed soon after it: ${JSON.stringify(report)}`);

    assert.ok(ratio >= 0.5, `throughput under slowloris ${ratio.toFixed(2)} of unloaded`);
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    assert.equal(r.status, 200, r.text);
  });
}
