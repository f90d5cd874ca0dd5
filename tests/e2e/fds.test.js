'use strict';
// Running out of file descriptors (issue: the accept loop spun at full
// CPU, logged millions of lines, and the process never recovered).
//
// signgw runs with a descriptor limit of 1024 (soft and hard) and two
// workers; 2,500 clients connect and hold their connections for 15 s,
// then close. While descriptors are exhausted the server must:
//   - log the accept failure at most about once a second per worker,
//   - not spin (its CPU time over the hold stays far below one core),
//   - keep serving the connections it has;
// and once the clients are gone it must serve new ones again, hold no
// leaked descriptors, and stop cleanly on SIGTERM. A second run checks
// that start-up raises the soft limit to the hard one and warns when the
// config allows more connections than that.
//
// CMake runs this under `ulimit -n 8192` (the client side needs 2,500
// sockets).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const h = require('./lib/harness');
const { sleep } = require('./lib/wait.js');

const SAN = process.env.SGW_SANITIZE === '1';
const CLIENTS = 2500;
const HOLD_MS = 15000;

const cpuSeconds = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
};
const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

function connectMany(port, n) {
  const socks = [];
  const one = () => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => resolve());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    socks.push(s);
  });
  return (async () => {
    for (let i = 0; i < n; i += 100) {
      await Promise.race([Promise.all(Array.from({ length: Math.min(100, n - i) }, one)), sleep(500)]);
    }
    return socks;
  })();
}

test('fd exhaustion: paced accept retries, bounded log, full recovery, SIGTERM works', { timeout: 90000 }, async () => {
  const gw = await h.start({ workers: 2, prefix: ['prlimit', '--nofile=1024:1024'] });
  const pid = gw.child.pid;
  const warm = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(warm.status, 200);
  const fdsBefore = fdCount(pid);

  // A keep-alive client made before the flood must keep being served.
  const keep = await h.RawConn.open(gw.port);
  const ask = async (conn) => {
    conn.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n');
    return (await conn.next(5000)).status;
  };
  assert.equal(await ask(keep), 200);

  const socks = await connectMany(gw.port, CLIENTS);
  const logStart = gw.log().length;
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  await sleep(HOLD_MS / 2);
  assert.equal(await ask(keep), 200, 'an established client is served while fds are exhausted');
  await sleep(HOLD_MS / 2);
  const held = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const during = gw.log().slice(logStart);
  const lines = (during.match(/accept failed/g) || []).length;
  console.log(`held ${held.toFixed(1)} s: ${lines} accept-failure lines, ${cpu.toFixed(2)} s CPU, fds ${fdCount(pid)}`);
  assert.ok(/accept failed: Too many open files \(\d+ times?/.test(during), 'the exhaustion is reported, with a count');
  // At most one line a second per worker (plus one for a boundary).
  assert.ok(lines <= 2 * (Math.ceil(held) + 1), `${lines} log lines in ${held} s`);
  // A spinning worker burns a whole core; pacing keeps it small.
  assert.ok(cpu < held * (SAN ? 0.6 : 0.3), `CPU ${cpu} s over ${held} s`);

  for (const s of socks) s.destroy();
  // The backlog drains: every queued client is accepted and then closed.
  let served = false;
  for (let i = 0; i < 40 && !served; i++) {
    await sleep(250);
    const r = await h.request(gw.base, '/put-sign?ext=jpg').catch(() => null);
    served = r !== null && r.status === 200;
  }
  assert.ok(served, 'new clients are served after the flood');
  assert.equal(await ask(keep), 200);
  keep.close();
  let fds = fdCount(pid);
  for (let i = 0; i < 40 && fds > fdsBefore + 4; i++) {
    await sleep(250);
    fds = fdCount(pid);
  }
  assert.ok(fds <= fdsBefore + 4, `descriptors back to ${fdsBefore}: ${fds}`);
  const r = await gw.stop(10000);
  assert.equal(r.code, 0);
});

test('start-up raises the soft descriptor limit to the hard one and warns when it is low', async () => {
  const gw = await h.start({ workers: 2, prefix: ['prlimit', '--nofile=512:4096'] });
  const limits = fs.readFileSync(`/proc/${gw.child.pid}/limits`, 'utf8');
  const m = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
  assert.equal(Number(m[1]), 4096, 'soft limit raised to the hard limit');
  assert.match(gw.log(), /open file limit is 4096, below the \d+ that 2 workers x limits\.max_connections/);
  await gw.stop();
});
