'use strict';
// Start-up failures: one clear message and exit status 1, never a server
// half up. Incomplete or conflicting credentials, an unreadable key file
// or config (a FIFO is refused at once, never waited on), a port already
// in use (also by another signgw, which binds with SO_REUSEPORT), invalid
// config values (also those the scripts check: upload, cos, policy).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const h = require('./lib/harness.js');

const CONFIG = path.join(h.CONFIGS, 'test.lua');

// Runs signgw as a server would be started; a failure must end it quickly.
function startFails(args, env, re) {
  const r = h.runCli(['-c', CONFIG, '-l', '127.0.0.1:0', '-w', '1', ...args], { env });
  assert.equal(r.signal, null, `signgw did not exit by itself (killed by ${r.signal}): ${r.output}`);
  assert.equal(r.status, 1, r.output);
  const lines = r.output.trim().split('\n');
  assert.equal(lines.length, 1, 'one message: ' + JSON.stringify(r.output));
  assert.match(lines[0], re);
  assert.doesNotMatch(r.output, /listening on/);
  h.assertNoSecret(r.output, 'start-up message');
  return lines[0];
}

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-startup-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---- credentials ----

test('COS_SECRET_ID without COS_SECRET_KEY: one message, exit 1', () => {
  startFails([], { COS_SECRET_KEY: undefined }, /COS_SECRET_ID.*COS_SECRET_KEY|COS_SECRET_KEY.*COS_SECRET_ID/);
});

test('COS_SECRET_KEY without COS_SECRET_ID: one message, exit 1', () => {
  startFails([], { COS_SECRET_ID: undefined }, /COS_SECRET_ID/);
});

test('COS_SECRET_KEY_FILE without COS_SECRET_ID: one message, exit 1', (t) => {
  const file = path.join(tmpdir(t), 'key');
  fs.writeFileSync(file, h.SECRET_KEY + '\n');
  startFails([], { COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: file }, /COS_SECRET_ID/);
});

test('both COS_SECRET_KEY and COS_SECRET_KEY_FILE: one message, exit 1', (t) => {
  const file = path.join(tmpdir(t), 'key');
  fs.writeFileSync(file, h.SECRET_KEY + '\n');
  startFails([], { COS_SECRET_KEY_FILE: file }, /COS_SECRET_KEY_FILE/);
});

test('COS_SECRET_KEY_FILE that does not exist: one message naming it, exit 1', (t) => {
  const file = path.join(tmpdir(t), 'missing-key');
  startFails([], { COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: file }, new RegExp(`COS_SECRET_KEY_FILE.*${file.replace(/[.]/g, '\\.')}`));
});

test('COS_SECRET_KEY_FILE that is a directory: one message, exit 1', (t) => {
  startFails([], { COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: tmpdir(t) }, /COS_SECRET_KEY_FILE/);
});

test('COS_SECRET_KEY_FILE that is empty: one message, exit 1', (t) => {
  const file = path.join(tmpdir(t), 'empty');
  fs.writeFileSync(file, '');
  startFails([], { COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: file }, /COS_SECRET_KEY_FILE/);
});

function mkfifo(t) {
  const fifo = path.join(tmpdir(t), 'fifo');
  const r = spawnSync('mkfifo', [fifo]);
  assert.equal(r.status, 0, 'mkfifo');
  return fifo;
}

test('COS_SECRET_KEY_FILE that is a FIFO: refused at once, not waited on', (t) => {
  const fifo = mkfifo(t);
  const t0 = performance.now();
  startFails([], { COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: fifo }, /COS_SECRET_KEY_FILE.*not a regular file/);
  assert.ok(performance.now() - t0 < 5000, 'quickly');
});

test('COS_SECRET_ID_FILE and COS_SECURITY_TOKEN_FILE: read like the key file; both forms at once refused', async (t) => {
  const dir = tmpdir(t);
  const id = path.join(dir, 'id');
  const token = path.join(dir, 'token');
  fs.writeFileSync(id, h.CREDS.COS_SECRET_ID + '\n');
  fs.writeFileSync(token, 'sgwTestToken0123\r\n');
  startFails([], { COS_SECRET_ID_FILE: id }, /COS_SECRET_ID.*COS_SECRET_ID_FILE.*not both/);
  startFails([], { COS_SECURITY_TOKEN: 'x1234567', COS_SECURITY_TOKEN_FILE: token }, /COS_SECURITY_TOKEN.*not both/);
  startFails([], { COS_SECRET_ID: undefined, COS_SECRET_ID_FILE: path.join(dir, 'missing') }, /COS_SECRET_ID_FILE.*missing/);
  fs.writeFileSync(path.join(dir, 'two-lines'), 'AKIDone\nAKIDtwo\n');
  startFails([], { COS_SECRET_ID: undefined, COS_SECRET_ID_FILE: path.join(dir, 'two-lines') }, /COS_SECRET_ID_FILE.*no usable value/);
  const gw = await h.start({ workers: 1, env: { COS_SECRET_ID: undefined, COS_SECRET_ID_FILE: id, COS_SECURITY_TOKEN_FILE: token } });
  try {
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.authorization, new RegExp(`q-ak=${h.CREDS.COS_SECRET_ID}&`));
    assert.equal(r.json.securityToken, 'sgwTestToken0123', 'the token, line end dropped');
  } finally {
    await gw.stop();
  }
});

test('control: a readable COS_SECRET_KEY_FILE starts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-startup-'));
  const file = path.join(dir, 'key');
  fs.writeFileSync(file, h.SECRET_KEY + '\n');
  try {
    const gw = await h.start({ workers: 1, env: { COS_SECRET_KEY: undefined, COS_SECRET_KEY_FILE: file } });
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    assert.equal(r.status, 200, r.text);
    await gw.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- config file ----

test('a config file that does not exist: one message naming it, exit 1', (t) => {
  const file = path.join(tmpdir(t), 'nope.lua');
  const r = h.runCli(['-c', file, '-l', '127.0.0.1:0']);
  assert.equal(r.status, 1, r.output);
  assert.equal(r.output.trim().split('\n').length, 1, r.output);
  assert.ok(r.output.includes(file), r.output);
});

test('a config path that is a directory: one message, exit 1', (t) => {
  const dir = tmpdir(t);
  const r = h.runCli(['-c', dir, '-l', '127.0.0.1:0']);
  assert.equal(r.signal, null, r.output);
  assert.equal(r.status, 1, r.output);
  assert.equal(r.output.trim().split('\n').length, 1, r.output);
  assert.ok(r.output.includes(path.basename(dir)), r.output);
  assert.match(r.output, /not a regular file/);
});

test('a config path that is a FIFO: refused at once with one message, exit 1 (-t too)', (t) => {
  const fifo = mkfifo(t);
  for (const args of [['-c', fifo, '-l', '127.0.0.1:0'], ['-t', '-c', fifo]]) {
    const t0 = performance.now();
    const r = h.runCli(args);
    assert.equal(r.signal, null, `${args}: hung, killed by ${r.signal}`);
    assert.equal(r.status, 1, r.output);
    assert.equal(r.output.trim().split('\n').length, 1, r.output);
    assert.match(r.output, /fifo: not a regular file/);
    assert.ok(performance.now() - t0 < 5000, 'quickly');
  }
});

// ---- invalid values ----

const INVALID = {
  'limits.max_body = -1': [/limits\.max_body/, 'c.limits = { max_body = -1 }'],
  'limits.max_url = "big"': [/limits\.max_url/, 'c.limits = { max_url = "big" }'],
  'limits.header_timeout_ms = 0': [/limits\.header_timeout_ms/, 'c.limits = { header_timeout_ms = 0 }'],
  'limits.max_connections = 0': [/limits\.max_connections/, 'c.limits = { max_connections = 0 }'],
  'limits.script_memory_mb = 1.5': [/limits\.script_memory_mb/, 'c.limits = { script_memory_mb = 1.5 }'],
  'limits = 5': [/limits/, 'c.limits = 5'],
  'workers = -1': [/workers/, 'c.workers = -1'],
  'listen = 42': [/listen/, 'c.listen = 42'],
  'limits.max_body = "4096"': [/limits\.max_body/, 'c.limits = { max_body = "4096" }'],
  // Settings the scripts read, checked by lua/policy/check.lua at load.
  'upload.expires = 0': [/config\.lua: upload\.expires/, 'c.upload.expires = 0'],
  'upload.expires = "soon"': [/config\.lua: upload\.expires/, 'c.upload.expires = "soon"'],
  'upload.max_size = 0': [/config\.lua: upload\.max_size/, 'c.upload.max_size = 0'],
  'upload.max_size = -1': [/config\.lua: upload\.max_size/, 'c.upload.max_size = -1'],
  'upload.min_size > max_size': [/config\.lua: upload\.min_size/, 'c.upload.min_size = 200; c.upload.max_size = 100'],
  'upload.ext_allow = "jpg"': [/config\.lua: upload\.ext_allow must be a list/, 'c.upload.ext_allow = "jpg"'],
  'upload.ext_allow with "../x"': [/config\.lua: upload\.ext_allow\[2\]/, 'c.upload.ext_allow = { "jpg", "../x" }'],
  'upload.prefix = "/abs/"': [/config\.lua: upload\.prefix/, 'c.upload.prefix = "/abs/"'],
  'upload.skew = 99999': [/config\.lua: upload\.skew/, 'c.upload.skew = 99999'],
  'upload.conditions = "x"': [/config\.lua: upload\.conditions/, 'c.upload.conditions = "x"'],
  'upload.conditions with an unknown op': [/config\.lua: upload\.conditions\[1\]/, 'c.upload.conditions = { { "regex", "$key", "x" } }'],
  'upload.user_segment = "yes"': [/config\.lua: upload\.user_segment/, 'c.upload.user_segment = "yes"'],
  'cos.bucket = "Bad Bucket"': [/config\.lua: cos\.bucket/, 'c.cos.bucket = "Bad Bucket"'],
  'cos.region = 5': [/config\.lua: cos\.region/, 'c.cos.region = 5'],
  'policy.auth = "../x"': [/config\.lua: policy\.auth/, 'c.policy.auth = "../x"'],
  'policy.shape = "no_such_module"': [/config\.lua: policy\.shape.*no_such_module/, 'c.policy.shape = "no_such_module"'],
  'auth_bearer with no tokens': [/config\.lua: auth\.tokens is empty/, 'c.policy.auth = "auth_bearer"; c.auth = { tokens = {} }'],
};
for (const [name, [re, line]] of Object.entries(INVALID)) {
  test(`invalid config value (${name}): one message naming it, exit 1, also with -t`, (t) => {
    const dir = tmpdir(t);
    const config = path.join(dir, 'config.lua');
    fs.writeFileSync(config, `local c = loadfile(${JSON.stringify(CONFIG)})(${JSON.stringify(h.CONFIGS)})\n${line}\nreturn c\n`);
    for (const args of [['-c', config, '-l', '127.0.0.1:0'], ['-t', '-c', config]]) {
      const r = h.runCli(args);
      assert.equal(r.status, 1, `${args}: ${r.output}`);
      assert.equal(r.output.trim().split('\n').length, 1, r.output);
      assert.match(r.output, re);
    }
  });
}

test('-l with a bad address: one message, exit 1', () => {
  const r = h.runCli(['-c', CONFIG, '-l', '127.0.0.1:99999']);
  assert.equal(r.status, 1, r.output);
  assert.equal(r.output.trim().split('\n').length, 1, r.output);
});

// ---- port in use ----

test('a port held by another program: one message naming it, exit 1', async (t) => {
  const other = net.createServer();
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  t.after(() => other.close());
  const port = other.address().port;
  startFails(['-l', `127.0.0.1:${port}`], {}, new RegExp(`${port}.*(in use|EADDRINUSE)|(in use|EADDRINUSE).*${port}`, 'i'));
});

test('a port held by a running signgw (SO_REUSEPORT): the second exits 1, the first keeps all the traffic', async (t) => {
  const first = await h.start({ workers: 2 });
  t.after(() => first.stop());
  for (const w of ['1', '2']) {
    const r = h.runCli(['-c', CONFIG, '-l', `127.0.0.1:${first.port}`, '-w', w]);
    assert.equal(r.signal, null, r.output);
    assert.equal(r.status, 1, r.output);
    assert.equal(r.output.trim().split('\n').length, 1, r.output);
    assert.match(r.output, new RegExp(`${first.port}`), r.output);
    assert.match(r.output, /in use/i, r.output);
  }
  // Every connection still reaches the first server.
  const rs = await Promise.all(Array.from({ length: 20 }, () => h.request(first.base, '/put-sign?ext=jpg')));
  assert.deepEqual(rs.map((r) => r.status), Array(20).fill(200));
});
