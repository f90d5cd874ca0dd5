'use strict';
// Runs after every other e2e test (the cleanup of the e2e_logs fixture):
// the SecretKey must not appear in any server log of this run. Responses
// are checked by the helpers in lib/ as the other tests go.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness.js');

test('no server log of this run contains the SecretKey', () => {
  assert.ok(fs.existsSync(h.LOG_DIR), `log dir ${h.LOG_DIR} exists`);
  const files = fs.readdirSync(h.LOG_DIR).filter((f) => f.endsWith('.log') && f !== 'secrets.log');
  // An empty dir would pass vacuously: the other tests must have run.
  assert.ok(files.length > 0, `no logs in ${h.LOG_DIR}`);
  assert.ok(files.some((f) => fs.readFileSync(path.join(h.LOG_DIR, f), 'utf8').includes('listening on')),
    'at least one log is from a server that served');
  const leaks = files.filter((f) => fs.readFileSync(path.join(h.LOG_DIR, f)).includes(h.SECRET_KEY));
  assert.deepEqual(leaks, [], 'logs containing the SecretKey');
});
