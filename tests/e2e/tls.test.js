'use strict';
// TLS on the listener, checked with real clients against a throw-away CA
// made by the openssl CLI (lib/tls.js):
//   - curl --cacert gets its answer; without the CA it refuses the server;
//   - openssl s_client negotiates TLS 1.3 and TLS 1.2 (forward-secret
//     AEAD suites only), ALPN http/1.1, and resumes with a ticket; the
//     server answers TLS 1.0/1.1 with a protocol_version alert, an h2-only
//     ALPN offer with no_application_protocol, a CBC suite with a failure;
//   - plain HTTP and TLS listeners serve side by side, each refusing the
//     other protocol without harm; bodies and answers of many records;
//   - a client that stalls in the handshake is closed at the header
//     timeout, while a finished handshake gets the idle timeout;
//   - a certificate swap followed by SIGHUP serves the new certificate
//     (Node's X509Certificate fingerprints, not ours) with no failed
//     request under load; a broken or mismatched pair keeps the old one
//     and the log says why;
//   - -t and the start check the pair; config mistakes are named.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const tls = require('node:tls');
const https = require('node:https');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync, execFileSync } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');
const { makeCa, makeServerCert } = require('./lib/tls.js');

const SAN = process.env.SGW_SANITIZE === '1';
const SLOW = SAN ? 2 : 1;
const SAN_NAMES = 'IP:127.0.0.1,DNS:localhost';

// A CA and two server certificates it signed, in a fresh temp dir.
function pki(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir, 'ca');
  const one = makeServerCert(dir, ca, 'one', SAN_NAMES);
  const two = makeServerCert(dir, ca, 'two', SAN_NAMES);
  for (const c of [one, two]) c.fingerprint = new crypto.X509Certificate(c.cert).fingerprint256;
  return { dir, ca, caPem: fs.readFileSync(ca.cert, 'utf8'), one, two };
}

// A config in `dir`: limits.lua (small limits, the hard_* routes) with
// `listen` (Lua text) as its listen entries.
function config(dir, listen, name = 'tls.lua') {
  const file = path.join(dir, name);
  fs.writeFileSync(file, h.configOver('limits.lua', [`c.listen = ${listen}`]));
  return file;
}

const lua = (s) => JSON.stringify(s);
const tlsEntry = (cert, key) => `{ addr = "127.0.0.1:0", tls = { cert = ${lua(cert)}, key = ${lua(key)} } }`;
const GET = (p) => `GET ${p} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n`;

async function waitLog(gw, re, from = 0) {
  for (let i = 0; i < 100 * SLOW; i++) {
    if (re.test(gw.log().slice(from))) return;
    await sleep(50);
  }
  assert.fail(`no ${re} in the log:\n${gw.log().slice(from)}`);
}

// openssl s_client against port with `args`, sending `input`; its output.
function sClient(port, args, input = GET('/put-sign?ext=jpg')) {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof', ...args],
    { input, encoding: 'utf8', timeout: 10000 });
  return { status: r.status, out: (r.stdout || '') + (r.stderr || '') };
}

// GET over HTTPS on a fresh connection; resolves with status, body and
// the certificate the server showed (or {error}).
function httpsGet(port, p, ca, agent = false) {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, ca, agent }, (res) => {
      const cert = res.socket.getPeerCertificate();
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), fingerprint: cert && cert.fingerprint256 }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

test('curl and openssl s_client: TLS 1.3 and 1.2 with modern suites, ALPN http/1.1, resumption; TLS 1.0/1.1, h2-only and CBC refused', async (t) => {
  const k = pki(t);
  const gw = await h.start({ listen: null, config: config(k.dir, `{ ${tlsEntry(k.one.certFile, k.one.keyFile)} }`) });
  t.after(() => gw.stop());
  assert.equal(gw.listeners.length, 1);
  assert.ok(gw.listeners[0].tls, gw.log());
  const port = gw.port;

  // curl, trusting the CA only.
  const c = spawnSync('curl', ['-sS', '--cacert', k.ca.cert, '-w', '\n%{http_code} %{http_version} %{ssl_verify_result}',
    `https://127.0.0.1:${port}/put-sign?ext=jpg`], { encoding: 'utf8', timeout: 10000 });
  assert.equal(c.status, 0, c.stderr);
  const [body, meta] = c.stdout.split('\n');
  assert.equal(meta, '200 1.1 0', c.stdout);
  const json = JSON.parse(body);
  assert.equal(json.cosHost, h.COS_HOST);
  h.assertNoSecret(c.stdout, 'curl');
  // The same curl without the CA refuses the server: the CA is what made it trust it.
  const u = spawnSync('curl', ['-sS', `https://127.0.0.1:${port}/put-sign?ext=jpg`], { encoding: 'utf8', timeout: 10000 });
  assert.equal(u.status, 60, `curl without the CA: ${u.status} ${u.stderr}`);

  const verify = ['-CAfile', k.ca.cert, '-verify_return_error'];
  const v13 = sClient(port, [...verify, '-tls1_3']);
  assert.match(v13.out, /New, TLSv1\.3, Cipher is TLS_(AES_256_GCM_SHA384|AES_128_GCM_SHA256|CHACHA20_POLY1305_SHA256)/, v13.out);
  assert.match(v13.out, /Verify return code: 0 \(ok\)/);
  assert.match(v13.out, /HTTP\/1\.1 200 OK/);
  const v12 = sClient(port, [...verify, '-tls1_2']);
  assert.match(v12.out, /New, TLSv1\.2, Cipher is ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)/, v12.out);
  assert.match(v12.out, /HTTP\/1\.1 200 OK/);

  // The client is made willing (security level 0), so a refusal is the
  // server's: its protocol_version alert (70) comes back.
  for (const old of ['-tls1', '-tls1_1']) {
    const r = sClient(port, [old, '-cipher', 'DEFAULT:@SECLEVEL=0']);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /alert protocol version|alert number 70/, `${old}: ${r.out}`);
    assert.doesNotMatch(r.out, /HTTP\/1\.1/);
  }
  // A CBC suite OpenSSL's client offers by default, but not us.
  const cbc = sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA']);
  assert.notEqual(cbc.status, 0, cbc.out);
  assert.match(cbc.out, /alert handshake failure|alert number 40/, cbc.out);

  // ALPN: http/1.1 chosen from h2,http/1.1; h2 alone refused (RFC 7301).
  const alpn = sClient(port, [...verify, '-alpn', 'h2,http/1.1']);
  assert.match(alpn.out, /ALPN protocol: http\/1\.1/, alpn.out);
  const h2 = sClient(port, ['-alpn', 'h2']);
  assert.notEqual(h2.status, 0, h2.out);
  assert.match(h2.out, /no application protocol|alert number 120/, h2.out);

  // Resumption with the ticket of the first connection, both versions.
  for (const v of ['-tls1_3', '-tls1_2']) {
    const sess = path.join(k.dir, `sess${v}.pem`);
    const first = sClient(port, [...verify, v, '-sess_out', sess]);
    assert.match(first.out, /^New, /m, first.out);
    const again = sClient(port, [...verify, v, '-sess_in', sess]);
    assert.match(again.out, /^Reused, TLSv1\.[23]/m, `${v} resumed: ${again.out}`);
    assert.match(again.out, /HTTP\/1\.1 200 OK/);
  }
  // Handshake failures are logged (at most one line a second).
  await waitLog(gw, /tls: handshake with 127\.0\.0\.1 failed: .*(unsupported protocol|no shared cipher|no application protocol)/);
});

test('plain and TLS listeners side by side; each refuses the other protocol and serves on; big bodies and answers', async (t) => {
  const k = pki(t);
  // No tls on the first entry and tls = true on the second: the
  // environment's pair goes to the second only.
  const gw = await h.start({
    listen: null,
    workers: 2,
    config: config(k.dir, '{ "127.0.0.1:0", { addr = "127.0.0.1:0", tls = true } }'),
    env: { SGW_TLS_CERT: k.one.certFile, SGW_TLS_KEY: k.one.keyFile, SGW_TEST_LIMITS: 'max_body=2097152' },
  });
  t.after(() => gw.stop());
  const [plain, secure] = gw.listeners;
  assert.deepEqual([plain.tls, secure.tls], [false, true], gw.log());
  assert.notEqual(plain.port, secure.port);

  const a = await h.request(plain.base, '/put-sign?ext=jpg');
  assert.equal(a.status, 200);
  const b = await h.request(secure.base, '/post-policy?ext=png', { ca: k.caPem });
  assert.equal(b.status, 200);
  assert.equal(b.json.cosHost, h.COS_HOST);

  // HTTP to the TLS port: no HTTP answer, the connection is closed.
  const raw = await h.RawConn.open(secure.port);
  raw.write(GET('/put-sign?ext=jpg'));
  await raw.closed(3000);
  assert.doesNotMatch(raw.buf.toString('latin1'), /HTTP\/1\./);
  // TLS to the plain port: the handshake fails on the client.
  const bad = await httpsGet(plain.port, '/put-sign?ext=jpg', k.caPem);
  assert.ok(bad.error, JSON.stringify(bad));

  // A 1 MiB body (many TLS records, more than one plaintext batch) and a
  // 64 KiB answer, on one keep-alive connection with pipelining.
  const body = crypto.randomBytes(1 << 20);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: k.caPem });
  t.after(() => agent.destroy());
  const echo = await h.request(secure.base, '/hard/echo', { method: 'POST', body, agent, headers: { 'content-length': body.length } });
  assert.equal(echo.status, 200, echo.text);
  assert.deepEqual(echo.json, { length: body.length });
  const big = await h.request(secure.base, '/hard/big', { agent });
  assert.equal(big.status, 200);
  assert.equal(big.text, 'x'.repeat(65536));
  const s = tls.connect({ host: '127.0.0.1', port: secure.port, ca: k.caPem });
  await new Promise((r, j) => { s.once('secureConnect', r); s.once('error', j); });
  s.write(GET('/put-sign?ext=jpg').replace('Connection: close', 'Connection: keep-alive').repeat(5) + GET('/put-sign?ext=png'));
  const got = await new Promise((resolve) => {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  assert.equal((got.match(/HTTP\/1\.1 200 OK/g) || []).length, 6, got.slice(0, 300));
  // Still serving both.
  assert.equal((await h.request(plain.base, '/put-sign?ext=jpg')).status, 200);
  assert.equal((await h.request(secure.base, '/put-sign?ext=jpg', { ca: k.caPem })).status, 200);
});

test('a client that stalls in the handshake is closed at the header timeout; after the handshake the idle timeout applies', async (t) => {
  const k = pki(t);
  const gw = await h.start({
    listen: null,
    config: config(k.dir, `{ "127.0.0.1:0", ${tlsEntry(k.one.certFile, k.one.keyFile)} }`),
    env: { SGW_TEST_LIMITS: 'header_timeout_ms=1000,idle_timeout_ms=4000' },
  });
  t.after(() => gw.stop());
  const [plain, secure] = gw.listeners;

  async function closedAfter(port, send) {
    const c = await h.RawConn.open(port);
    const t0 = performance.now();
    if (send) c.write(send);
    await c.closed(5000 * SLOW);
    return performance.now() - t0;
  }
  // Nothing at all, and half a ClientHello (a record header promising
  // 512 bytes, then 6 of them).
  const partial = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
  const [silent, half] = await Promise.all([closedAfter(secure.port), closedAfter(secure.port, partial)]);
  t.diagnostic(`silent: closed after ${Math.round(silent)} ms, half a ClientHello: ${Math.round(half)} ms`);
  for (const ms of [silent, half]) {
    assert.ok(ms >= 900, `closed at the header timeout, not before (${Math.round(ms)} ms)`);
    assert.ok(ms < 1000 + 1500 * SLOW, `closed at the header timeout (${Math.round(ms)} ms)`);
  }
  // Control: a plain connection that says nothing waits for the idle timeout.
  const p = await h.RawConn.open(plain.port);
  await sleep(1600);
  assert.equal(p.ended, false, 'a quiet plain connection lives past the header timeout');
  p.close();
  // A finished handshake, then quiet for longer than the header timeout:
  // still served.
  const s = tls.connect({ host: '127.0.0.1', port: secure.port, ca: k.caPem });
  await new Promise((r, j) => { s.once('secureConnect', r); s.once('error', j); });
  await sleep(1600);
  s.write(GET('/put-sign?ext=jpg'));
  const answer = await new Promise((resolve) => {
    let text = '';
    s.on('data', (d) => { text += d; });
    s.on('end', () => resolve(text));
    s.on('error', () => resolve(text));
  });
  assert.match(answer, /^HTTP\/1\.1 200 OK/);
});

test('a certificate swap and SIGHUP: the new certificate is served with no failed request; a bad pair keeps the old one', async (t) => {
  const k = pki(t);
  const live = { cert: path.join(k.dir, 'live.pem'), key: path.join(k.dir, 'live.key') };
  fs.copyFileSync(k.one.certFile, live.cert);
  fs.copyFileSync(k.one.keyFile, live.key);
  const gw = await h.start({
    listen: null,
    workers: 2,
    config: config(k.dir, `{ ${tlsEntry(live.cert, live.key)} }`),
    env: { SGW_TEST_LIMITS: 'idle_timeout_ms=20000,header_timeout_ms=5000' },
  });
  t.after(() => gw.stop());
  const port = gw.port;
  // Replaces the live pair the way a deploy tool does: new files, renamed in.
  const put = (certPem, keyPem) => {
    fs.writeFileSync(live.cert + '.new', certPem);
    fs.writeFileSync(live.key + '.new', keyPem);
    fs.renameSync(live.key + '.new', live.key);
    fs.renameSync(live.cert + '.new', live.cert);
  };
  const logged = (re, from) => waitLog(gw, re, from);

  const results = [];
  let stop = false;
  // Fresh connections (each shows the certificate of the moment) and
  // keep-alive ones (sessions opened before the swap carry on).
  const loops = Array.from({ length: 6 }, async (_, i) => {
    const agent = i % 2 ? new https.Agent({ keepAlive: true, maxSockets: 1, ca: k.caPem }) : false;
    while (!stop) {
      const at = performance.now();
      const r = await httpsGet(port, '/put-sign?ext=jpg', k.caPem, agent);
      results.push({ ...r, at, done: performance.now(), fresh: !agent });
    }
    if (agent) agent.destroy();
  });
  await sleep(300);

  const mark = gw.log().length;
  put(k.two.cert, k.two.key);
  gw.child.kill('SIGHUP');
  await logged(/reload: tls 127\.0\.0\.1:\d+: new certificate \(subject CN=two/, mark);
  const swapped = performance.now();
  await sleep(400);

  // A broken certificate, then a key of another certificate: refused,
  // the new certificate stays.
  const mark2 = gw.log().length;
  put('-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n', k.two.key);
  gw.child.kill('SIGHUP');
  await logged(/reload: tls 127\.0\.0\.1:\d+ keeps its certificate \(subject CN=two.*\): certificate .*live\.pem/, mark2);
  const mark3 = gw.log().length;
  put(k.two.cert, k.one.key);
  gw.child.kill('SIGHUP');
  await logged(/keeps its certificate \(subject CN=two.*\): key .*live\.key does not belong to the certificate/, mark3);
  const refusedAt = performance.now();
  await sleep(300);
  stop = true;
  await Promise.all(loops);

  const failed = results.filter((r) => r.error || r.status !== 200);
  t.diagnostic(`${results.length} requests, ${failed.length} failed`);
  assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${results.length} requests failed`);
  const before = results.filter((r) => r.fresh && r.done < swapped - 1000);
  const after = results.filter((r) => r.fresh && r.at > swapped);
  assert.ok(after.length > 10 && results.some((r) => r.fresh && r.at < swapped), 'load on both sides of the swap');
  for (const r of before) assert.equal(r.fingerprint, k.one.fingerprint, 'the first certificate before the swap');
  for (const r of after) assert.equal(r.fingerprint, k.two.fingerprint, 'the new certificate after the swap');
  assert.ok(results.some((r) => r.fresh && r.at > refusedAt), 'served after the refused reloads');
  assert.doesNotMatch(gw.log(), /BEGIN|PRIVATE KEY/, 'no key material in the log');
});

test('new certificate paths in the config apply at its reload; the listener itself stays', async (t) => {
  const k = pki(t);
  const cfg = config(k.dir, `{ ${tlsEntry(k.one.certFile, k.one.keyFile)} }`);
  const gw = await h.start({ listen: null, config: cfg });
  t.after(() => gw.stop());
  assert.equal((await httpsGet(gw.port, '/put-sign?ext=jpg', k.caPem)).fingerprint, k.one.fingerprint);
  // The config file changes (the watch reloads it): other paths.
  const mark = gw.log().length;
  config(k.dir, `{ ${tlsEntry(k.two.certFile, k.two.keyFile)} }`);
  await waitLog(gw, /reload: tls 127\.0\.0\.1:\d+: new certificate \(subject CN=two/, mark);
  const r = await httpsGet(gw.port, '/put-sign?ext=jpg', k.caPem);
  assert.equal(r.status, 200);
  assert.equal(r.fingerprint, k.two.fingerprint);
  // Another address cannot apply while running: said, and nothing changes.
  const mark2 = gw.log().length;
  config(k.dir, `{ "127.0.0.1:0", ${tlsEntry(k.one.certFile, k.one.keyFile)} }`);
  await waitLog(gw, /listen \(127\.0\.0\.1:0, \.\.\.\) cannot change while running/, mark2);
  assert.equal((await httpsGet(gw.port, '/put-sign?ext=jpg', k.caPem)).fingerprint, k.two.fingerprint);
});

test('-t and the start check the certificate and key; config mistakes are named', async (t) => {
  const k = pki(t);
  const run = (listen, env) => h.runCli(['-t', '-c', config(k.dir, listen, `t${crypto.randomBytes(4).toString('hex')}.lua`)], { env });
  const good = run(`{ ${tlsEntry(k.one.certFile, k.one.keyFile)} }`);
  assert.equal(good.status, 0, good.output);
  assert.match(good.output, /TLS certificates OK/);

  const encrypted = path.join(k.dir, 'enc.key');
  execFileSync('openssl', ['pkey', '-in', k.one.keyFile, '-aes256', '-passout', 'pass:sgw-test', '-out', encrypted]);
  const cases = [
    [tlsEntry(k.one.certFile, k.two.keyFile), /key .*two\.key does not belong to the certificate/],
    [tlsEntry(path.join(k.dir, 'missing.pem'), k.one.keyFile), /missing\.pem/],
    [tlsEntry(k.one.keyFile, k.one.keyFile), /certificate .*one\.key: no PEM certificate/],
    [tlsEntry(k.one.certFile, encrypted), /enc\.key is encrypted/],
    [tlsEntry(k.dir, k.one.keyFile), /not a regular file|cannot read/],
    [`{ addr = "127.0.0.1:0", tls = { cert = ${lua(k.one.certFile)} } }`, /listen\.tls needs cert and key/],
    [`{ addr = "127.0.0.1:0", tsl = { cert = "a", key = "b" } }`, /listen has no field 'tsl'/],
    [`{ addr = "127.0.0.1:0", tls = { cert = "a", key = "b", pass = "x" } }`, /listen\.tls has no field 'pass'/],
    ['{ "127.0.0.1:0", { addr = "127.0.0.1:0", tls = true } }', /listen\[2\]\.tls = true takes the certificate from SGW_TLS_CERT/],
    ['{ "127.0.0.1:1", "127.0.0.1:1" }', /127\.0\.0\.1:1 is listed twice/],
    ['{ addr = "nowhere" }', /listen: expected HOST:PORT/],
    ['{}', /listen must have 1 to 8 entries/],
  ];
  for (const [listen, re] of cases) {
    const r = run(listen);
    assert.equal(r.status, 1, `${listen}: ${r.output}`);
    assert.match(r.output, re, listen);
    assert.doesNotMatch(r.output, /PRIVATE KEY|BEGIN/);
  }
  const half = run('"127.0.0.1:0"', { SGW_TLS_CERT: k.one.certFile });
  assert.equal(half.status, 1);
  assert.match(half.output, /SGW_TLS_CERT and SGW_TLS_KEY go together/);

  // The start refuses a pair that does not load, before it listens.
  await assert.rejects(h.start({ listen: null, config: config(k.dir, `{ "127.0.0.1:0", ${tlsEntry(k.one.certFile, k.two.keyFile)} }`) }),
    (e) => /tls 127\.0\.0\.1:0: key .*two\.key does not belong/.test(e.message) && !/listening on/.test(e.message));
});
