'use strict';
// Script budgets (configs/limits.lua: script_timeout_ms 200,
// script_memory_mb 16): a route that runs too long or allocates too much
// gets a 500 {"error":"internal","requestId"} and a log line naming the
// script; pcall and coroutines of the script's own cannot escape it; time
// in gw.sleep does not count; the worker and other requests go on. A
// module that loops at load time fails -t and reloads (5 s load budget).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'limits.lua');
const BUDGET_MS = 200;
const LOAD_BUDGET_MS = 5000;
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;

// gw: the limits above. memGw: the same with a long time budget, so the
// memory tests hit the memory cap first (the sanitizer build is slow).
const MEM_LIMITS = { SGW_TEST_LIMITS: 'script_timeout_ms=30000' };
let gw, memGw;
test.before(async () => {
  gw = await h.start({ config: CONFIG, workers: 1 });
  memGw = await h.start({ config: CONFIG, workers: 1, env: MEM_LIMITS });
});
test.after(async () => {
  if (gw) await gw.stop();
  if (memGw) await memGw.stop();
});

async function stillServes(server = gw) {
  const r = await h.request(server.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200, 'a normal request afterwards: ' + r.text);
}

// The log is written asynchronously: wait for a line.
async function logLine(server, re, ms = 2000) {
  for (let waited = 0; waited < ms; waited += 25) {
    const m = re.exec(server.log());
    if (m) return m;
    await sleep(25);
  }
  assert.fail(`no log line ${re} in:\n${server.log().slice(-3000)}`);
}

function assertInternal(r) {
  assert.equal(r.status, 500, r.text);
  assert.equal(r.json && r.json.error, 'internal', r.text);
  assert.equal(r.json.requestId, r.headers['x-request-id'], 'requestId is the X-Request-Id');
  assert.doesNotMatch(r.text, /budget|memory|\.lua|traceback/, 'no details in the answer');
}

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- run time ----

for (const [route, file] of [
  ['/hard/spin', 'hard_spin.lua'],
  ['/hard/spin-pcall', 'hard_spin_pcall.lua'],
  ['/hard/spin-coroutine', 'hard_spin_coroutine.lua'],
  ['/hard/spin-coroutine-pcall', 'hard_spin_coroutine_pcall.lua'],
  ['/hard/spin-callback', 'hard_spin_callback.lua'],
]) {
  // A server of its own: a loop the budget cannot stop hangs the worker,
  // and that must fail this test only (with a time limit, not a hang).
  test(`an endless loop (${route}) is stopped at script_timeout_ms: 500, log names ${file}:line`, { timeout: 8000 * SLOW }, async (t) => {
    const own = await h.start({ config: CONFIG, workers: 1 });
    t.after(() => own.stop());
    const t0 = performance.now();
    const r = await h.request(own.base, route);
    const took = performance.now() - t0;
    assertInternal(r);
    assert.ok(took >= BUDGET_MS - 20 && took < BUDGET_MS + 1500 * SLOW, `stopped after ${Math.round(took)} ms`);
    const id = r.json.requestId;
    const m = await logLine(own, new RegExp(`request ${id} GET ${esc(route)} stopped: script ran past its time budget([^]*?)(?=\\n\\d{4}-|$)`));
    assert.match(m[1], new RegExp(`${esc(file)}:\\d+`), 'the traceback names the script file:line: ' + m[0]);
    await stillServes(own);
  });
}

test('a stopped script does not hold up the worker: a request behind it is served (-w 1)', async () => {
  const spin = h.request(gw.base, '/hard/spin');
  await sleep(20);
  const t0 = performance.now();
  const ok = await h.request(gw.base, '/put-sign?ext=png');
  assert.equal(ok.status, 200, ok.text);
  assert.ok(performance.now() - t0 < BUDGET_MS + 1500 * SLOW, 'served once the budget stopped the loop');
  assertInternal(await spin);
});

test('time in gw.sleep does not count: a 600 ms sleep under a 200 ms budget is served', async () => {
  const r = await h.request(gw.base, '/sleep?ms=600');
  assert.equal(r.status, 200, r.text);
});

test('the budget is per request over all its runs: 3 x 40 ms of work between sleeps is served', async () => {
  const r = await h.request(gw.base, '/hard/work?ms=40&times=3');
  assert.equal(r.status, 200, r.text);
});

test('... and 4 x 100 ms of work between sleeps is stopped (500, log names hard_work.lua)', async () => {
  const r = await h.request(gw.base, '/hard/work?ms=100&times=4');
  assertInternal(r);
  const m = await logLine(gw, new RegExp(`request ${r.json.requestId} GET /hard/work stopped: script ran past its time budget([^]*?)(?=\\n\\d{4}-|$)`));
  assert.match(m[1], /hard_work\.lua:\d+/, m[0]);
  await stillServes();
});

test('each request has its own budget: 5 concurrent 150 ms jobs on one worker are all served', async () => {
  const rs = await Promise.all(Array.from({ length: 5 }, () => h.request(gw.base, '/hard/work?ms=150&times=1')));
  assert.deepEqual(rs.map((r) => r.status), Array(5).fill(200), rs.map((r) => r.text).join());
});

// ---- memory ----

test('one huge string.rep is refused by the cap (500), a 1 MiB one is served', async () => {
  const r = await h.request(memGw.base, '/hard/rep?mb=256');
  assertInternal(r);
  const m = await logLine(memGw, new RegExp(`request ${r.json.requestId} GET /hard/rep failed:[^\\n]*not enough memory([^]*?)(?=\\n\\d{4}-|$)`));
  assert.match(m[0], /hard_rep\.lua/, m[0]);
  const ok = await h.request(memGw.base, '/hard/rep?mb=1');
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json, { length: 1048576 });
  await stillServes(memGw);
});

test('a memory bomb gets 500 and a log line with "not enough memory" naming the script; the worker goes on', async () => {
  // A request of the same worker waiting meanwhile is not disturbed.
  const sleeper = h.request(memGw.base, '/sleep?ms=400').catch((e) => ({ status: e.message, text: '' }));
  await sleep(30);
  for (let i = 0; i < 3; i++) {
    const r = await h.request(memGw.base, '/hard/membomb');
    assertInternal(r);
    const m = await logLine(memGw, new RegExp(`request ${r.json.requestId} GET /hard/membomb failed:[^\\n]*not enough memory([^]*?)(?=\\n\\d{4}-|$)`));
    assert.match(m[0], /hard_membomb\.lua/, 'names the script: ' + m[0]);
  }
  const s = await sleeper;
  assert.equal(s.status, 200, 'the concurrent request: ' + s.text);
  await stillServes(memGw);
});

test('a script that fills its VM to the last byte and then fails: 500, log says "not enough memory", the worker goes on', async (t) => {
  const own = await h.start({ config: CONFIG, workers: 1, env: MEM_LIMITS });
  t.after(() => own.stop());
  const r = await h.request(own.base, '/hard/membomb-fill');
  assertInternal(r);
  await logLine(own, new RegExp(`request ${r.json.requestId} GET /hard/membomb-fill failed:[^\\n]*not enough memory`));
  await stillServes(own);
  assertInternal(await h.request(own.base, '/hard/membomb-fill'));
  await stillServes(own);
});

// ---- loading ----

// A config in a temp dir: limits.lua plus `extra` lines.
function tempConfig(t, extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-budget-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config.lua');
  const text = (lines) => [
    `local c = loadfile(${JSON.stringify(CONFIG)})(${JSON.stringify(h.CONFIGS)})`,
    ...lines,
    'return c',
    '',
  ].join('\n');
  fs.writeFileSync(config, text(extra));
  return { config, write: (lines) => fs.writeFileSync(config, text(lines)) };
}

const LOOP_ROUTE = 'c.routes["GET /hard/load-loop"] = "test_routes.hard_load_loop"';

test('-t on a route module that loops at load time exits 1 after the load budget, naming the module', (t) => {
  const { config } = tempConfig(t, [LOOP_ROUTE]);
  const t0 = performance.now();
  const r = h.runCli(['-t', '-c', config]);
  const took = performance.now() - t0;
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /hard[_/]load[-_]loop/, 'names the module or its route: ' + r.output);
  assert.match(r.output, /hard_load_loop\.lua:\d+: script ran past its time budget/, 'file:line of the loop: ' + r.output);
  assert.ok(took < LOAD_BUDGET_MS + 3000 * SLOW, `gave up after ${Math.round(took)} ms`);
});

test('a reload to a module that loops at load time fails; the running generation keeps serving', async (t) => {
  const { config, write } = tempConfig(t);
  const own = await h.start({ config, workers: 1 });
  t.after(() => own.stop());
  await stillServes(own);
  const t0 = performance.now();
  write([LOOP_ROUTE]);
  // While the reload is stuck in the loop, requests are served.
  await sleep(1500);
  await stillServes(own);
  const m = await logLine(own, /reload failed \(generation \d+ stays\):[^\n]*/, LOAD_BUDGET_MS + 5000 * SLOW);
  assert.match(m[0], /hard[_/]load[-_]loop/, m[0]);
  const took = performance.now() - t0;
  assert.ok(took < LOAD_BUDGET_MS + 4000 * SLOW, `reload gave up after ${Math.round(took)} ms`);
  await stillServes(own);
  const st = await h.request(own.base, '/_signgw/status');
  assert.ok(st.json.failed_reloads >= 1, st.text);
  const gone = await h.request(own.base, '/hard/load-loop');
  assert.equal(gone.status, 404, 'the looping route never went live: ' + gone.text);
});
