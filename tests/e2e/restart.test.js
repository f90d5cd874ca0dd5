'use strict';
// Restarts without a gap:
//   - a second signgw on a port one already serves is refused (and told
//     about --reuse-port); the first serves on;
//   - with --reuse-port a new signgw (plain and TLS listeners) starts on
//     the same ports while the old one serves, the old one gets SIGTERM
//     and drains (its long requests finish), and under load nothing
//     fails: every request, each on a new connection, gets its answer;
//   - socket activation (systemd-socket-activate, systemd's own tool):
//     signgw serves on the socket it is handed, and refuses one no
//     listen entry names.
// Load runs on new connections: a keep-alive connection that is idle when
// a server closes it is the client's to retry (RFC 9110, 9.2.2), with any
// server's restart.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep, freePort } = require('./lib/wait.js');
const { makeTls } = require('./lib/tls.js');

const SAN = process.env.SGW_SANITIZE === '1';
const SLOW = SAN ? 2 : 1;

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-restart-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// limits.lua (the /sleep route, small limits) listening on `listen` (Lua).
function config(dir, name, listen) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, h.configOver('limits.lua', [`c.listen = ${listen}`]));
  return file;
}

// One GET (on a new connection unless `agent`): { status, json } or { error }.
function get(base, p, ca, agent = false) {
  return new Promise((resolve) => {
    const mod = base.startsWith('https:') ? https : http;
    const req = mod.get(base + p, { agent, ca }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json;
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, json, complete: res.complete });
      });
      res.on('error', (e) => resolve({ error: e.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

test('a second signgw on a served port is refused; the first serves on', async (t) => {
  const a = await h.start({ workers: 1 });
  t.after(() => a.stop());
  const b = await h.start({ workers: 1, listen: `127.0.0.1:${a.port}` }).then(
    (s) => { s.stop(); return null; }, (e) => e);
  assert.ok(b, 'the second one did not start');
  assert.match(b.message, /cannot listen on 127\.0\.0\.1:\d+: address already in use \(to take over from a signgw that serves it, start the new one with --reuse-port\)/);
  assert.equal((await h.request(a.base, '/put-sign?ext=jpg')).status, 200);
});

test('--reuse-port: a new signgw takes over while the old one drains under load, no request fails', async (t) => {
  const dir = tmpdir(t);
  const pki = makeTls({ dir });
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const listen = `{ "127.0.0.1:${plainPort}", { addr = "127.0.0.1:${tlsPort}", tls = { cert = ${JSON.stringify(pki.certFile)}, key = ${JSON.stringify(pki.keyFile)} } } }`;
  const cfg = config(dir, 'restart.lua', listen);
  const env = { SGW_TEST_LIMITS: 'max_connections=2000,idle_timeout_ms=10000,header_timeout_ms=5000,shutdown_timeout_ms=8000' };
  const old = await h.start({ listen: null, config: cfg, workers: 2, env });
  t.after(() => old.stop(5000, { check: false }));
  const [plain, secure] = old.listeners;
  assert.deepEqual([plain.port, secure.port], [plainPort, tlsPort]);

  const results = [];
  let stop = false;
  const loops = Array.from({ length: 12 }, async (_, i) => {
    const base = i % 3 === 2 ? secure.base : plain.base;
    for (let n = 0; !stop; n++) {
      const p = (n + i) % 4 === 0 ? '/sleep?ms=150' : '/put-sign?ext=jpg';
      const e = { p, base, at: performance.now() };
      results.push(e);
      Object.assign(e, await get(base, p, pki.ca));
      e.done = performance.now();
    }
  });
  // Two keep-alive connections to the old one, made before the new one
  // exists: the long requests sent on them later are surely the old one's.
  const oldAgent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  t.after(() => oldAgent.destroy());
  await Promise.all([1, 2].map(() => get(plain.base, '/put-sign?ext=jpg', undefined, oldAgent)));
  await sleep(300);

  const fresh = await h.start({ listen: null, config: cfg, workers: 2, env, args: ['--reuse-port'] });
  t.after(() => fresh.stop());
  assert.deepEqual(fresh.listeners.map((l) => l.port), [plainPort, tlsPort]);
  await sleep(300);
  const long = [1, 2].map(() => get(plain.base, '/sleep?ms=1000', undefined, oldAgent));
  await sleep(100);
  const tTerm = performance.now();
  old.child.kill('SIGTERM');
  const ex = await old.exited;
  const tExit = performance.now();
  await sleep(500);
  stop = true;
  await Promise.all(loops);
  const longDone = await Promise.all(long);

  const bad = results.filter((e) => e.error || e.status !== 200 || !e.json || e.complete === false);
  t.diagnostic(`${results.length} requests, ${bad.length} failed; old exited ${Math.round(tExit - tTerm)} ms after SIGTERM`);
  assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${results.length} requests failed`);
  assert.equal(ex.code, 0, old.log().slice(-2000));
  for (const r of longDone) assert.deepEqual(r.json, { ok: true }, 'the old one finished its long requests');
  assert.ok(tExit - tTerm >= 700, `the old one drained its long requests (${Math.round(tExit - tTerm)} ms)`);
  assert.ok(results.filter((e) => e.at > tExit).length >= 20, 'the new one serves after the old one is gone');
  assert.ok(results.filter((e) => e.at > tTerm && e.done < tExit).length >= 20, 'served while the old one drained');
  assert.ok(results.some((e) => e.base === secure.base && e.at > tExit), 'TLS as well');
  // And the new one is a normal server: another accidental start is refused.
  await assert.rejects(h.start({ listen: `127.0.0.1:${plainPort}`, workers: 1 }), /address already in use/);
});

// Runs signgw under systemd-socket-activate, which opens the socket and
// execs signgw on the first connection with LISTEN_FDS=1.
function activated(t, port, cfg) {
  const keep = Object.keys(h.CREDS).flatMap((k) => ['-E', k]);
  fs.mkdirSync(h.LOG_DIR, { recursive: true });
  const fd = fs.openSync(path.join(h.LOG_DIR, `${h.TEST_NAME}.activate.log`), 'w');
  const child = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, ...keep,
    h.BIN, '-c', cfg, '-w', '2'], { env: h.testEnv(), stdio: ['ignore', fd, fd] });
  t.after(() => { child.kill('SIGTERM'); fs.closeSync(fd); });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  return { child, exited, log: () => fs.readFileSync(path.join(h.LOG_DIR, `${h.TEST_NAME}.activate.log`), 'utf8') };
}

async function waitLog(s, re) {
  for (let i = 0; i < 100 * SLOW; i++) {
    if (re.test(s.log())) return;
    await sleep(50);
  }
  assert.fail(`no ${re} in:\n${s.log()}`);
}

test('socket activation: serves on the socket it is handed; refuses one that no listen entry names', async (t) => {
  const dir = tmpdir(t);
  const port = await freePort();
  const s = activated(t, port, config(dir, 'activated.lua', `"127.0.0.1:${port}"`));
  await waitLog(s, /Listening on 127\.0\.0\.1:\d+ as 3/);
  // The first connection waits in the socket's backlog while signgw starts.
  const first = await get(`http://127.0.0.1:${port}`, '/put-sign?ext=jpg');
  assert.equal(first.status, 200, JSON.stringify(first) + s.log());
  assert.equal(first.json.cosHost, h.COS_HOST, 'started with the credentials passed on');
  await waitLog(s, /listen 127\.0\.0\.1:\d+: on the socket passed by socket activation/);
  const many = await Promise.all(Array.from({ length: 20 }, () => get(`http://127.0.0.1:${port}`, '/put-sign?ext=jpg')));
  assert.deepEqual(many.map((r) => r.status), Array(20).fill(200));
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0, s.log());

  const other = await freePort();
  const m = activated(t, other, config(dir, 'mismatch.lua', '"127.0.0.1:0"'));
  await waitLog(m, /Listening on/);
  const r = await get(`http://127.0.0.1:${other}`, '/put-sign?ext=jpg');
  assert.ok(r.error, JSON.stringify(r));
  assert.equal(await m.exited, 1);
  assert.match(m.log(), /socket activation passed a socket on 127\.0\.0\.1:\d+, which no listen entry names/);
});
