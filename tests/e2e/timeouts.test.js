'use strict';
// Timeouts (configs/limits.lua): header_timeout_ms 500 from the first byte
// of a request to its end (408, close), idle_timeout_ms 500 between
// keep-alive requests (silent close), send_timeout_ms 1000 for a client
// that does not read its answers (close; past 256 KiB queued its
// pipelined requests wait). After each, a normal request is served.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'limits.lua');
const HEADER_MS = 500;
const IDLE_MS = 500;
const SEND_MS = 1000;
// The sanitizer build is slower; only upper bounds stretch.
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;
const MARGIN = 700 * SLOW;
const get = (p) => `GET ${p} HTTP/1.1\r\nHost: gw.test\r\n\r\n`;

let gw;
test.before(async () => { gw = await h.start({ config: CONFIG, workers: 1 }); });
test.after(() => gw && gw.stop());

async function stillServes() {
  const r = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200, 'a normal request afterwards: ' + r.text);
}

// Runs fn on a fresh raw connection and closes it whatever happens.
async function onConn(fn) {
  const c = await h.RawConn.open(gw.port);
  try {
    await fn(c);
  } finally {
    c.close();
  }
}

function assertInRange(ms, lo, hi, what) {
  assert.ok(ms >= lo && ms <= hi, `${what} after ${Math.round(ms)} ms, expected ${lo}..${hi} ms`);
}

// Waits for the 408, then the close; returns ms from `t0` to the answer.
async function expect408(c, t0) {
  const r = await c.next(HEADER_MS + 3000 * SLOW);
  const at = performance.now() - t0;
  assert.equal(r.status, 408, r.text);
  assert.ok(r.json && typeof r.json.error === 'string' && typeof r.json.message === 'string', r.text);
  assert.match(r.headers.connection || '', /^close$/i, JSON.stringify(r.headers));
  await c.closed(2000);
  assert.equal(c.buf.length, 0, 'nothing after the 408');
  return at;
}

// ---- header timeout ----

test('header timeout: a request line and no end of headers: 408 at header_timeout_ms, closed', async () => {
  await onConn(async (c) => {
    const t0 = performance.now();
    c.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n');
    assertInRange(await expect408(c, t0), HEADER_MS - 50, HEADER_MS + MARGIN, '408');
  });
  await stillServes();
});

test('header timeout counts from the first byte: trickling a byte every 50 ms does not extend it', async () => {
  const c = await h.RawConn.open(gw.port);
  let timer;
  try {
    const t0 = performance.now();
    c.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nX-Slow: ');
    timer = setInterval(() => { if (!c.ended) c.write('a'); }, 50);
    assertInRange(await expect408(c, t0), HEADER_MS - 50, HEADER_MS + MARGIN, '408');
  } finally {
    clearInterval(timer);
    c.close();
  }
  await stillServes();
});

test('header timeout covers the body: a Content-Length body that stops halfway gets 408', async () => {
  await onConn(async (c) => {
    const t0 = performance.now();
    c.write('POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100\r\n\r\n' + 'b'.repeat(40));
    assertInRange(await expect408(c, t0), HEADER_MS - 50, HEADER_MS + MARGIN, '408');
  });
  await stillServes();
});

test('header timeout covers a chunked body too', async () => {
  await onConn(async (c) => {
    const t0 = performance.now();
    c.write('POST /hard/echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n');
    assertInRange(await expect408(c, t0), HEADER_MS - 50, HEADER_MS + MARGIN, '408');
  });
  await stillServes();
});

test('header timeout on a later keep-alive request starts at its first byte, not at the previous answer', async () => {
  await onConn(async (c) => {
    c.write(get('/put-sign?ext=jpg'));
    assert.equal((await c.next()).status, 200);
    await sleep(300); // idle, but within idle_timeout_ms
    const t0 = performance.now();
    c.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n');
    assertInRange(await expect408(c, t0), HEADER_MS - 50, HEADER_MS + MARGIN, '408');
  });
  await stillServes();
});

test('a request that completes in time is not cut by the header timeout', async () => {
  await onConn(async (c) => {
    const req = get('/put-sign?ext=jpg');
    c.write(req.slice(0, 10));
    await sleep(HEADER_MS / 2);
    c.write(req.slice(10));
    const r = await c.next();
    assert.equal(r.status, 200, r.text);
  });
});

// ---- idle timeout ----

test('idle timeout: a connection that never sends is closed silently at idle_timeout_ms', async () => {
  await onConn(async (c) => {
    const t0 = performance.now();
    await c.closed(IDLE_MS + 3000 * SLOW);
    assertInRange(performance.now() - t0, IDLE_MS - 50, IDLE_MS + MARGIN, 'closed');
    assert.equal(c.buf.length, 0, 'closed without a word: ' + c.buf.toString('latin1'));
  });
  await stillServes();
});

test('idle timeout: after an answer the keep-alive connection is closed silently at idle_timeout_ms', async () => {
  await onConn(async (c) => {
    c.write(get('/put-sign?ext=jpg'));
    const r = await c.next();
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(r.headers.connection || '', /close/i, 'kept alive');
    const t0 = performance.now();
    await c.closed(IDLE_MS + 3000 * SLOW);
    assertInRange(performance.now() - t0, IDLE_MS - 50, IDLE_MS + MARGIN, 'closed');
    assert.equal(c.buf.length, 0, 'no 408 or other bytes on an idle close: ' + c.buf.toString('latin1'));
  });
  await stillServes();
});

test('idle timeout restarts after each answer: requests every 300 ms keep one connection for 2 s', async () => {
  await onConn(async (c) => {
    for (let i = 0; i < 7; i++) {
      c.write(get('/put-sign?ext=jpg'));
      assert.equal((await c.next()).status, 200);
      await sleep(300);
      assert.equal(c.ended, false, `still open after request ${i + 1}`);
    }
  });
});

test('a request waiting in gw.sleep longer than idle_timeout_ms is answered', async () => {
  await onConn(async (c) => {
    c.write(get('/sleep?ms=900'));
    const r = await c.next(5000);
    assert.equal(r.status, 200, r.text);
  });
});

// ---- send timeout and write backpressure ----

async function bigServed() {
  const r = await h.request(gw.base, '/hard/count');
  assert.equal(r.status, 200, r.text);
  return r.json.served;
}

test('a client that pipelines and never reads: parsing stops past 256 KiB queued, closed at send_timeout_ms', async (t) => {
  const N = 1000; // 1000 answers of 64 KiB: 64 MiB, far more than socket buffers hold
  await onConn(async (c) => {
    const before = await bigServed();
    c.sock.pause(); // never read
    c.write(get('/hard/big').repeat(N));
    await sleep(300);
    const during = (await bigServed()) - before;
    assert.ok(during > 0, 'some answers were built');
    assert.ok(during < N / 4, `parsing stopped early: ${during} of ${N} answers built while the client read nothing`);
    t.diagnostic(`stalled client: ${during} of ${N} pipelined answers built`);

    // The server stays responsive meanwhile, and the stalled client is
    // dropped once send_timeout_ms passes with nothing written.
    await stillServes();
    await sleep(SEND_MS + MARGIN);
    const after = (await bigServed()) - before;
    assert.ok(after <= during + 4, `nothing more was parsed (${during} then ${after})`);

    // Reading now drains what the kernel buffered, then meets the close:
    // not the whole stream of N answers.
    c.sock.resume();
    await c.closed(5000);
    const got = c.buf.length;
    assert.ok(got < N * 65536, `closed early: ${got} bytes of ${N * 65536}`);
  });
  await stillServes();
});

test('a client that reads slowly but steadily (one read every 250 ms) gets every answer', async (t) => {
  const N = 16; // 1 MiB in all, at most ~64 KiB per read: several seconds
  const c = await h.RawConn.open(gw.port);
  const timer = setInterval(() => c.sock.resume(), 250);
  try {
    c.sock.on('data', () => c.sock.pause()); // one read, then wait for the timer
    c.sock.pause();
    c.write(get('/hard/big').repeat(N));
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const r = await c.next(30000);
      assert.equal(r.status, 200);
      assert.equal(r.text.length, 65536);
    }
    t.diagnostic(`slow reader: ${N} answers in ${Math.round(performance.now() - t0)} ms`);
  } finally {
    clearInterval(timer);
    c.close();
  }
});
