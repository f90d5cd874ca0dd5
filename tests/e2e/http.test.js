'use strict';
// HTTP/1.1 behaviour seen from a raw socket: keep-alive, pipelining, the
// JSON error answers, a failing route script, and malformed requests.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const get = (p) => `GET ${p} HTTP/1.1\r\nHost: gw.test\r\n\r\n`;

let gw;
test.before(async () => { gw = await h.start(); });
test.after(() => gw && gw.stop());

function assertRequestId(r) {
  assert.ok(r.headers['x-request-id'], 'X-Request-Id on every response: ' + JSON.stringify(r.headers));
}

test('keep-alive: several requests on one connection', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    const ids = new Set();
    for (let i = 0; i < 4; i++) {
      c.write(get('/put-sign?ext=png'));
      const r = await c.next();
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.cosKey, /\.png$/);
      assertRequestId(r);
      ids.add(r.headers['x-request-id']);
    }
    assert.equal(ids.size, 4, 'request ids differ');
    assert.equal(c.ended, false, 'connection still open');
  } finally {
    c.close();
  }
});

test('pipelining: three requests in one write, three answers in order', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(get('/put-sign?ext=jpg') + get('/no-such-route') + get('/post-policy?ext=gif'));
    const [a, b, d] = [await c.next(), await c.next(), await c.next()];
    assert.equal(a.status, 200, a.text);
    assert.match(a.json.cosKey, /\.jpg$/);
    assert.ok(a.json.authorization);
    assert.equal(b.status, 404, b.text);
    assert.equal(d.status, 200, d.text);
    assert.match(d.json.cosKey, /\.gif$/);
    assert.ok(d.json.qSignature);
    for (const r of [a, b, d]) assertRequestId(r);
  } finally {
    c.close();
  }
});

test('unknown path: 404 JSON not_found', async () => {
  const r = await h.request(gw.base, '/nope?ext=jpg');
  assert.equal(r.status, 404, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  assert.equal(r.json && r.json.error, 'not_found', r.text);
  assertRequestId(r);
});

test('known path, wrong method: 405 JSON with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const r = await h.request(gw.base, '/put-sign?ext=jpg', { method, body: method === 'DELETE' ? undefined : 'x' });
    assert.equal(r.status, 405, `${method}: ${r.text}`);
    assert.match(r.headers['content-type'] || '', /^application\/json/);
    assert.ok(r.json && r.json.error, r.text);
    assert.match(r.headers.allow || '', /\bGET\b/, 'Allow header: ' + JSON.stringify(r.headers));
    assertRequestId(r);
  }
});

test('route script error: 500 JSON with requestId, details only in the log, server goes on', async () => {
  const r = await h.request(gw.base, '/boom');
  assert.equal(r.status, 500, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  assert.equal(r.json && r.json.error, 'internal', r.text);
  assertRequestId(r);
  assert.equal(r.json.requestId, r.headers['x-request-id'], 'requestId matches X-Request-Id');
  assert.doesNotMatch(r.text, /e2e-boom-marker|traceback|\.lua/, 'no script details in the response');
  // The log is written asynchronously; give it a moment.
  for (let i = 0; i < 20 && !gw.log().includes('e2e-boom-marker'); i++) await new Promise((s) => setTimeout(s, 50));
  assert.match(gw.log(), /e2e-boom-marker/, 'the error is logged');
  const ok = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(ok.status, 200, ok.text);
});

for (const [name, raw] of Object.entries({
  'garbage request line': 'GARBAGE\r\n\r\n',
  'header without colon': 'GET /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\nNo colon here\r\n\r\n',
  'bad HTTP version': 'GET /put-sign?ext=jpg HTTP/9.9\r\nHost: gw.test\r\n\r\n',
  'invalid Content-Length': 'POST /put-sign HTTP/1.1\r\nHost: gw.test\r\nContent-Length: abc\r\n\r\n',
})) {
  test(`malformed request (${name}): 400 and the connection is closed`, async () => {
    const c = await h.RawConn.open(gw.port);
    try {
      c.write(raw);
      const r = await c.next();
      assert.equal(r.status, 400, r.text);
      assertRequestId(r);
      await c.closed();
    } finally {
      c.close();
    }
  });
}

test('a good request before a malformed one is still answered', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(get('/put-sign?ext=jpg') + 'GARBAGE\r\n\r\n');
    const a = await c.next();
    assert.equal(a.status, 200, a.text);
    const b = await c.next();
    assert.equal(b.status, 400, b.text);
    await c.closed();
  } finally {
    c.close();
  }
});

// The status route answers operators on this machine only. To see it from
// a non-loopback address, listen on every interface and come in through
// this machine's own external address.
test('/_signgw/status: 403 from a non-loopback address, 200 from loopback', async (t) => {
  const os = require('node:os');
  const ext = Object.values(os.networkInterfaces()).flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!ext) return t.skip('this machine has no non-loopback IPv4 address');
  const all = await h.start({ args: ['-l', '0.0.0.0:0'] });
  try {
    const remote = await h.request(`http://${ext.address}:${all.port}`, '/_signgw/status');
    assert.equal(remote.status, 403, remote.text);
    assert.equal(remote.json.error, 'forbidden');
    assert.equal(remote.json.generation, undefined, 'no status fields leak');
    const local = await h.request(all.base, '/_signgw/status');
    assert.equal(local.status, 200, local.text);
    assert.equal(typeof local.json.generation, 'number');
  } finally {
    await all.stop();
  }
});
