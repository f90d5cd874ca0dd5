'use strict';
// HTTP edges: HEAD answers without a body (and like GET where a GET
// route exists), Upgrade is ignored and the connection stays HTTP/1.1,
// CONNECT is answered then closed, request ids reveal nothing about
// volume, and the errors the server and router make go through the
// configured shape policy (the {"code":...} envelope here).
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const h = require('./lib/harness.js');

const get = (p, extra = '') => `GET ${p} HTTP/1.1\r\nHost: gw.test\r\n${extra}\r\n`;

let gw;
test.before(async () => { gw = await h.start(); });
test.after(() => gw && gw.stop());

test('HEAD: no body for a 404 or a 405, a GET route answers HEAD like GET without its body', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    // Each answer must end exactly at its head: the next one parses.
    c.write('HEAD /no-such-route HTTP/1.1\r\nHost: gw.test\r\n\r\n' +
            'HEAD /put-sign?ext=jpg HTTP/1.1\r\nHost: gw.test\r\n\r\n' +
            get('/put-sign?ext=jpg'));
    const head404 = await c.next(5000, { head: true });
    assert.equal(head404.status, 404);
    assert.equal(head404.text, '');
    const head200 = await c.next(5000, { head: true });
    assert.equal(head200.status, 200);
    assert.equal(head200.text, '');
    assert.ok(Number(head200.headers['content-length']) > 0, 'Content-Length of the GET answer');
    const r = await c.next();
    assert.equal(r.status, 200);
    assert.ok(r.json.cosKey, r.text);
  } finally {
    c.close();
  }
  // A 405 lists HEAD with GET, and a HEAD to it has no body either.
  const c2 = await h.RawConn.open(gw.port);
  try {
    c2.write('POST /put-sign HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0\r\n\r\n' + get('/put-sign?ext=png'));
    const r405 = await c2.next();
    assert.equal(r405.status, 405);
    assert.equal(r405.headers.allow, 'GET, HEAD, OPTIONS'); // OPTIONS: CORS preflights
    assert.equal((await c2.next()).status, 200);
  } finally {
    c2.close();
  }
});

test("HEAD through Node's keep-alive agent: the next request on the connection works", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const one = (method, p) => new Promise((resolve, reject) => {
    const req = http.request(`${gw.base}${p}`, { method, agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
  try {
    assert.equal((await one('HEAD', '/nope')).status, 404);
    assert.equal((await one('HEAD', '/post-policy?ext=jpg')).status, 200);
    const r = await one('GET', '/post-policy?ext=jpg');
    assert.equal(r.status, 200);
    assert.ok(JSON.parse(r.body).qSignature);
  } finally {
    agent.destroy();
  }
});

test('Upgrade (h2c, websocket) is ignored: the answer keeps the connection and the next request works', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write(get('/put-sign?ext=jpg', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n'));
    const r1 = await c.next();
    assert.equal(r1.status, 200);
    assert.notEqual(r1.headers.connection, 'close');
    c.write(get('/put-sign?ext=png', 'Connection: Upgrade\r\nUpgrade: websocket\r\n'));
    const r2 = await c.next();
    assert.equal(r2.status, 200, r2.text);
    c.write(get('/post-policy?ext=gif'));
    assert.equal((await c.next()).status, 200);
  } finally {
    c.close();
  }
});

test('CONNECT is answered, then the connection closes', async () => {
  const c = await h.RawConn.open(gw.port);
  try {
    c.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01garbage');
    const r = await c.next();
    assert.equal(r.status, 404);
    assert.equal(r.headers.connection, 'close');
    await c.closed();
  } finally {
    c.close();
  }
});

test('request ids are unpredictable: no shared prefix, no counter', async () => {
  const c = await h.RawConn.open(gw.port);
  const ids = [];
  try {
    for (let i = 0; i < 40; i++) {
      c.write(get('/nope'));
      ids.push((await c.next()).headers['x-request-id']);
    }
  } finally {
    c.close();
  }
  for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
  // A counter shows as a constant high half or consecutive low halves.
  assert.ok(new Set(ids.map((id) => id.slice(0, 8))).size > 30, 'high halves vary');
  const lows = ids.map((id) => parseInt(id.slice(8), 16));
  const steps = lows.slice(1).filter((v, i) => v - lows[i] === 1).length;
  assert.ok(steps < 3, `${steps} consecutive ids`);
});

test('errors made by the server and the router use the shape policy', async () => {
  const env = await h.start({ config: path.join(h.CONFIGS, 'envelope.lua') });
  try {
    const r404 = await h.request(env.base, '/nope');
    assert.equal(r404.status, 404);
    assert.deepEqual(r404.json, { code: 404, error: 'not_found', message: 'no such route' });
    const r405 = await h.request(env.base, '/put-sign', { method: 'POST', body: '' });
    assert.equal(r405.status, 405);
    assert.equal(r405.json.code, 405);
    assert.equal(r405.headers.allow, 'GET, HEAD, OPTIONS');
    const r500 = await h.request(env.base, '/boom');
    assert.equal(r500.status, 500);
    assert.equal(r500.json.code, 500);
    assert.equal(r500.json.requestId, r500.headers['x-request-id']);
    const c = await h.RawConn.open(env.port);
    try {
      c.write('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
      const r400 = await c.next();
      assert.equal(r400.status, 400);
      assert.deepEqual(r400.json, { code: 400, error: 'bad_request', message: 'malformed HTTP request' });
    } finally {
      c.close();
    }
    const big = await h.RawConn.open(env.port);
    try {
      big.write(`GET /put-sign?ext=${'a'.repeat(9000)} HTTP/1.1\r\nHost: gw.test\r\n\r\n`);
      const r414 = await big.next();
      assert.equal(r414.status, 414);
      assert.equal(r414.json.code, 414);
    } finally {
      big.close();
    }
  } finally {
    await env.stop();
  }
});
