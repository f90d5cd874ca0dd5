'use strict';
// gw.shared across the workers of one process: concurrent incr of one key
// from both workers (-w 2) sums exactly (every value 1..N handed out once),
// the value and the dict survive a reload (SIGHUP), a reload asking for
// another size keeps the old one and says so, a new dict name on reload
// is created, and a bad shared config fails the reload and harms nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');
const { until, SLOW } = require('./lib/scratch.js');

const CONFIG = path.join(h.CONFIGS, 'shared.lua');

async function op(gw, query) {
  const r = await h.request(gw.base, `/shared?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// n requests at once, each on its own connection (spread over workers).
async function incrAll(gw, n, key = 'hits') {
  return Promise.all(Array.from({ length: n }, () => op(gw, `op=incr&key=${key}`)));
}

function reload(gw, generation) {
  gw.child.kill('SIGHUP');
  return until(() => gw.log().includes(`reload: generation ${generation} live`) ||
    gw.log().includes(`reload failed (generation ${generation - 1} stays)`), 5000 * SLOW,
  `generation ${generation}`);
}

test('gw.shared: exact counts across workers, kept over reloads', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-shared-'));
  const dicts = path.join(dir, 'dicts.lua');
  fs.writeFileSync(dicts, 'return { counters = "1m" }\n');
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_TEST_SHARED_FILE: dicts } });
  t.after(async () => { await gw.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  // 1. 400 concurrent increments: each value handed out exactly once.
  const first = await incrAll(gw, 400);
  const values = first.map((j) => j.value).sort((a, b) => a - b);
  assert.deepEqual(values, Array.from({ length: 400 }, (_, i) => i + 1));
  assert.deepEqual([...new Set(first.map((j) => j.worker))].sort(), [0, 1], 'both workers served');
  assert.equal((await op(gw, 'op=get')).value, 400);
  assert.equal((await op(gw, 'op=capacity')).value, 1 << 20);

  // 2. Reload asking for a bigger counters and a new dict.
  fs.writeFileSync(dicts, 'return { counters = "2m", fresh = "64k" }\n');
  await reload(gw, 2);
  assert.match(gw.log(), /reload: generation 2 live/);
  assert.match(gw.log(), /shared dict 'counters' keeps 1048576 bytes until a restart \(the config now asks for 2097152\)/);
  const after = await op(gw, 'op=get');
  assert.equal(after.generation, 2);
  assert.equal(after.value, 400, 'the value survives the reload');
  assert.equal((await op(gw, 'op=capacity')).value, 1 << 20, 'old size stays');
  // The new dict is there on both workers.
  const fresh = await Promise.all(Array.from({ length: 40 }, () => op(gw, 'op=capacity&dict=fresh')));
  assert.ok(fresh.every((j) => j.value === 65536 && j.generation === 2));
  assert.deepEqual([...new Set(fresh.map((j) => j.worker))].sort(), [0, 1]);

  // 3. Counting goes on from where it was, still exact.
  const second = await incrAll(gw, 200);
  assert.deepEqual(second.map((j) => j.value).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => 401 + i));

  // 4. A bad shared config fails the reload; nothing changes.
  fs.writeFileSync(dicts, 'return { counters = "lots" }\n');
  await reload(gw, 3);
  assert.match(gw.log(), /reload failed \(generation 2 stays\): .*shared\.lua: shared\.counters must be a size/);
  const still = await op(gw, 'op=get');
  assert.equal(still.value, 600);
  assert.equal(still.generation, 2);
});
