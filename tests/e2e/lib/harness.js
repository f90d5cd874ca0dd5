'use strict';
// Runs the real signgw for one e2e test and talks HTTP to it.
//
// Environment (set by tests/e2e/CMakeLists.txt):
//   SGW_BIN      the signgw executable
//   SGW_ROOT     the repository root
//   SGW_LOG_DIR  every server's full stderr goes to <SGW_LOG_DIR>/<test>.log;
//                secrets.test.js scans them for the SecretKey afterwards
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');
const https = require('node:https');
const { spawn, spawnSync } = require('node:child_process');

// Fixed, distinctive test credentials: a leak is found by plain text search.
const CREDS = {
  COS_SECRET_ID: 'AKIDsgwTestSecretId0001',
  COS_SECRET_KEY: 'sgwTestSecretKeyNeverLeaves0123456789',
  COS_BUCKET: 'examplebucket-1250000000',
  COS_REGION: 'ap-guangzhou',
};
const SECRET_KEY = CREDS.COS_SECRET_KEY;
const COS_HOST = `${CREDS.COS_BUCKET}.cos.${CREDS.COS_REGION}.myqcloud.com`;

const ROOT = process.env.SGW_ROOT || path.resolve(__dirname, '../../..');
const BIN = process.env.SGW_BIN || path.join(ROOT, 'build', 'signgw');
const LOG_DIR = process.env.SGW_LOG_DIR || path.join(os.tmpdir(), 'sgw-e2e-logs');
const CONFIGS = path.join(__dirname, '..', 'configs');
const TEST_NAME = path.basename(process.argv[1] || 'e2e', '.js').replace(/\.test$/, '');

// The text of a config that loads configs/<base> (with the configs folder
// as its `...`) as `c`, runs `lines` (Lua) and returns c.
function configOver(base, lines = []) {
  return [
    `local c = loadfile(${JSON.stringify(path.join(CONFIGS, base))})(${JSON.stringify(CONFIGS)})`,
    ...lines,
    'return c',
    '',
  ].join('\n');
}

// The SecretKey must never leave the server: every helper checks each body.
function assertNoSecret(data, where) {
  if (String(data).includes(SECRET_KEY)) throw new Error(`SecretKey leaked in ${where}`);
}

// Child environment: the test credentials instead of whatever COS_* the
// caller has, and no dev bucket (SGW_DEV=0) unless a test asks for one,
// nor the caller's dev or CORS settings; `extra` adds variables, or
// removes them with undefined.
function testEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('COS_') && !k.startsWith('SGW_DEV') && k !== 'SGW_CORS_ORIGINS') env[k] = v;
  }
  Object.assign(env, CREDS, { SGW_DEV: '0' });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

// <LOG_DIR>/<test>.log: truncated on first use in this process, then appended
// to, so a test that starts several servers keeps all their logs.
let logStarted = false;
function openLog(title) {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const file = path.join(LOG_DIR, TEST_NAME + '.log');
  const fd = fs.openSync(file, logStarted ? 'a' : 'w');
  logStarted = true;
  fs.writeSync(fd, `==== ${title}\n`);
  return fd;
}

function checkBin() {
  if (!fs.existsSync(BIN)) throw new Error(`no signgw at ${BIN}: set SGW_BIN`);
}

const running = new Set();
process.on('exit', () => { for (const c of running) c.kill('SIGKILL'); });

// The listeners of a "listening on 127.0.0.1:3000, tls 127.0.0.1:3443 (..."
// log line: [{ tls, host, port, base }], or null before that line.
function parseListening(log) {
  const m = /listening on (.+?) \(workers=/.exec(log);
  if (!m) return null;
  return m[1].split(', ').map((e) => {
    const x = /^(tls )?\[?([^\]]+?)\]?:(\d+)$/.exec(e);
    if (!x) throw new Error('unexpected listen entry in the log: ' + e);
    const tls = Boolean(x[1]);
    // A wildcard address is reached through loopback.
    const reach = x[2] === '0.0.0.0' ? '127.0.0.1' : x[2] === '::' ? '::1' : x[2];
    const host = reach.includes(':') ? `[${reach}]` : reach;
    return { tls, host: x[2], port: Number(x[3]), base: `${tls ? 'https' : 'http'}://${host}:${x[3]}` };
  });
}

// Starts signgw on a kernel-chosen port. Resolves once it logs
// "listening on ..."; rejects with the log if it exits first.
// `prefix` runs it through a wrapper that execs it (e.g. ['prlimit', '--nofile=1024']).
// `listen`: the -l address, or null for the config's own listen entries.
// The server's `port` and `base` are its first listener's; `listeners`
// has them all (`base` https:// for TLS ones).
function start({ config = path.join(CONFIGS, 'test.lua'), workers, env, args = [], timeoutMs = 10000, prefix = [], listen = '127.0.0.1:0' } = {}) {
  checkBin();
  const argv = ['-c', config, ...(listen ? ['-l', listen] : []), ...(workers ? ['-w', String(workers)] : []), ...args];
  const fd = openLog(`${[...prefix, BIN].join(' ')} ${argv.join(' ')}`);
  const cmd = prefix.length ? prefix[0] : BIN;
  const cmdArgs = prefix.length ? [...prefix.slice(1), BIN, ...argv] : argv;
  const child = spawn(cmd, cmdArgs, { env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  let out = ''; // stdout alone (the access log when it goes there)
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  const onData = (d) => { log += d; fs.writeSync(fd, d); };
  child.stdout.on('data', onData);
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', onData);
  child.on('close', () => fs.closeSync(fd)); // after the last output

  const server = {
    child,
    log: () => log,
    stdout: () => out,
    exited,
    // SIGTERM, then SIGKILL if it has not gone after `graceMs`. A clean
    // stop must exit 0: under the sanitizers a leak or error makes it not.
    async stop(graceMs = 5000, { check = true } = {}) {
      const wasRunning = child.exitCode === null && child.signalCode === null;
      if (wasRunning) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      if (check && wasRunning && r.code !== 0) {
        throw new Error(`signgw did not stop cleanly: ${JSON.stringify(r)}\n--- log ---\n${log.slice(-4000)}`);
      }
      return r;
    },
  };
  return new Promise((resolve, reject) => {
    const fail = (why) => { server.stop(5000, { check: false }); reject(new Error(`signgw ${why}\n--- log ---\n${log}`)); };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const check = () => {
      let ls;
      try { ls = parseListening(log); } catch (e) { clearTimeout(timer); fail(e.message); return; }
      if (!ls || ls.some((l) => l.port === 0)) return;
      clearTimeout(timer);
      child.stderr.off('data', check);
      child.stdout.off('data', check);
      server.listeners = ls;
      server.port = ls[0].port;
      server.base = ls[0].base;
      resolve(server);
    };
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    exited.then((r) => { if (!server.port) { clearTimeout(timer); fail(`exited early: ${JSON.stringify(r)}`); } });
  });
}

// Runs signgw to completion (for -h, -V, -t); its output is logged too.
function runCli(args, { env } = {}) {
  checkBin();
  const r = spawnSync(BIN, args, { env: testEnv(env), encoding: 'utf8', timeout: 10000 });
  const fd = openLog(`${BIN} ${args.join(' ')}`);
  fs.writeSync(fd, (r.stdout || '') + (r.stderr || ''));
  fs.closeSync(fd);
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

// One HTTP request on a fresh connection; the JSON body is parsed when it is JSON.
// An https:// base is asked over TLS, trusting `ca` (PEM) only.
function request(base, reqPath, { method = 'GET', headers = {}, body, ca, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const mod = base.startsWith('https:') ? https : http;
    const opts = { method, headers, agent, ...(ca ? { ca } : {}) };
    const req = mod.request(base + reqPath, opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        assertNoSecret(text, `${method} ${reqPath}`);
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// --- raw sockets, for what a normal client hides (pipelining, bad requests) ---

// Parses one HTTP/1.1 response at the front of `buf`; null while incomplete.
// `ended`: the peer closed, so a body without a length ends here.
// `head`: the answer to a HEAD request, which has no body whatever its
// Content-Length says.
function parseResponse(buf, ended = false, headOnly = false) {
  const head = buf.indexOf('\r\n\r\n');
  if (head < 0) return null;
  const lines = buf.subarray(0, head).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error('not an HTTP response: ' + JSON.stringify(lines[0]));
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(m[1]);
  let pos = head + 4;
  let body;
  if (headOnly) {
    body = Buffer.alloc(0);
  } else if (headers['transfer-encoding'] && /chunked/i.test(headers['transfer-encoding'])) {
    const parts = [];
    for (;;) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol < 0) return null;
      const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
      if (buf.length < eol + 2 + size + 2) return null;
      if (size === 0) { pos = eol + 4; break; } // no trailers expected
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      pos = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const len = Number(headers['content-length']);
    if (buf.length < pos + len) return null;
    body = buf.subarray(pos, pos + len);
    pos += len;
  } else if (status === 204 || status === 304 || status < 200) {
    body = Buffer.alloc(0);
  } else {
    if (!ended) return null;
    body = buf.subarray(pos);
    pos = buf.length;
  }
  const text = body.toString('utf8');
  assertNoSecret(text, 'raw response');
  let json;
  try { json = JSON.parse(text); } catch (e) { json = undefined; }
  return { status, headers, text, json, rest: buf.subarray(pos) };
}

// A client socket that reads responses one at a time.
class RawConn {
  static open(port) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(new RawConn(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.waiters = [];
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    sock.on('close', () => { this.ended = true; this.wake(); });
    sock.on('error', () => {}); // a reset shows up as 'close'
  }

  wake() { for (const w of this.waiters.splice(0)) w(); }

  wait(ready, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.buf.toString('latin1'))}`)), timeoutMs);
      const poll = () => {
        let v;
        try { v = ready(); } catch (e) { clearTimeout(timer); return reject(e); }
        if (v !== undefined) { clearTimeout(timer); return resolve(v); }
        this.waiters.push(poll);
      };
      poll();
    });
  }

  write(data) { this.sock.write(data); }

  // The next complete response; fails if the server closes first.
  next(timeoutMs = 5000, { head = false } = {}) {
    return this.wait(() => {
      const r = parseResponse(this.buf, this.ended, head);
      if (r) { this.buf = r.rest; return r; }
      if (this.ended) throw new Error('connection closed before a full response; got ' + JSON.stringify(this.buf.toString('latin1')));
      return undefined;
    }, timeoutMs, 'a response');
  }

  // Resolves when the server has closed the connection.
  closed(timeoutMs = 3000) { return this.wait(() => (this.ended ? true : undefined), timeoutMs, 'the server to close'); }

  close() { this.sock.destroy(); }
}

module.exports = {
  CREDS, SECRET_KEY, COS_HOST, ROOT, BIN, LOG_DIR, CONFIGS, TEST_NAME,
  assertNoSecret, testEnv, configOver, start, runCli, request, parseResponse, RawConn, parseListening,
};
