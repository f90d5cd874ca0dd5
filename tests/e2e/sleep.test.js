'use strict';
// gw.sleep yields the request's coroutine: one worker serves 100 sleeping
// requests at once, so they take about one sleep, not a hundred.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const N = 100;
const SLEEP_MS = 200;

test(`-w 1: ${N} concurrent ${SLEEP_MS} ms sleeps finish in well under 2 s`, async (t) => {
  const gw = await h.start({ workers: 1 });
  t.after(() => gw.stop());
  // The sleep really sleeps: one request alone takes at least SLEEP_MS.
  let t0 = performance.now();
  const one = await h.request(gw.base, `/sleep?ms=${SLEEP_MS}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.json, { ok: true });
  assert.ok(performance.now() - t0 >= SLEEP_MS - 5, `one sleep took ${performance.now() - t0} ms`);

  t0 = performance.now();
  const all = await Promise.all(Array.from({ length: N }, () => h.request(gw.base, `/sleep?ms=${SLEEP_MS}`)));
  const elapsed = performance.now() - t0;
  assert.deepEqual(all.map((r) => r.status), Array(N).fill(200));
  assert.ok(elapsed < 1500, `${N} sleeps took ${Math.round(elapsed)} ms (serial would be ${N * SLEEP_MS} ms)`);
  t.diagnostic(`${N} concurrent sleeps: ${Math.round(elapsed)} ms`);
});
