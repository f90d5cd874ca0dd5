'use strict';
// Size limits (414, 431, 413), the connection cap, and the request shapes
// that could smuggle a second request past a proxy: each is refused with
// a JSON error and Connection: close, the connection is closed, nothing
// after it is parsed, and the server goes on answering normal requests.
// configs/limits.lua: max_url 1024, max_header_bytes 4096, max_headers 16,
// max_body 4096, max_connections 50 (timeouts raised here: not under test).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'limits.lua');
const MAX_URL = 1024;
const MAX_HEADERS = 16;
const MAX_BODY = 4096;
const MAX_CONNECTIONS = 50;

const get = (p, extra = '') => `GET ${p} HTTP/1.1\r\nHost: gw.test\r\n${extra}\r\n`;

let gw;
test.before(async () => {
  gw = await h.start({
    config: CONFIG,
    workers: 1, // one VM: /hard/count sees every /hard/big
    env: { SGW_TEST_LIMITS: 'idle_timeout_ms=20000,header_timeout_ms=20000' },
  });
});
test.after(() => gw && gw.stop());

async function stillServes() {
  const r = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200, 'a normal request afterwards: ' + r.text);
  assert.match(r.json.cosKey, /\.jpg$/);
}

// A refusal: the status, a JSON {"error","message"} body, Connection: close.
function assertRefusal(r, status) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/json/, JSON.stringify(r.headers));
  assert.ok(r.json && typeof r.json.error === 'string' && r.json.error.length > 0, 'error field: ' + r.text);
  assert.equal(typeof r.json.message, 'string', 'message field: ' + r.text);
  assert.match(r.headers.connection || '', /^close$/i, 'Connection: close: ' + JSON.stringify(r.headers));
  assert.ok(r.headers['x-request-id'], 'X-Request-Id');
}

// Long answers (64 KiB of /hard/big) would flood the test output.
const clip = (s) => (s.length > 400 ? s.slice(0, 400) + `... (${s.length} chars)` : s);
async function clipped(p) {
  try {
    return await p;
  } catch (e) {
    e.message = clip(e.message);
    throw e;
  }
}

// Sends `raw` (a string, or pieces written one after another) on a fresh
// connection and returns the one answer, after checking that the server
// then closed the connection and sent nothing more.
async function exchange(raw, { status, port = gw.port } = {}) {
  const c = await h.RawConn.open(port);
  try {
    for (const piece of [].concat(raw)) c.write(piece);
    const r = await clipped(c.next());
    if (status !== undefined) assertRefusal(r, status);
    // Then the close, and nothing else: a second answer means a second
    // request was parsed out of the bytes after the first.
    await clipped(c.wait(() => (c.ended || c.buf.length > 0 ? true : undefined), 5000, 'the server to close'));
    assert.equal(c.buf.length, 0, 'nothing after the answer, got: ' + clip(JSON.stringify(c.buf.toString('latin1'))));
    await clipped(c.closed(5000));
    return r;
  } finally {
    c.close();
  }
}

// ---- request target ----

test(`request target of exactly max_url (${MAX_URL}) bytes is served`, async () => {
  const base = '/put-sign?ext=jpg&pad=';
  const target = base + 'a'.repeat(MAX_URL - base.length);
  assert.equal(target.length, MAX_URL);
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(get(target));
    const r = await c.next();
    assert.equal(r.status, 200, r.text);
  } finally {
    c.close();
  }
});

test('request target one byte over max_url: 414, closed', async () => {
  const base = '/put-sign?ext=jpg&pad=';
  await exchange(get(base + 'a'.repeat(MAX_URL + 1 - base.length)), { status: 414 });
  await stillServes();
});

test('request target of 1 MiB, sent in pieces: 414, closed', async () => {
  const pieces = ['GET /put-sign?ext=jpg&pad='];
  for (let i = 0; i < 16; i++) pieces.push('b'.repeat(65536));
  pieces.push(' HTTP/1.1\r\nHost: gw.test\r\n\r\n');
  await exchange(pieces, { status: 414 });
  await stillServes();
});

// ---- header block ----

const headers = (n, size = 1) => Array.from({ length: n }, (_, i) => `X-H${i}: ${'v'.repeat(size)}\r\n`).join('');

test(`exactly max_headers (${MAX_HEADERS}) headers are served`, async () => {
  const r = await exchange(get('/put-sign?ext=jpg', headers(MAX_HEADERS - 2) + 'Connection: close\r\n'));
  assert.equal(r.status, 200, r.text);
});

test('one header more than max_headers: 431, closed', async () => {
  await exchange(get('/put-sign?ext=jpg', headers(MAX_HEADERS)), { status: 431 });
  await stillServes();
});

test('1000 tiny headers: 431, closed', async () => {
  await exchange(get('/put-sign?ext=jpg', headers(1000)), { status: 431 });
  await stillServes();
});

test('a header block well under max_header_bytes is served', async () => {
  const r = await exchange(get('/put-sign?ext=jpg', headers(2, 1000) + 'Connection: close\r\n'));
  assert.equal(r.status, 200, r.text);
});

test('one header value over max_header_bytes: 431, closed', async () => {
  await exchange(get('/put-sign?ext=jpg', `X-Big: ${'v'.repeat(5000)}\r\n`), { status: 431 });
  await stillServes();
});

test('few headers adding up to more than max_header_bytes: 431, closed', async () => {
  await exchange(get('/put-sign?ext=jpg', headers(8, 600)), { status: 431 });
  await stillServes();
});

test('1 MiB header value sent in pieces: 431, closed', async () => {
  const pieces = ['GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nX-Big: '];
  for (let i = 0; i < 16; i++) pieces.push('v'.repeat(65536));
  pieces.push('\r\n\r\n');
  await exchange(pieces, { status: 431 });
  await stillServes();
});

// ---- body ----

const post = (body, extra = '') => `POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
const chunked = (sizes) => 'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n' +
  sizes.map((n) => `${n.toString(16)}\r\n${'c'.repeat(n)}\r\n`).join('') + '0\r\n\r\n';

test(`a body of exactly max_body (${MAX_BODY}) bytes is served`, async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(post('b'.repeat(MAX_BODY)));
    const r = await c.next();
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { length: MAX_BODY });
  } finally {
    c.close();
  }
});

test('Content-Length one over max_body: 413 before the body is sent, closed', async () => {
  await exchange(`POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`, { status: 413 });
  await stillServes();
});

test('Content-Length of 1 TiB: 413, closed', async () => {
  await exchange(`POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${2 ** 40}\r\n\r\nxyz`, { status: 413 });
  await stillServes();
});

test('chunked body of exactly max_body bytes is served', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(chunked([1000, 1000, 1000, 1000, 96]));
    const r = await c.next();
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { length: MAX_BODY });
  } finally {
    c.close();
  }
});

test('chunked body one byte over max_body: 413, closed', async () => {
  await exchange(chunked([MAX_BODY, 1]), { status: 413 });
  await stillServes();
});

test('chunked body streaming 1 MiB in small chunks: 413, closed', async () => {
  await exchange(chunked(Array(1024).fill(1024)), { status: 413 });
  await stillServes();
});

// ---- connections per worker ----

test(`max_connections (${MAX_CONNECTIONS}, -w 1): extra connections are closed at once, the others are served`, async (t) => {
  // A server of its own: connections of the other tests still closing
  // must not count against the cap here.
  const own = await h.start({ config: CONFIG, workers: 1, env: { SGW_TEST_LIMITS: 'idle_timeout_ms=20000,header_timeout_ms=20000' } });
  t.after(() => own.stop());
  const conns = [];
  try {
    for (let i = 0; i < MAX_CONNECTIONS; i++) conns.push(await h.RawConn.open(own.port));
    // Each of them is accepted and answers: the worker counts them all.
    for (const c of conns) c.write(get('/put-sign?ext=png'));
    for (const c of conns) assert.equal((await c.next()).status, 200);

    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      const c = await h.RawConn.open(own.port).catch(() => null); // a reset during connect is a close too
      if (!c) continue;
      c.write(get('/put-sign?ext=png'));
      await c.closed(2000);
      assert.equal(c.buf.length, 0, 'no answer on a connection over the cap: ' + clip(c.buf.toString('latin1')));
      c.close();
    }
    const waited = performance.now() - t0;
    assert.ok(waited < 3000, `10 extra connections closed in ${Math.round(waited)} ms`);

    // The ones inside the cap are untouched and still answer.
    for (const c of conns) c.write(get('/post-policy?ext=gif'));
    for (const c of conns) {
      const r = await c.next();
      assert.equal(r.status, 200, r.text);
      assert.equal(c.ended, false);
    }

    // A closed one frees its place.
    conns.pop().close();
    let served = false;
    for (let i = 0; i < 40 && !served; i++) {
      await sleep(50);
      const c = await h.RawConn.open(own.port);
      c.write(get('/put-sign?ext=jpg'));
      served = await c.next(1000).then((r) => r.status === 200, () => false);
      c.close();
    }
    assert.ok(served, 'a new connection is served once one of the 50 closed');
  } finally {
    for (const c of conns) c.close();
  }
  const r = await h.request(own.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200, r.text);
});

// ---- request smuggling shapes: one answer (400), then close ----

// The smuggled request is /hard/big, which counts itself: if any of these
// let a second request through, the count moves.
const SMUGGLED = 'GET /hard/big HTTP/1.1\r\nHost: gw.test\r\n\r\n';
const SMUGGLING = {
  'Content-Length and Transfer-Encoding':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'Transfer-Encoding and Content-Length':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'duplicate Content-Length, same value':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc' + SMUGGLED,
  'duplicate Content-Length, different values':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n' + SMUGGLED,
  'Content-Length as a list':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0, 44\r\n\r\n' + SMUGGLED,
  'Transfer-Encoding: gzip (no chunked)':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: gzip\r\n\r\n' + SMUGGLED,
  'Transfer-Encoding: chunked, gzip (chunked not last)':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'Transfer-Encoding: identity':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: identity\r\n\r\n' + SMUGGLED,
  'Transfer-Encoding: xchunked':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'two Transfer-Encoding headers, chunked first':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'obsolete line folding':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nX-Folded: a\r\n b\r\n\r\n' + SMUGGLED,
  'obsolete line folding of Transfer-Encoding':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 44\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'obsolete line folding with a tab':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nX-Folded: a\r\n\tb\r\n\r\n' + SMUGGLED,
  'bare LF line endings':
    'GET /put-sign?ext=jpg HTTP/1.1\nHost: gw.test\n\n' + SMUGGLED,
  'bare LF after one header':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\nX-A: b\r\n\r\n' + SMUGGLED,
  'bare LF ending the header block':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\n' + SMUGGLED,
  'bare LF ending the header block of a chunked request':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\n3\r\nabc\r\n0\r\n\r\n' + SMUGGLED,
  'bare LF ending the header block before a Content-Length body':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 3\r\n\nabc' + SMUGGLED,
  'bare LF after the request line of a chunked request':
    'POST /hard/echo HTTP/1.1\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'bare LF before Transfer-Encoding':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'white space starting the first header line':
    'GET /put-sign?ext=jpg HTTP/1.1\r\n Host: gw.test\r\n\r\n' + SMUGGLED,
  'bare LF ending the last chunk\'s trailer section':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n' + SMUGGLED,
  'bare LF after a chunk size':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n' + SMUGGLED,
  'bare LF after a chunk':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n' + SMUGGLED,
  'bare CR inside a header line':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\rX-A: b\r\n\r\n' + SMUGGLED,
  'space before the colon':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost : gw.test\r\n\r\n' + SMUGGLED,
  'space before the colon of Content-Length':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length : 44\r\n\r\n' + SMUGGLED,
  'tab before the colon of Transfer-Encoding':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n' + SMUGGLED,
  'HTTP/1.1 without Host':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nX-A: b\r\n\r\n' + SMUGGLED,
  'HTTP/1.1 with two Host headers':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nhost: other.test\r\n\r\n' + SMUGGLED,
  'HTTP/1.1 with two identical Host headers':
    'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nHost: gw.test\r\n\r\n' + SMUGGLED,
  'chunk size that overflows':
    'POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\n' + SMUGGLED,
};

async function bigCount() {
  const r = await h.request(gw.base, '/hard/count');
  assert.equal(r.status, 200, r.text);
  return r.json.served;
}

for (const [name, raw] of Object.entries(SMUGGLING)) {
  test(`smuggling shape (${name}): 400, closed, nothing after it parsed`, async () => {
    const before = await bigCount();
    const r = await exchange(raw);
    assertRefusal(r, 400);
    assert.equal(await bigCount(), before, 'the smuggled request never ran');
    await stillServes();
  });
}

// The same shapes with every CR and LF ending a separate write, so the
// server reads them in pieces: a check that only looks within one read
// (a fold's CRLF and its leading space in different reads, say) is
// bypassed by any client that controls its TCP segments.
function splitAtLineBreaks(raw) {
  return raw.split(/(?<=[\r\n])/);
}

for (const [name, raw] of Object.entries(SMUGGLING)) {
  test(`smuggling shape (${name}), split into reads at every CR and LF: 400, closed, nothing after it parsed`, async () => {
    const before = await bigCount();
    const c = await h.RawConn.open(gw.port);
    try {
      c.sock.setNoDelay(true);
      for (const piece of splitAtLineBreaks(raw)) {
        if (c.ended) break;
        c.write(piece);
        await sleep(10);
      }
      const r = await clipped(c.next());
      assertRefusal(r, 400);
      await clipped(c.wait(() => (c.ended || c.buf.length > 0 ? true : undefined), 5000, 'the server to close'));
      assert.equal(c.buf.length, 0, 'nothing after the answer, got: ' + clip(JSON.stringify(c.buf.toString('latin1'))));
    } finally {
      c.close();
    }
    assert.equal(await bigCount(), before, 'the smuggled request never ran');
    await stillServes();
  });
}

// RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing;
// the connection must be closed after this message whatever its answer.
// signgw refuses it outright.
test('Transfer-Encoding on HTTP/1.0: 400, closed, nothing after it parsed', async () => {
  const before = await bigCount();
  const r = await exchange('POST /hard/echo HTTP/1.0\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + SMUGGLED);
  assertRefusal(r, 400);
  assert.equal(await bigCount(), before, 'the smuggled request never ran');
  await stillServes();
});

test('control: HTTP/1.0 without Host, and a lone chunked body, are served', async () => {
  let r = await exchange('GET /put-sign?ext=jpg HTTP/1.0\r\n\r\n');
  assert.equal(r.status, 200, r.text);
  const c = await h.RawConn.open(gw.port);
  try {
    c.write('POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' + get('/put-sign?ext=png'));
    r = await c.next();
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { length: 3 });
    r = await c.next();
    assert.equal(r.status, 200, 'the pipelined request after a good chunked body: ' + r.text);
  } finally {
    c.close();
  }
});
