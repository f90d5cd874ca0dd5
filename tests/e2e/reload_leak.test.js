'use strict';
// Old generations are freed: once a retired Lua VM's last request has
// finished it is closed, so memory does not grow with the number of
// reloads. Under the sanitizers (SGW_SANITIZE=1) LeakSanitizer turns a
// leak into an unclean exit, which stop() checks; RSS is only compared in
// a normal build.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./lib/harness.js');
const { count, LIVE, setup, status, until, markerModule } = require('./lib/scratch.js');

const RELOADS = 200;
const MB = 1024;

// Each VM holds 1 MiB, so every generation kept alive (two workers) costs
// 2 MiB: 180 leaked generations would be ~360 MB against a limit of 8.
const BALLAST = 'local ballast = string.rep("b", 1024 * 1024)\nreturn function() return #ballast end\n';

const rssKb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

test(`${RELOADS} reloads with requests in flight: memory stays flat and signgw exits cleanly`, async (t) => {
  const { s, gw } = await setup(t, {
    routes: { 'GET /slow': 'slow' },
    files: { 'ballast.lua': BALLAST, 'slow.lua': markerModule('m0', { requires: ['ballast'], sleepMs: true }) },
  });
  const inflight = [];
  let rss20;
  for (let i = 1; i <= RELOADS; i++) {
    // Every 10th reload a request starts that spans the next few reloads,
    // keeping its retired VM alive until it finishes.
    if (i % 10 === 0) inflight.push(h.request(gw.base, '/slow?ms=150'));
    const n = count(gw, LIVE);
    if (i % 50 === 0) await s.save('slow.lua', markerModule(`m${i}`, { requires: ['ballast'], sleepMs: true }));
    else gw.child.kill('SIGHUP');
    // Not a latency test (reload.test.js is): a generous bound.
    await until(() => count(gw, LIVE) > n, 5000, () => `reload ${i}\n--- log tail ---\n${gw.log().slice(-1500)}`);
    if (i === 20) {
      await Promise.all(inflight);
      rss20 = rssKb(gw.child.pid);
    }
  }
  for (const r of await Promise.all(inflight)) assert.equal(r.status, 200, r.text);
  // Generations retired with a request in flight are closed when it ends.
  const last = await h.request(gw.base, '/slow?ms=0');
  assert.equal(last.json.marker, `m${RELOADS}`);
  const rss200 = rssKb(gw.child.pid);
  assert.deepEqual(await status(gw), { generation: RELOADS + 1, reloads: RELOADS, failed_reloads: 0, workers: 2 });
  t.diagnostic(`VmRSS after 20 reloads ${rss20} kB, after ${RELOADS}: ${rss200} kB`);
  if (process.env.SGW_SANITIZE === '1') t.diagnostic('sanitizer build: RSS not compared');
  else assert.ok(rss200 - rss20 <= 8 * MB, `VmRSS grew ${Math.round((rss200 - rss20) / MB)} MB from reload 20 to ${RELOADS}`);
  await gw.stop(); // exit 0; under LeakSanitizer also: nothing leaked
});
