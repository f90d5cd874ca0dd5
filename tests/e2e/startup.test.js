'use strict';
// Start-up failures: one clear message and exit status 1, never a server
// half up. Incomplete or conflicting credentials, an unreadable key file
// or config, a port already in use (also by another signgw, which binds
// with SO_REUSEPORT), invalid config values.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
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
