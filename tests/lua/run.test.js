// Runs each Lua spec (every tests/lua/spec/*.lua) inside a real signgw
// worker VM and fails on any failed case (or if a spec ran no case at all).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');

const BIN = process.env.SGW_BIN;
const LOG_DIR = process.env.SGW_LOG_DIR;
let server, port;

before(async () => {
  const env = { ...process.env, COS_SECRET_ID: 'AKIDsgwTestSecretId0001',
    COS_SECRET_KEY: 'sgwTestSecretKeyNeverLeaves0123456789',
    // s3_vectors.lua is signed with these (tests/oracle/gen_s3_vectors.js).
    AWS_ACCESS_KEY_ID: 'AKIASGWLUASPEC000001',
    AWS_SECRET_ACCESS_KEY: 'sgwS3SpecSecretNeverLeaves/0123456789+ab',
    AWS_SESSION_TOKEN: 'FwoGZXIvYXdzSgwSpecSessionToken+/=' };
  server = spawn(BIN, ['-c', path.join(__dirname, 'config.lua'), '-l', '127.0.0.1:0', '-w', '1'],
    { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('signgw did not start:\n' + log)), 10000);
    server.stderr.on('data', (d) => {
      log += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    server.on('exit', (code) => reject(new Error(`signgw exited ${code}:\n${log}`)));
  });
  if (LOG_DIR) {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    const out = fs.createWriteStream(path.join(LOG_DIR, 'lua.spec.log'));
    out.write(log);
    server.stderr.pipe(out);
  }
});

// A clean stop exits 0; under the sanitizers a leak makes it fail.
after(async () => {
  if (!server) return;
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  assert.deepStrictEqual(await exited, { code: 0, signal: null });
});

function get(p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// Every file in spec/ is a spec (shared code lives beside spec/, in
// helpers.lua): a new one runs without being listed anywhere.
const SPECS = fs.readdirSync(path.join(__dirname, 'spec'))
  .filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4)).sort();

test('the spec folder holds specs', () => {
  assert.ok(SPECS.length >= 4, `only ${SPECS.length} specs found: ${SPECS}`);
  for (const name of SPECS) assert.match(name, /^[A-Za-z0-9_]+$/, `spec file name ${name}.lua`);
});

for (const name of SPECS) {
  test(`lua spec ${name}`, async () => {
    const res = await get(`/spec?name=${name}`);
    assert.strictEqual(res.status, 200, res.body);
    const r = JSON.parse(res.body);
    assert.deepStrictEqual(r.failures, [], r.failures.join('\n'));
    assert.ok(r.passed > 0, 'no case ran');
  });
}
