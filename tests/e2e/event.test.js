'use strict';
// gw.event: requests wait until another request sets the event (all of
// them wake, each exactly once), a wait without a set ends with
// "timeout" after its time, and a client that leaves while waiting is
// dropped without harm.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness.js');

let gw;
test.before(async () => {
  gw = await h.start({ config: path.join(h.CONFIGS, 'event.lua'), workers: 1 });
});
test.after(() => gw.stop());

test('set wakes every waiter; an unset wait times out', async () => {
  const waits = Array.from({ length: 5 }, () => h.request(gw.base, '/event/wait?ms=5000'));
  const gone = await h.RawConn.open(gw.port);
  gone.write('GET /event/wait?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 200));
  gone.close(); // its wait is cancelled, it is not woken
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const set = await h.request(gw.base, '/event/set');
  assert.deepEqual(set.json, { woken: 5, was_set: true });
  for (const r of await Promise.all(waits)) assert.deepEqual(r.json, { ok: true });
  assert.ok(Date.now() - t0 < 1000);
  const t1 = Date.now();
  const lone = await h.request(gw.base, '/event/wait?ms=300');
  assert.deepEqual(lone.json, { ok: false, err: 'timeout' });
  assert.ok(Date.now() - t1 >= 280, 'waited its time');
});
