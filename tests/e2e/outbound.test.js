'use strict';
// gw.http against local HTTPS servers whose throw-away CA is made with the
// openssl CLI: certificate and host name verification (wrong CA, system
// store, wrong name), success and keep-alive reuse (connections counted at
// the server), timeouts, the response size cap, the concurrency limit,
// redirects not followed, cancellation when the client goes away (the
// server sees the outbound connection close), the worker not blocked
// while upstreams hang, and `signgw -t` refusing an unreadable CA file.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');
const { makeCa, makeServerCert } = require('./lib/tls.js');

const CONFIG = path.join(h.CONFIGS, 'outbound.lua');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-outbound-'));
const ca = makeCa(dir, 'ca');
const otherCa = makeCa(dir, 'other-ca');
const good = makeServerCert(dir, ca, 'good', 'IP:127.0.0.1,DNS:localhost');
const wrongName = makeServerCert(dir, ca, 'wrong-name', 'DNS:other.example');

// An HTTPS upstream that counts connections and notes closed sockets.
function upstream(cert) {
  const st = { connections: 0, closed: 0, open: new Set(), hanging: 0, hangClosed: 0 };
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const u = new URL(req.url, 'https://x');
    if (u.pathname === '/ok') {
      res.writeHead(200, { 'x-server': 'upstream', 'x-saw': `${req.headers['x-test']}/${req.headers['x-number']}` });
      res.end('hello');
    } else if (u.pathname === '/big') {
      res.end(Buffer.alloc(2 << 20, 'b'));
    } else if (u.pathname === '/redirect') {
      res.writeHead(302, { location: '/ok' });
      res.end();
    } else if (u.pathname === '/hang') {
      // never answers; notes when the connection carrying it goes
      st.hanging++;
      req.socket.on('close', () => { st.hangClosed++; });
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('secureConnection', (s) => {
    st.connections++;
    st.open.add(s);
    s.on('close', () => { st.closed++; st.open.delete(s); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    st.server = server;
    st.url = `https://127.0.0.1:${server.address().port}`;
    resolve(st);
  }));
}

let up, wrong, gw;
const fetch = (g, url, extra = '') => h.request(g.base, `/http/fetch?url=${encodeURIComponent(url)}${extra}`);

test.before(async () => {
  up = await upstream(good);
  wrong = await upstream(wrongName);
  gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_CA_FILE: ca.cert } });
});
test.after(async () => {
  await gw.stop();
  for (const s of [up, wrong]) {
    for (const sock of s.open) sock.destroy();
    s.server.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a verified HTTPS request: status, body, headers both ways', async () => {
  const r = await fetch(gw, `${up.url}/ok`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 200, length: 5, body: 'hello', server: 'upstream' });
});

test('keep-alive: five requests in a row use one connection', async () => {
  const before = up.connections;
  const r = await fetch(gw, `${up.url}/ok`, '&n=5');
  assert.equal(r.json.status, 200);
  const again = await fetch(gw, `${up.url}/ok`, '&n=5');
  assert.equal(again.json.status, 200);
  assert.ok(up.connections - before <= 1, `${up.connections - before} new connections for 10 requests`);
});

test('a certificate for another host name is refused', async () => {
  const r = await fetch(gw, `${wrong.url}/ok`);
  assert.equal(r.json.kind, 'tls', r.text);
});

test('a CA that did not sign the certificate, or the system store, is refused', async () => {
  for (const env of [{ SGW_CA_FILE: otherCa.cert }, { SGW_CA_FILE: undefined }]) {
    const g = await h.start({ config: CONFIG, workers: 1, env });
    try {
      const r = await fetch(g, `${up.url}/ok`);
      assert.equal(r.json.kind, 'tls', r.text);
    } finally {
      await g.stop();
    }
  }
});

test('timeout: a hanging upstream gives kind "timeout" and its connection is closed', async () => {
  const closed = up.closed;
  const t0 = Date.now();
  const r = await fetch(gw, `${up.url}/hang`, '&timeout=300');
  assert.equal(r.json.kind, 'timeout', r.text);
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  for (let i = 0; i < 20 && up.closed === closed; i++) await sleep(50);
  assert.ok(up.closed > closed, 'the upstream saw the connection close');
});

test('the response size cap', async () => {
  const r = await fetch(gw, `${up.url}/big`);
  assert.equal(r.json.kind, 'too_large', r.text);
});

test('redirects are returned, not followed', async () => {
  const r = await fetch(gw, `${up.url}/redirect`);
  assert.equal(r.json.status, 302);
  assert.equal(r.json.location, '/ok');
});

test('cancellation: the client goes away, the upstream sees its request closed', async () => {
  const before = up.hanging;
  const c = await h.RawConn.open(gw.port);
  c.write(`GET /http/fetch?url=${encodeURIComponent(`${up.url}/hang`)}&timeout=20000 HTTP/1.1\r\nHost: gw.test\r\n\r\n`);
  for (let i = 0; i < 80 && up.hanging === before; i++) await sleep(25);
  assert.ok(up.hanging > before, 'the upstream request is in flight');
  const closed = up.hangClosed;
  c.close();
  for (let i = 0; i < 40 && up.hangClosed === closed; i++) await sleep(25);
  assert.ok(up.hangClosed > closed, 'the outbound connection was closed when the client left');
});

test('the worker is not blocked while upstreams hang', async () => {
  const hanging = Array.from({ length: 3 }, () => fetch(gw, `${up.url}/hang`, '&timeout=1500'));
  await sleep(100);
  const t0 = Date.now();
  const r = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 < 500, `answered in ${Date.now() - t0} ms`);
  for (const x of await Promise.all(hanging)) assert.equal(x.json.kind, 'timeout');
});

test('the concurrency limit: beyond max_concurrent and max_queued a request fails at once', async () => {
  const g = await h.start({ config: CONFIG, workers: 1,
    env: { SGW_CA_FILE: ca.cert, SGW_TEST_OUTBOUND: 'max_concurrent=2,max_queued=0' } });
  try {
    const hanging = [fetch(g, `${up.url}/hang`, '&timeout=1000'), fetch(g, `${up.url}/hang`, '&timeout=1000')];
    await sleep(150);
    const r = await fetch(g, `${up.url}/ok`);
    assert.equal(r.json.kind, 'busy', r.text);
    await Promise.all(hanging);
    const after = await fetch(g, `${up.url}/ok`);
    assert.equal(after.json.status, 200);
  } finally {
    await g.stop();
  }
});

test('signgw -t refuses an unreadable CA file and bad outbound settings', () => {
  const missing = h.runCli(['-t', '-c', CONFIG], { env: { SGW_CA_FILE: path.join(dir, 'nope.pem') } });
  assert.equal(missing.status, 1, missing.output);
  assert.match(missing.output, /nope\.pem cannot be read/);
  const bad = h.runCli(['-t', '-c', CONFIG], { env: { SGW_TEST_OUTBOUND: 'timeout_ms=0' } });
  assert.equal(bad.status, 1, bad.output);
  assert.match(bad.output, /outbound\.timeout_ms must be an integer/);
});

test('SIGTERM while an outbound call hangs: past the drain deadline it is aborted and the process exits 0', async () => {
  const g = await h.start({ config: CONFIG, workers: 1, env: { SGW_CA_FILE: ca.cert, SGW_TEST_SHUTDOWN_MS: '500' } });
  const before = up.hanging;
  const pending = fetch(g, `${up.url}/hang`, '&timeout=30000').catch((e) => e);
  for (let i = 0; i < 80 && up.hanging === before; i++) await sleep(25);
  const closed = up.hangClosed;
  const t0 = Date.now();
  const r = await g.stop(5000);
  assert.equal(r.code, 0);
  assert.ok(Date.now() - t0 < 3000, `stopped after ${Date.now() - t0} ms`);
  await pending;
  for (let i = 0; i < 40 && up.hangClosed === closed; i++) await sleep(25);
  assert.ok(up.hangClosed > closed, 'the outbound connection was closed');
});
