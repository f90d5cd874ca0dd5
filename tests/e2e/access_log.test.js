'use strict';
// The JSON access log: exactly one valid JSON line per request (answered,
// refused by the server, or abandoned by its client: 499), with the fields
// the README lists and the values the client saw (request id, status,
// body bytes); never a secret, an Authorization value, a cookie or a
// query parameter other than ext. A rename followed by SIGUSR1 sends new
// lines to a new file and loses none, also while requests keep coming.
// SGW_ACCESS_LOG=- writes to stdout, off writes nothing; lines are flushed
// at least once a second and at exit. The error log (stderr) has the same
// timestamps, and a level on every line.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const h = require('./lib/harness.js');
const { sleep, until: waitUntil } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'observe.lua');
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;
const LIMITS = 'idle_timeout_ms=20000,header_timeout_ms=20000,max_connections=500';
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
// Things a client sends that must never reach the log.
const BEARER = 'Bearer sgwBearerTokenMustNotBeLogged0001';
const COOKIE = 'session=sgwCookieValueMustNotBeLogged0002';
const QUERY_SECRET = 'sgwQueryTokenMustNotBeLogged0003';

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-alog-'));
}

function get(base, p, { agent = false, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(base + p, { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

function lines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const until = (what, fn, ms = 5000 * SLOW) => waitUntil(what, fn, ms);

function checkLine(text) {
  const e = JSON.parse(text); // throws on anything but valid JSON
  assert.match(e.time, TIME, text);
  assert.match(e.request_id, /^[0-9a-f]{16}$/, text);
  assert.equal(e.remote_addr, '127.0.0.1', text);
  assert.equal(typeof e.method, 'string');
  assert.equal(typeof e.path, 'string');
  assert.equal(typeof e.query, 'object');
  assert.ok(Number.isInteger(e.status) && e.status >= 200 && e.status <= 599, text);
  assert.ok(Number.isInteger(e.bytes) && e.bytes >= 0, text);
  assert.ok(typeof e.duration_ms === 'number' && e.duration_ms >= 0, text);
  assert.ok(e.route === null || typeof e.route === 'string', text);
  assert.ok(Number.isInteger(e.generation) && e.generation >= 1, text);
  for (const k of Object.keys(e.query)) assert.equal(k, 'ext', `only ext from the query: ${text}`);
  return e;
}

function assertClean(text, where) {
  for (const s of [h.SECRET_KEY, BEARER, 'sgwBearerToken', 'sgwCookieValue', QUERY_SECRET]) {
    assert.ok(!text.includes(s), `${s} in ${where}`);
  }
}

test('one valid JSON line per request, with what the client saw, and nothing secret', async (t) => {
  const dir = tmpdir();
  const file = path.join(dir, 'access.log');
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_ACCESS_LOG: file, SGW_TEST_LIMITS: LIMITS } });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const t0 = Date.now();
  const seen = new Map(); // request id -> what the client got
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const headers = { authorization: BEARER, cookie: COOKIE };
  const paths = [
    '/put-sign?ext=jpg', `/post-policy?ext=png&token=${QUERY_SECRET}`, '/post-policy?ext=exe',
    '/post-policy?ext=%E4%B8%AD', '/nowhere?ext=jpg', '/boom', '/healthz', '/readyz', '/metrics',
    '/put-sign', '/obs/metric?label=x&ext=J%22PG',
  ];
  for (let round = 0; round < 5; round++) {
    for (const p of paths) {
      const r = await get(gw.base, p, { agent, headers });
      seen.set(r.headers['x-request-id'], { p, status: r.status, bytes: r.body.length });
    }
  }
  agent.destroy();
  // Refused by the server itself (malformed: 400, then closed).
  const raw = await h.RawConn.open(gw.port);
  raw.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  const refused = await raw.next();
  assert.equal(refused.status, 400);
  seen.set(refused.headers['x-request-id'], { p: '/put-sign?ext=jpg', status: 400, bytes: Buffer.byteLength(refused.text) });
  raw.close();
  // Pipelined on one connection: one line each.
  const pipe = await h.RawConn.open(gw.port);
  pipe.write('GET /put-sign?ext=gif HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(3));
  for (let i = 0; i < 3; i++) {
    const r = await pipe.next();
    seen.set(r.headers['x-request-id'], { p: '/put-sign?ext=gif', status: r.status, bytes: Buffer.byteLength(r.text) });
  }
  pipe.close();
  // Bytes that are not UTF-8 in the path and in ext: still valid JSON
  // (each such byte read as Latin-1).
  const odd = await h.RawConn.open(gw.port);
  odd.write(Buffer.from('GET /caf\xe9?ext=%ff%22 HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1'));
  const oddR = await odd.next();
  odd.close();
  const oddId = oddR.headers['x-request-id'];
  // HEAD: no body sent, so 0 bytes.
  const head = await new Promise((resolve, reject) => {
    const req = http.request(gw.base + '/put-sign?ext=jpg', { method: 'HEAD', agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res)); });
    req.on('error', reject);
    req.end();
  });
  seen.set(head.headers['x-request-id'], { p: '/put-sign?ext=jpg', status: 200, bytes: 0 });
  // A client that goes away while its handler waits: logged as 499.
  const gone = await h.RawConn.open(gw.port);
  gone.write('GET /sleep?ms=3000 HTTP/1.1\r\nHost: a\r\n\r\n');
  await sleep(200);
  gone.sock.resetAndDestroy();

  const want = seen.size + 2;
  await until(`${want} lines`, () => lines(file).length === want || lines(file).length);
  await sleep(1200); // nothing more comes
  const text = fs.readFileSync(file, 'utf8');
  const all = lines(file);
  assert.equal(all.length, want, text.slice(-2000));
  assertClean(text, 'the access log');
  const byId = new Map();
  for (const l of all) {
    const e = checkLine(l);
    assert.ok(!byId.has(e.request_id), `request id twice: ${l}`);
    byId.set(e.request_id, e);
    assert.ok(Date.parse(e.time) >= t0 - 1000 && Date.parse(e.time) <= Date.now(), l);
  }
  for (const [id, s] of seen) {
    const e = byId.get(id);
    assert.ok(e, `no line for ${s.p} (${id})`);
    assert.equal(e.status, s.status, JSON.stringify(e));
    assert.equal(e.bytes, s.bytes, JSON.stringify(e));
    const u = new URL(s.p, 'http://x');
    assert.equal(e.path, u.pathname);
    if (u.searchParams.has('ext')) assert.equal(e.query.ext, u.searchParams.get('ext'), JSON.stringify(e));
    else assert.deepEqual(e.query, {});
  }
  const oddLine = byId.get(oddId);
  assert.equal(oddLine.path, '/caf\u00e9');
  assert.deepEqual(oddLine.query, { ext: '\u00ff"' });
  assert.equal(oddLine.status, oddR.status);
  const routeOf = (p) => byId.get([...seen].find(([, s]) => s.p === p)[0]).route;
  assert.equal(routeOf('/put-sign?ext=jpg'), 'GET /put-sign');
  assert.equal(routeOf('/nowhere?ext=jpg'), null);
  assert.equal(routeOf('/healthz'), 'GET /healthz');
  assert.equal(routeOf('/boom'), 'GET /boom');
  const aborted = all.map((l) => JSON.parse(l)).filter((e) => e.status === 499);
  assert.equal(aborted.length, 1);
  assert.equal(aborted[0].path, '/sleep');
  assert.equal(aborted[0].route, 'GET /sleep');
  assert.ok(aborted[0].duration_ms >= 150, JSON.stringify(aborted[0]));
  // The log never mentions the headers either.
  assertClean(gw.log(), 'the server output');
});

test('rename + SIGUSR1 while requests keep coming: new lines go to the new file, none is lost', async (t) => {
  const dir = tmpdir();
  const file = path.join(dir, 'access.log');
  const rotated = path.join(dir, 'access.log.1');
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_ACCESS_LOG: file, SGW_TEST_LIMITS: LIMITS } });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const ids = [];
  const afterReopen = [];
  let reopened = false;
  let stop = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (!stop) {
      const known = reopened; // the reopen was logged before this was sent
      const r = await get(gw.base, '/put-sign?ext=jpg', { agent });
      assert.equal(r.status, 200);
      ids.push(r.headers['x-request-id']);
      if (known) afterReopen.push(r.headers['x-request-id']);
    }
  }));
  await sleep(600);
  fs.renameSync(file, rotated);
  gw.child.kill('SIGUSR1');
  await until('the reopen is logged', () => /access log reopened/.test(gw.log()));
  reopened = true;
  await sleep(600);
  stop = true;
  await load;
  agent.destroy();
  await until(`${ids.length} lines in both files`, () => lines(file).length + lines(rotated).length === ids.length ||
    lines(file).length + lines(rotated).length);
  const oldIds = lines(rotated).map((l) => checkLine(l).request_id);
  const newIds = lines(file).map((l) => checkLine(l).request_id);
  assert.ok(oldIds.length > 0 && newIds.length > 0, `${oldIds.length} / ${newIds.length}`);
  assert.deepEqual([...oldIds, ...newIds].sort(), [...ids].sort(), 'every request exactly once');
  const inNew = new Set(newIds);
  assert.ok(afterReopen.length > 0);
  for (const id of afterReopen) assert.ok(inNew.has(id), `${id}, sent after the reopen, is not in the new file`);
  t.diagnostic(`${ids.length} requests: ${oldIds.length} in the renamed file, ${newIds.length} in the new one`);
});

test('SGW_ACCESS_LOG=- writes to stdout (flushed within a second and at exit); off writes nothing; the error log has timestamps and levels', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_ACCESS_LOG: '-' } });
  for (let i = 0; i < 5; i++) assert.equal((await get(gw.base, '/put-sign?ext=jpg')).status, 200);
  const t0 = Date.now();
  await until('5 lines on stdout', () => gw.stdout().split('\n').filter(Boolean).length === 5, 3000 * SLOW);
  assert.ok(Date.now() - t0 < 1500 * SLOW, 'flushed within a second');
  // Sent just before SIGTERM: written at exit.
  assert.equal((await get(gw.base, '/put-sign?ext=png')).status, 200);
  await gw.stop();
  const out = gw.stdout().split('\n').filter(Boolean);
  assert.equal(out.length, 6, gw.stdout());
  for (const l of out) checkLine(l);
  assert.equal(JSON.parse(out[5]).query.ext, 'png');
  // The error log: every stderr line has the same time format and a level.
  const errLines = gw.log().split('\n').filter((l) => l && !l.startsWith('{'));
  assert.ok(errLines.length >= 3, gw.log());
  for (const l of errLines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(debug|info|warn|error)\] /, l);

  const off = await h.start({ config: CONFIG, workers: 1, env: { SGW_ACCESS_LOG: 'off' } });
  for (let i = 0; i < 3; i++) assert.equal((await get(off.base, '/put-sign?ext=jpg')).status, 200);
  await sleep(1200);
  await off.stop();
  assert.equal(off.stdout(), '');
  assert.match(off.log(), /access log off/);
});

test('an access log file that cannot be opened stops the start with a clear message', async () => {
  await assert.rejects(h.start({ config: CONFIG, env: { SGW_ACCESS_LOG: '/nonexistent-dir/sub/access.log' } }),
    /access log: cannot open \/nonexistent-dir\/sub\/access\.log/);
});

test('the user a policy named (ctx.user) is logged: the bearer example policy', async (t) => {
  const dir = tmpdir();
  const file = path.join(dir, 'access.log');
  const gw = await h.start({ config: path.join(h.CONFIGS, 'bearer_users.lua'), workers: 1, env: { SGW_ACCESS_LOG: file } });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const alice = await get(gw.base, '/put-sign?ext=jpg', { headers: { authorization: 'Bearer sgw-e2e-token-alice' } });
  assert.equal(alice.status, 200);
  const nobody = await get(gw.base, '/put-sign?ext=jpg', { headers: { authorization: 'Bearer wrong' } });
  assert.ok(nobody.status === 401 || nobody.status === 403, String(nobody.status));
  await until('2 lines', () => lines(file).length === 2);
  const [a, n] = lines(file).map(checkLine);
  assert.equal(a.request_id, alice.headers['x-request-id']);
  assert.equal(a.user, 'alice');
  assert.equal(n.user, undefined, 'no user when the policy let nobody in');
  assert.ok(!fs.readFileSync(file, 'utf8').includes('sgw-e2e-token'), 'no token in the log');
});

test('a user a handler names is written as JSON text, whatever it holds', async (t) => {
  const dir = tmpdir();
  const file = path.join(dir, 'access.log');
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_ACCESS_LOG: file } });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const r = await get(gw.base, '/obs/user?name=alice%22%0a%5Cx');
  assert.equal(JSON.parse(r.body.toString()).per_request, true, 'ctx is the request\'s own');
  await get(gw.base, '/put-sign?ext=jpg');
  await until('2 lines', () => lines(file).length === 2);
  const [named, anon] = lines(file).map(checkLine);
  assert.equal(named.user, 'alice"\n\\x');
  assert.equal(anon.user, undefined, 'the next request on the same coroutine has no user');
});
