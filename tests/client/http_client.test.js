'use strict';
// The outbound HTTP client (src/client/http.c), driven through http_tool
// against real node:http and node:https servers on loopback, with a
// throw-away CA made by the openssl CLI. The servers are the oracle: they
// count connections, see requests arrive and sockets close. Checked:
// - success over HTTPS with the right CA (by IP and by DNS name), request
//   headers and body sent as given, response headers with lower-cased names;
// - certificate verification fails for a wrong CA, for the system store,
//   and for a certificate naming another host;
// - refused connection, reset connection;
// - total timeout on a hanging server (the server sees the socket close),
//   connect timeout on a server that never completes the TLS handshake,
//   the client's default timeout;
// - the response size cap, with and without Content-Length;
// - keep-alive: N sequential calls use 1 connection;
// - at most N transfers at once, a FIFO of waiting calls whose timeout runs
//   while they wait, SGW_EBUSY beyond the queue;
// - cancel: the server sees the socket close, the callback never runs, a
//   waiting call leaves the queue without reaching the server;
// - closing the client with calls running and waiting, and from inside a
//   callback: sockets closed, no callbacks;
// - redirects returned unless asked, followed up to a maximum;
// - bad input refused at the start.
// Every tool run must end with its loop empty and, in the sanitizer
// build, without a leak (http_tool exits non-zero otherwise).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');
const https = require('node:https');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const { makeCa, makeServerCert } = require('../e2e/lib/tls.js');

const TOOL = process.env.SGW_HTTP_TOOL;
const SLOW = process.env.SGW_SANITIZE ? 3 : 1; // time bounds under ASan

let dir, ca, wrongCa, good, wrongHost, plain, silent;

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(t));
}

// ---- servers ----

async function startServer(kind, tls) {
  const st = { conns: 0, reqs: [], holds: new Map(), sockets: new Set(), ev: new EventEmitter() };
  const closedOf = new WeakMap(); // one close promise per socket
  const handler = (req, res) => {
    const u = new URL(req.url, 'http://x');
    if (!closedOf.has(req.socket)) closedOf.set(req.socket, new Promise((r) => req.socket.once('close', r)));
    const entry = { path: u.pathname, q: u.searchParams, req, res, closed: closedOf.get(req.socket) };
    st.reqs.push(entry);
    st.ev.emit('req', entry);
    switch (u.pathname) {
      case '/ok':
        res.setHeader('X-Test-Header', 'Value-1');
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.end('hello');
        break;
      case '/echo': {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          res.setHeader('Content-Type', 'application/json');
          const body = Buffer.concat(chunks).toString();
          res.end(JSON.stringify({
            method: req.method, headers: req.headers, bodyLen: body.length,
            body: body.length <= 4096 ? body : undefined,
          }));
        });
        break;
      }
      case '/hang':
        break; // never answers
      case '/hold':
        st.holds.set(u.searchParams.get('name'), res);
        break;
      case '/big': {
        const n = Number(u.searchParams.get('n'));
        const body = 'x'.repeat(n);
        res.setHeader('X-Secret-Header', 'header-value-must-not-leak');
        if (u.searchParams.get('chunked')) {
          res.write(body.slice(0, n >> 1));
          setTimeout(() => res.end(body.slice(n >> 1)), 20);
        } else {
          res.setHeader('Content-Length', n);
          res.end(body);
        }
        break;
      }
      case '/reset':
        req.socket.resetAndDestroy();
        break;
      case '/redirect':
        res.statusCode = 302;
        res.setHeader('Location', u.searchParams.get('to'));
        res.end('moved');
        break;
      case '/loop':
        res.statusCode = 302;
        res.setHeader('Location', '/loop');
        res.end();
        break;
      default:
        res.statusCode = 404;
        res.end();
    }
  };
  const server = kind === 'https' ? https.createServer(tls, handler) : http.createServer(handler);
  server.keepAliveTimeout = 60000;
  server.on('connection', (s) => {
    st.conns++;
    st.sockets.add(s);
    s.on('close', () => st.sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  st.port = server.address().port;
  st.url = (p, host = '127.0.0.1') => `${kind}://${host}:${st.port}${p}`;
  // The first request matching pred, whether it came already or comes later.
  st.waitReq = (pred, ms = 5000 * SLOW) => {
    const found = st.reqs.find(pred);
    if (found) return Promise.resolve(found);
    return withTimeout(new Promise((resolve) => {
      const on = (e) => { if (pred(e)) { st.ev.off('req', on); resolve(e); } };
      st.ev.on('req', on);
    }), ms, 'a request at the server');
  };
  st.release = (name) => {
    const res = st.holds.get(name);
    st.holds.delete(name);
    res.end(`released ${name}`);
  };
  st.close = () => new Promise((r) => {
    for (const s of st.sockets) s.destroy();
    server.close(r);
  });
  return st;
}

// Accepts TCP and never speaks: the TLS handshake never completes.
async function startSilent() {
  const sockets = new Set();
  const server = net.createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
  };
}

// A port nobody listens on.
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// ---- the tool ----

const tools = new Set(); // killed at the end if a failed test left one

class Tool {
  constructor() {
    this.events = [];
    this.taken = new Set();
    this.ev = new EventEmitter();
    this.stderr = '';
    this.child = spawn(TOOL, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let e;
      try { e = JSON.parse(line); } catch { e = { ev: 'garbage', line }; }
      this.events.push(e);
      this.ev.emit('e', e);
    });
    tools.add(this.child);
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => {
      tools.delete(this.child);
      r({ code, signal });
    }));
  }

  send(cmd) {
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
  }

  // The first event matching pred not taken yet, whether it came already
  // or comes later.
  wait(pred, ms = 5000 * SLOW, what = 'a tool event') {
    const match = (e) => !this.taken.has(e) && pred(e);
    const found = this.events.find(match);
    if (found) {
      this.taken.add(found);
      return Promise.resolve(found);
    }
    return withTimeout(new Promise((resolve) => {
      const on = (e) => {
        if (match(e)) {
          this.ev.off('e', on);
          this.taken.add(e);
          resolve(e);
        }
      };
      this.ev.on('e', on);
    }), ms, what);
  }

  async client(opts = {}) {
    this.send({ op: 'client', ...opts });
    return (await this.wait((e) => e.ev === 'client')).rc;
  }

  // Starts a call; resolves to the start code ("OK", "EBUSY", ...).
  async start(id, opts) {
    this.send({ op: 'call', id, ...opts });
    return (await this.wait((e) => e.ev === 'start' && e.id === id, undefined, `start ${id}`)).rc;
  }

  done(id, ms) {
    return this.wait((e) => e.ev === 'done' && e.id === id, ms, `done ${id}`);
  }

  async call(id, opts, ms) {
    assert.equal(await this.start(id, opts), 'OK', `start ${id}`);
    return this.done(id, ms);
  }

  async cancel(id) {
    this.send({ op: 'cancel', id });
    await this.wait((e) => e.ev === 'cancelled' && e.id === id, undefined, `cancel ${id}`);
  }

  // Ends input (closing the client) and checks a clean exit: no callback
  // out of place, an empty loop, no sanitizer report.
  async finish() {
    this.child.stdin.end();
    const { code, signal } = await withTimeout(this.exited, 10000 * SLOW, 'the tool to exit');
    const errs = this.events.filter((e) => e.ev === 'error' || e.ev === 'garbage');
    assert.deepEqual(errs, [], 'tool errors');
    assert.equal(code, 0, `tool exit ${code} ${signal}\n${this.stderr}`);
    const exit = this.events.find((e) => e.ev === 'exit');
    assert.ok(exit, 'exit event');
    assert.equal(exit.loop_close, 'OK');
    assert.equal(exit.errors, 0);
    return this.events;
  }
}

function header(ev, name) {
  return ev.headers.filter(([n]) => n === name).map(([, v]) => v);
}

test.before(async () => {
  assert.ok(TOOL && fs.existsSync(TOOL), 'SGW_HTTP_TOOL must name the built http_tool');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-http-'));
  ca = makeCa(dir, 'test-ca');
  wrongCa = makeCa(dir, 'other-ca');
  good = await startServer('https', makeServerCert(dir, ca, 'server', 'IP:127.0.0.1,DNS:localhost'));
  wrongHost = await startServer('https', makeServerCert(dir, ca, 'wrong', 'DNS:wrong.example'));
  plain = await startServer('http');
  silent = await startSilent();
});

test.after(async () => {
  for (const child of tools) child.kill('SIGKILL');
  for (const s of [good, wrongHost, plain, silent]) if (s) await s.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('https with the right CA: status, body, headers both ways', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert }), 'OK');

  const ok = await t.call('ok', { url: good.url('/ok') });
  assert.equal(ok.err, 'OK');
  assert.equal(ok.errtext, null);
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'hello');
  assert.deepEqual(header(ok, 'x-test-header'), ['Value-1']);
  assert.deepEqual(header(ok, 'set-cookie'), ['a=1', 'b=2']);
  assert.ok(ok.headers.every(([n]) => n === n.toLowerCase()), 'names lower-cased');

  // By DNS name: the certificate's DNS entry matches too.
  const byName = await t.call('byname', { url: good.url('/ok', 'localhost') });
  assert.equal(byName.err, 'OK');
  assert.equal(byName.body, 'hello');

  const post = await t.call('post', {
    method: 'POST', url: good.url('/echo'), body: '{"a":1}',
    headers: [['X-Req', 'abc'], ['Content-Type', 'application/json'], ['X-Empty', '']],
  });
  assert.equal(post.err, 'OK');
  const seen = JSON.parse(post.body);
  assert.equal(seen.method, 'POST');
  assert.equal(seen.body, '{"a":1}');
  assert.equal(seen.headers['x-req'], 'abc');
  assert.equal(seen.headers['x-empty'], '');
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.equal(seen.headers['content-length'], '7');

  // No implicit Content-Type or Expect; other methods send their body.
  const put = await t.call('put', { method: 'PUT', url: plain.url('/echo'), body: 'x'.repeat(2 << 20) },
    10000 * SLOW);
  const seenPut = JSON.parse(put.body);
  assert.equal(seenPut.method, 'PUT');
  assert.equal(seenPut.bodyLen, 2 << 20);
  assert.equal(seenPut.headers['content-type'], undefined);
  assert.equal(seenPut.headers.expect, undefined);

  const del = await t.call('del', { method: 'DELETE', url: plain.url('/echo') });
  assert.equal(JSON.parse(del.body).method, 'DELETE');
  await t.finish();
});

test('certificate verification: wrong CA, system store, wrong host name', async () => {
  const before = good.reqs.length;
  const t1 = new Tool();
  assert.equal(await t1.client({ ca_file: wrongCa.cert }), 'OK');
  const wrong = await t1.call('wrongca', { url: good.url('/ok') });
  assert.equal(wrong.err, 'ETLS');
  assert.match(wrong.errtext, /not trusted/);
  assert.equal(wrong.body, '');
  await t1.finish();

  const t2 = new Tool();
  assert.equal(await t2.client({}), 'OK');
  const system = await t2.call('system', { url: good.url('/ok') });
  assert.equal(system.err, 'ETLS');
  assert.match(system.errtext, /not trusted/);
  await t2.finish();
  assert.equal(good.reqs.length, before, 'no request got through');

  const t3 = new Tool();
  assert.equal(await t3.client({ ca_file: ca.cert }), 'OK');
  const host = await t3.call('host', { url: wrongHost.url('/ok') });
  assert.equal(host.err, 'ETLS');
  assert.match(host.errtext, /host name/);
  assert.equal(wrongHost.reqs.length, 0, 'no request got through');
  await t3.finish();
});

test('connection refused and reset', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert }), 'OK');
  const refused = await t.call('refused', { url: `https://127.0.0.1:${await freePort()}/` });
  assert.equal(refused.err, 'ECONN');
  assert.equal(refused.status, 0);
  const reset = await t.call('reset', { url: plain.url('/reset') });
  assert.equal(reset.err, 'ECONN');
  await t.finish();
});

test('timeouts: total, connect, client default', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert, timeout_ms: 400, connect_timeout_ms: 300 }), 'OK');

  assert.equal(await t.start('hang', { url: good.url('/hang?tag=total'), timeout_ms: 300 }), 'OK');
  const seen = await good.waitReq((r) => r.q.get('tag') === 'total');
  const hang = await t.done('hang');
  assert.equal(hang.err, 'ETIMEDOUT');
  assert.match(hang.errtext, /answer/);
  assert.ok(hang.ms >= 250 && hang.ms < 1500 * SLOW, `timed out after ${hang.ms} ms`);
  await withTimeout(seen.closed, 2000 * SLOW, 'the server to see the socket close');

  // The TLS handshake never completes: the connect timeout ends it.
  const conn = await t.call('connect', { url: `https://127.0.0.1:${silent.port}/`, timeout_ms: 5000 });
  assert.equal(conn.err, 'ETIMEDOUT');
  assert.match(conn.errtext, /connecting/);
  assert.ok(conn.ms >= 250 && conn.ms < 1500 * SLOW, `timed out after ${conn.ms} ms`);

  // No timeout on the call: the client's 400 ms.
  const dflt = await t.call('default', { url: plain.url('/hang') });
  assert.equal(dflt.err, 'ETIMEDOUT');
  assert.ok(dflt.ms >= 350 && dflt.ms < 1500 * SLOW, `timed out after ${dflt.ms} ms`);
  await t.finish();
});

test('response size cap', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert, max_body: 1000 }), 'OK');
  const at = await t.call('at', { url: good.url('/big?n=1000') });
  assert.equal(at.err, 'OK');
  assert.equal(at.body_len, 1000);
  const atChunked = await t.call('atc', { url: good.url('/big?n=1000&chunked=1') });
  assert.equal(atChunked.err, 'OK');
  assert.equal(atChunked.body_len, 1000);
  for (const [id, q] of [['over', 'n=1001'], ['overc', 'n=5000&chunked=1'], ['huge', 'n=3000000']]) {
    const r = await t.call(id, { url: good.url(`/big?${q}`) });
    assert.equal(r.err, 'ETOOBIG', id);
    assert.equal(r.body, '', id);
    assert.deepEqual(r.headers, [], id);
    assert.doesNotMatch(r.errtext, /xxx|header-value/, id);
  }
  await t.finish();
});

test('keep-alive: sequential calls share one connection', async () => {
  for (const srv of [good, plain]) {
    const t = new Tool();
    assert.equal(await t.client({ ca_file: ca.cert }), 'OK');
    const before = srv.conns;
    // Each next call starts from inside the previous one's callback.
    let chain = null;
    for (let i = 5; i >= 2; i--) chain = { id: `k${i}`, url: srv.url('/ok'), then: chain };
    assert.equal(await t.start('k1', { url: srv.url('/ok'), then: chain }), 'OK');
    for (let i = 1; i <= 5; i++) {
      const r = await t.done(`k${i}`);
      assert.equal(r.err, 'OK');
      assert.equal(r.body, 'hello');
    }
    assert.equal(srv.conns - before, 1, 'one connection for five calls');
    await t.finish();
  }
});

test('concurrency limit, FIFO queue, EBUSY, queued timeout', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert, max_concurrent: 2, max_queued: 2 }), 'OK');
  const base = good.reqs.length;
  for (let i = 1; i <= 4; i++) {
    assert.equal(await t.start(`c${i}`, { url: good.url(`/hold?name=c${i}`), timeout_ms: 20000 }), 'OK');
  }
  assert.equal(await t.start('c5', { url: good.url('/hold?name=c5') }), 'EBUSY');
  await good.waitReq((r) => r.q.get('name') === 'c2');
  await sleep(300);
  // c1 and c2 run at once, on two connections: either may arrive first.
  assert.deepEqual(good.reqs.slice(base).map((r) => r.q.get('name')).sort(), ['c1', 'c2'], 'two at once');

  good.release('c1');
  assert.equal((await t.done('c1')).body, 'released c1');
  await good.waitReq((r) => r.q.get('name') === 'c3');
  await sleep(200);
  const seen = good.reqs.slice(base).map((r) => r.q.get('name'));
  assert.deepEqual([seen.slice(0, 2).sort(), seen.slice(2)], [['c1', 'c2'], ['c3']], 'FIFO: c3 before c4');
  good.release('c2');
  good.release('c3');
  await good.waitReq((r) => r.q.get('name') === 'c4');
  good.release('c4');
  for (const id of ['c2', 'c3', 'c4']) assert.equal((await t.done(id)).err, 'OK');
  await t.finish();

  // A waiting call's timeout runs while it waits.
  const q = new Tool();
  assert.equal(await q.client({ ca_file: ca.cert, max_concurrent: 1, max_queued: 1 }), 'OK');
  assert.equal(await q.start('q1', { url: good.url('/hold?name=q1'), timeout_ms: 20000 }), 'OK');
  await good.waitReq((r) => r.q.get('name') === 'q1');
  assert.equal(await q.start('q2', { url: good.url('/ok?tag=q2'), timeout_ms: 300 }), 'OK');
  const q2 = await q.done('q2');
  assert.equal(q2.err, 'ETIMEDOUT');
  assert.ok(q2.ms >= 250 && q2.ms < 1500 * SLOW, `timed out after ${q2.ms} ms`);
  assert.ok(!good.reqs.some((r) => r.q.get('tag') === 'q2'), 'the waiting call never went out');
  good.release('q1');
  assert.equal((await q.done('q1')).err, 'OK');
  assert.equal((await q.call('q3', { url: good.url('/ok') })).err, 'OK');
  await q.finish();
});

test('cancel: the server sees the socket close, no callback', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert, max_concurrent: 1 }), 'OK');
  assert.equal(await t.start('x1', { url: good.url('/hang?tag=x1') }), 'OK');
  const seen = await good.waitReq((r) => r.q.get('tag') === 'x1');
  // Queued behind x1, then cancelled: it must never reach the server.
  assert.equal(await t.start('x2', { url: good.url('/ok?tag=x2') }), 'OK');
  await t.cancel('x2');
  await t.cancel('x1');
  await withTimeout(seen.closed, 2000 * SLOW, 'the server to see the socket close');
  // The client still works, on a fresh connection.
  assert.equal((await t.call('x3', { url: good.url('/ok?tag=x3') })).err, 'OK');
  await sleep(100);
  assert.ok(!good.reqs.some((r) => r.q.get('tag') === 'x2'), 'cancelled waiting call went out');
  const events = await t.finish();
  assert.ok(!events.some((e) => e.ev === 'done' && (e.id === 'x1' || e.id === 'x2')), 'no callback');
});

test('closing the client with calls running and waiting', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert, max_concurrent: 2 }), 'OK');
  // An idle kept-alive connection too: closing must close it.
  assert.equal((await t.call('idle', { url: good.url('/ok') })).err, 'OK');
  for (const id of ['r1', 'r2', 'r3']) assert.equal(await t.start(id, { url: good.url(`/hang?tag=${id}`) }), 'OK');
  const r1 = await good.waitReq((r) => r.q.get('tag') === 'r1');
  const r2 = await good.waitReq((r) => r.q.get('tag') === 'r2');
  // A call started right after the close is refused.
  t.send({ op: 'close', then: { id: 'late', url: good.url('/ok') } });
  assert.equal((await t.wait((e) => e.ev === 'start' && e.id === 'late')).rc, 'ECANCELED');
  await t.wait((e) => e.ev === 'closed');
  await withTimeout(Promise.all([r1.closed, r2.closed]), 2000 * SLOW, 'the server to see both sockets close');
  const events = await t.finish();
  assert.ok(!events.some((e) => e.ev === 'done' && e.id !== 'idle'), 'no callback after close');
  assert.ok(!good.reqs.some((r) => r.q.get('tag') === 'r3'), 'the waiting call never went out');

  // Closed from inside a completion callback, with another call running.
  const c = new Tool();
  assert.equal(await c.client({ ca_file: ca.cert }), 'OK');
  assert.equal(await c.start('h', { url: good.url('/hang?tag=incb') }), 'OK');
  const h = await good.waitReq((r) => r.q.get('tag') === 'incb');
  assert.equal((await c.call('cb', { url: good.url('/ok'), close_in_callback: true })).err, 'OK');
  await c.wait((e) => e.ev === 'closed');
  await withTimeout(h.closed, 2000 * SLOW, 'the server to see the socket close');
  const cev = await c.finish();
  assert.ok(!cev.some((e) => e.ev === 'done' && e.id === 'h'));
});

test('redirects: returned unless asked, followed up to the maximum', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: ca.cert }), 'OK');
  const no = await t.call('no', { url: good.url('/redirect?to=/ok') });
  assert.equal(no.err, 'OK');
  assert.equal(no.status, 302);
  assert.deepEqual(header(no, 'location'), ['/ok']);
  assert.equal(no.body, 'moved');

  const yes = await t.call('yes', { url: good.url('/redirect?to=/ok'), max_redirects: 3 });
  assert.equal(yes.err, 'OK');
  assert.equal(yes.status, 200);
  assert.equal(yes.body, 'hello');
  assert.deepEqual(header(yes, 'location'), [], 'headers of the final answer only');

  const loop = await t.call('loop', { url: good.url('/loop'), max_redirects: 2 });
  assert.equal(loop.err, 'EPROTO');
  assert.match(loop.errtext, /redirects/);

  const ftp = await t.call('ftp', { url: good.url('/redirect?to=ftp://127.0.0.1/x'), max_redirects: 3 });
  assert.equal(ftp.err, 'EPROTO');
  await t.finish();
});

test('bad input is refused at the start', async () => {
  const t = new Tool();
  assert.equal(await t.client({ ca_file: path.join(dir, 'missing.pem') }), 'ENOENT');
  assert.equal(await t.client({ ca_file: ca.cert, max_concurrent: 0 }), 'EINVAL');
  assert.equal(await t.client({ ca_file: ca.cert }), 'OK');
  const bad = [
    { url: 'ftp://127.0.0.1/x' },
    { url: 'not a url' },
    { url: 'http://' },
    { url: '/relative' },
    { url: plain.url('/ok'), method: 'GE T' },
    { url: plain.url('/ok'), headers: [['X-A', 'v\r\nInjected: 1']] },
    { url: plain.url('/ok'), headers: [['Bad Name', 'v']] },
    { url: plain.url('/ok'), headers: [['Content-Length', '5']] },
    { url: plain.url('/ok'), headers: [['Transfer-Encoding', 'chunked']] },
    { url: plain.url('/ok'), method: 'HEAD', body: 'x' },
  ];
  for (const [i, b] of bad.entries()) assert.equal(await t.start(`bad${i}`, b), 'EINVAL', JSON.stringify(b));
  const head = await t.call('head', { url: plain.url('/big?n=5000'), method: 'HEAD' });
  assert.equal(head.err, 'OK');
  assert.equal(head.status, 200);
  assert.deepEqual(header(head, 'content-length'), ['5000']);
  await t.finish();
});
