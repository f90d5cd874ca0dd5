'use strict';
// Memory an attacker could pin (RSS of the signgw process):
//   - keep-alive clients that each sent one request with a 1 MiB body and
//     then went idle: the body is not buffered by a route that does not
//     read bodies, and nothing of it stays with the idle connection;
//   - clients that pipeline thousands of requests and never read the
//     answers: per-connection and per-worker bounds hold the growth, a
//     new client is still served meanwhile, and the memory is given back
//     once they close;
//   - idle keep-alive connections cost well under 1 KiB each.
// Under the sanitizers RSS means nothing: only the behaviour is checked.
//
// CMake runs this under `ulimit -n 8192`.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const h = require('./lib/harness');
const { sleep } = require('./lib/wait.js');

const SAN = process.env.SGW_SANITIZE === '1';
const rss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const MB = 1 << 20;

// Opens n connections, each sends `payload` and waits for `answers`
// complete responses (0: none), then stays open.
async function clients(port, n, payload, answers) {
  const socks = [];
  const one = () => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('connect', () => { s.write(payload); if (answers === 0) resolve(); });
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (answers > 0 && (got.match(/HTTP\/1\.1 /g) || []).length >= answers && /\}$/.test(got)) resolve();
    });
    s.on('error', reject);
    socks.push(s);
  });
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, one));
  return socks;
}

let gw;
test.before(async () => { gw = await h.start({ workers: 1 }); });
test.after(async () => { await gw.stop(); });

test('idle keep-alive connections after a 1 MiB body hold no buffers', { timeout: 60000 }, async () => {
  const body = Buffer.alloc(1 << 20, 'a');
  const req = Buffer.concat([Buffer.from(`GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  await h.request(gw.base, '/put-sign?ext=jpg');
  const before = rss(gw.child.pid);
  const socks = await clients(gw.port, 200, req, 1);
  await sleep(300);
  const grown = rss(gw.child.pid) - before;
  console.log(`200 idle connections after a 1 MiB body each: RSS +${(grown / MB).toFixed(1)} MB`);
  if (!SAN) assert.ok(grown < 30 * MB, `RSS grew ${(grown / MB).toFixed(1)} MB`);
  for (const s of socks) s.destroy();
});

test('pipelining clients that never read are bounded, others are served, memory comes back', { timeout: 90000 }, async () => {
  const one = 'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n';
  // Enough that the answers overflow the kernel's socket buffers, so
  // they queue in the server.
  const flood = one.repeat(SAN ? 3000 : 8000);
  const before = rss(gw.child.pid);
  const socks = await clients(gw.port, 300, flood, 0);
  // Sample until the server stops taking more of their requests (RSS
  // steady for a second), checking a new client is served meanwhile.
  let peak = 0;
  let last = -1;
  let servedMs = Infinity;
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const now = rss(gw.child.pid) - before;
    peak = Math.max(peak, now);
    const t0 = Date.now();
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    assert.equal(r.status, 200);
    servedMs = Math.min(servedMs, Date.now() - t0);
    if (i >= 3 && Math.abs(now - last) < MB / 2) break;
    last = now;
  }
  console.log(`300 non-reading pipeliners: RSS peak +${(peak / MB).toFixed(1)} MB; a new client answered in ${servedMs} ms`);
  if (!SAN) assert.ok(peak < 8 * MB, `RSS peak +${(peak / MB).toFixed(1)} MB`);
  for (const s of socks) s.destroy();
  let after = Infinity;
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    after = rss(gw.child.pid) - before;
    if (after < 10 * MB) break;
  }
  console.log(`after they closed: RSS +${(after / MB).toFixed(1)} MB`);
  if (!SAN) assert.ok(after < 10 * MB, `RSS still +${(after / MB).toFixed(1)} MB after close`);
});

test('a client that pipelines 20,000 requests in one write and reads late gets every answer', { timeout: 60000 }, async () => {
  const N = 20000;
  const s = net.connect(gw.port, '127.0.0.1');
  await new Promise((r) => s.on('connect', r));
  s.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n'.repeat(N));
  s.pause();
  await sleep(1000); // the server fills its buffers and waits for us
  let got = 0;
  let tail = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got} of ${N} answers`)), 40000);
    s.on('data', (d) => {
      const text = tail + d.toString('latin1');
      got += (text.match(/HTTP\/1\.1 200 /g) || []).length;
      tail = text.slice(-12);
      if (got >= N) { clearTimeout(timer); resolve(); }
    });
    s.resume();
  });
  assert.equal(got, N);
  s.destroy();
});

test('an idle keep-alive connection costs under 1 KiB', { timeout: 60000 }, async () => {
  // A fresh server: memory freed by the tests above would be reused and
  // hide the cost.
  const gw = await h.start({ workers: 1 });
  const N = 3000;
  const req = 'GET /post-policy?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n';
  await clients(gw.port, 100, req, 1).then((s) => s.forEach((x) => x.destroy()));
  await sleep(200);
  const before = rss(gw.child.pid);
  const socks = await clients(gw.port, N, req, 1);
  await sleep(300);
  const per = (rss(gw.child.pid) - before) / N;
  console.log(`${N} idle keep-alive connections: ${per.toFixed(0)} bytes each`);
  if (!SAN) assert.ok(per < 1024, `${per} bytes per idle connection`);
  for (const s of socks) s.destroy();
  await gw.stop();
});
