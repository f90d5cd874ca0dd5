'use strict';
// Hot reload: saving a script under `paths` or the config makes new
// requests use it within 1 s on every worker; a broken save never goes
// live (the running generation keeps serving, the error is logged once);
// requests in flight finish on the generation they started on; SIGHUP
// forces a reload. Every test edits a scratch copy (lib/scratch.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const h = require('./lib/harness.js');
const {
  sleep, SLOW, scratch, setup, count, LIVE, FAILED, lastFailure, until, status, waitMarker, markerModule,
} = require('./lib/scratch.js');

// ---- the signing answers, checked in full ----

const SIGN_FIELDS = {
  '/put-sign?ext=jpg': ['authorization', 'cosHost', 'cosKey'],
  '/post-policy?ext=png': ['cosHost', 'cosKey', 'policy', 'qAk', 'qKeyTime', 'qSignAlgorithm', 'qSignature'],
};
const KEY = { '/put-sign?ext=jpg': /^uploads\/\d{8}\/\d+_[0-9a-f]{32}\.jpg$/, '/post-policy?ext=png': /^uploads\/\d{8}\/\d+_[0-9a-f]{32}\.png$/ };

// What is wrong with a signing answer, or null.
function signProblem(reqPath, r) {
  if (r.status !== 200 || !r.json) return `${r.status} ${r.text}`;
  const j = r.json;
  if (Object.keys(j).sort().join() !== SIGN_FIELDS[reqPath].slice().sort().join()) return `fields: ${r.text}`;
  if (j.cosHost !== h.COS_HOST || !KEY[reqPath].test(j.cosKey)) return `host/key: ${r.text}`;
  const signed = j.authorization
    ? new RegExp(`^q-sign-algorithm=sha1&q-ak=${h.CREDS.COS_SECRET_ID}&.*&q-signature=[0-9a-f]{40}$`).test(j.authorization)
    : j.qAk === h.CREDS.COS_SECRET_ID && j.qSignAlgorithm === 'sha1' && /^[0-9a-f]{40}$/.test(j.qSignature) &&
      /^\d+;\d+$/.test(j.qKeyTime) && JSON.parse(Buffer.from(j.policy, 'base64')).conditions.length > 0;
  return signed ? null : `signature: ${r.text}`;
}

// One GET on a keep-alive agent.
function get(agent, base, reqPath) {
  return new Promise((resolve, reject) => {
    http.get(base + reqPath, { agent }, (res) => {
      const socket = res.socket; // detached by 'end'
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, text, json, socket });
      });
    }).on('error', reject);
  });
}

// `clients` keep-alive clients, each asking in turn for a PUT signature, a
// POST policy and /marker (checked by markerOk(json)), until stop().
function startLoad(gw, clients, markerOk) {
  const stats = { requests: 0, connections: 0, bad: 0, failures: [] };
  const fail = (what) => { if (stats.bad++ < 10) stats.failures.push(what); };
  let stopping = false;
  const client = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new WeakSet();
    // /marker?ms=20 sleeps, so some requests are always in flight across
    // a reload and must finish on their old VM.
    const paths = [...Object.keys(SIGN_FIELDS), '/marker?ms=20'];
    for (let i = 0; !stopping; i++) {
      const p = paths[i % paths.length];
      try {
        const r = await get(agent, gw.base, p);
        if (!sockets.has(r.socket)) { sockets.add(r.socket); stats.connections++; }
        const bad = SIGN_FIELDS[p] ? signProblem(p, r)
          : r.status === 200 && r.json && markerOk(r.json) ? null : `${r.status} ${r.text}`;
        if (bad) fail(`${p}: ${bad}`);
      } catch (e) {
        fail(`${p}: ${e.message}`);
      }
      stats.requests++;
    }
    agent.destroy();
  };
  const done = Promise.all(Array.from({ length: clients }, client));
  return { stats, async stop() { stopping = true; await done; return stats; } };
}

// ---- the marker route and the ways to break it ----

// /marker's module requires `helper`, so deleting or breaking that is a
// way to break it. Every broken variant also carries its own "bad-N"
// marker: were it ever loaded, /marker would show it.
const HELPER = 'return { name = "helper" }\n';
const marker = (m, opts) => markerModule(m, { requires: ['helper'], sleepMs: true, ...opts });

// apply(s, bad) breaks the scratch copy; undo(s) repairs what apply broke
// beyond marker.lua. The break is saved before the bad marker, so no
// moment exists where the bad marker is loadable.
const configBreak = (kind, lines, re) => ({
  kind, re,
  async apply(s, bad) { await s.saveConfig(lines); await s.save('marker.lua', marker(bad)); },
  undo: (s) => s.saveConfig([]),
});
const BROKEN = [
  {
    kind: 'syntax error in the route module', re: /marker\.lua:4:/,
    apply: (s, bad) => s.save('marker.lua',
      `-- ${bad}\nlocal MARKER = "${bad}"\nreturn function(req, ctx)\n  return 200, { marker = MARKER,, worker = ctx.worker_id }\nend\n`),
  },
  {
    kind: 'runtime error while loading the route module', re: /marker\.lua:3:/,
    apply: (s, bad) => s.save('marker.lua', `local MARKER = "${bad}"\nlocal t\nt.x = 1\n${marker(bad)}`),
  },
  {
    kind: 'error while loading a required module', re: /helper\.lua:2: helper-load-failure/,
    async apply(s, bad) { await s.save('helper.lua', '-- broken on purpose\nerror("helper-load-failure")\n'); await s.save('marker.lua', marker(bad)); },
    undo: (s) => s.save('helper.lua', HELPER),
  },
  {
    kind: 'route module returning a non-function', re: /marker.*function/,
    apply: (s, bad) => s.save('marker.lua', `return { marker = "${bad}" }\n`),
  },
  configBreak('route pointing at a missing module', ['c.routes["GET /extra"] = "no_such_module"'], /no_such_module/),
  configBreak('invalid upload.prefix', ['c.upload.prefix = "/abs/"'], /upload\.prefix/),
  configBreak('invalid limits.max_body', ['c.limits.max_body = -1'], /limits\.max_body/),
  configBreak('upload.expires = 0', ['c.upload.expires = 0'], /config\.lua: upload\.expires/),
  configBreak('upload.ext_allow as a string', ['c.upload.ext_allow = "jpg"'], /config\.lua: upload\.ext_allow/),
  configBreak('routes is not a table', ['c.routes = 5'], /routes/),
  configBreak('config syntax error', ['c.upload.expires = = 900'], /config\.lua:6:/),
  {
    kind: 'deleted required module', re: /helper/,
    async apply(s, bad) { s.remove('helper.lua'); await s.save('marker.lua', marker(bad)); },
    undo: (s) => s.save('helper.lua', HELPER),
  },
];

// Good saves cycle through the editors' ways of saving; 'subdir' adds a
// new folder with a new module, 'delete' removes such folders again.
const SAVE_WAYS = ['write', 'inplace', 'trunc', 'rename', 'subdir', 'delete'];

async function saveGood(s, i, m, how) {
  if (how === 'subdir') {
    await s.save(`gen${i}/value.lua`, `return "${m}"\n`);
    await s.save('marker.lua', marker(m, { from: `gen${i}.value` }));
  } else if (how === 'delete') {
    await s.save('marker.lua', marker(m));
    for (const d of fs.readdirSync(s.file('.'))) if (d.startsWith('gen')) s.remove(d);
  } else {
    await s.save('marker.lua', marker(m), how);
  }
}

const MARKER_SETUP = {
  routes: { 'GET /marker': 'marker' },
  files: { 'helper.lua': HELPER, 'marker.lua': marker('good-0') },
};

test('under load: 100 reloads, every other one broken, no answer fails and no broken code goes live', async (t) => {
  const { s, gw } = await setup(t, MARKER_SETUP);
  // Good markers and their generations: an answer pairing a marker with
  // another generation's VM would be a mixed answer.
  const good = new Map([['good-0', 1]]);
  const load = startLoad(gw, 6, (j) => good.get(j.marker) === j.generation);
  const STEPS = 50;
  const slowest = { good: 0, broken: 0 };
  let generation = 1;
  let current = 'good-0';
  try {
    for (let i = 1; i <= STEPS; i++) {
      // A broken save: logged once with where, the current marker stays.
      const k = BROKEN[(i - 1) % BROKEN.length];
      const failed = count(gw, FAILED);
      let t0 = performance.now();
      await k.apply(s, `bad-${i}`);
      // (No time limit is promised for refusing; this one just bounds the wait.)
      await until(() => count(gw, FAILED) > failed, 5000, `a logged failure for: ${k.kind}`);
      slowest.broken = Math.max(slowest.broken, performance.now() - t0);
      assert.match(lastFailure(gw), k.re, `${k.kind}: the message says where`);
      await sleep(350); // two more polls over the broken files, under load
      assert.equal(count(gw, FAILED), failed + 1, `${k.kind}: logged once`);
      await waitMarker(gw, '/marker', current, { ok: (m) => good.has(m), generation });

      // The next good save repairs it and goes live on both workers.
      current = `good-${i}`;
      good.set(current, generation + 1);
      await saveGood(s, i, current, SAVE_WAYS[(i - 1) % SAVE_WAYS.length]);
      if (k.undo) await k.undo(s);
      t0 = performance.now();
      generation++;
      await waitMarker(gw, '/marker', current, { ok: (m) => good.has(m), generation });
      slowest.good = Math.max(slowest.good, performance.now() - t0);
    }
  } finally {
    await load.stop();
  }
  const { stats } = load;
  t.diagnostic(`${stats.requests} requests on ${stats.connections} connections; slowest: good ${Math.round(slowest.good)} ms, broken ${Math.round(slowest.broken)} ms`);
  assert.deepEqual(stats.failures, [], `${stats.bad} bad answers`);
  assert.ok(stats.requests > 2000, `only ${stats.requests} requests`);
  assert.ok(stats.connections <= 12, `${stats.connections} connections: keep-alive was not kept`);
  // One log line per save: no repeats, no reloads of half-written files.
  assert.equal(count(gw, LIVE), STEPS, 'generation ... live lines');
  assert.equal(count(gw, FAILED), STEPS, 'reload failed lines');
  assert.deepEqual(await status(gw), { generation: STEPS + 1, reloads: STEPS, failed_reloads: STEPS, workers: 2 });
});

test('signgw -t rejects every broken variant, naming the same place as the reload does', async (t) => {
  for (const k of BROKEN) {
    const s = await scratch(MARKER_SETUP);
    t.after(() => s.cleanup());
    let r = h.runCli(['-t', '-c', s.config]);
    assert.equal(r.status, 0, r.output);
    await k.apply(s, 'bad');
    r = h.runCli(['-t', '-c', s.config]);
    assert.equal(r.status, 1, `${k.kind}: ${r.output}`);
    assert.match(r.output, k.re, k.kind);
  }
});

// A route that sleeps ?ms=N, then answers its marker and generation.
const SLOW_SETUP = (m) => ({ routes: { 'GET /slow': 'slow' }, files: { 'slow.lua': markerModule(m, { sleepMs: true }) } });

test('requests in flight during a reload finish on the code they started with', async (t) => {
  const { s, gw } = await setup(t, SLOW_SETUP('old'));
  // 16 fresh connections: both workers get some (all on one: p = 2^-15).
  // They sleep past the time the new code takes to go live.
  const inflight = Array.from({ length: 16 }, () =>
    h.request(gw.base, `/slow?ms=${1500 * SLOW}`).then((r) => ({ r, at: performance.now() })));
  await sleep(200); // they are inside gw.sleep now
  await s.save('slow.lua', markerModule('new', { sleepMs: true }));
  await waitMarker(gw, '/slow?ms=0', 'new', { ok: (m) => m === 'old' || m === 'new', generation: 2 });
  const liveAt = performance.now();
  const done = await Promise.all(inflight);
  for (const { r, at } of done) {
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.json.marker, r.json.generation], ['old', 1], r.text);
    assert.ok(at > liveAt, 'answered after the new generation was live');
  }
  assert.deepEqual(new Set(done.map(({ r }) => r.json.worker)), new Set([0, 1]), 'both workers had one in flight');
});

test('a module first required while a request runs comes from that request\'s generation', async (t) => {
  // late.lua is required only inside the handler, after the sleep: by then
  // the files on disk belong to the next generation.
  const slow = (m) => markerModule(m, { sleepMs: true }).replace('return 200, {', 'return 200, { late = require "late",');
  const { s, gw } = await setup(t, { routes: { 'GET /slow': 'slow' }, files: { 'late.lua': 'return "late-old"\n', 'slow.lua': slow('old') } });
  const inflight = h.request(gw.base, `/slow?ms=${1500 * SLOW}`).then((r) => ({ r, at: performance.now() }));
  await sleep(200);
  await s.save('late.lua', 'return "late-new"\n');
  await s.save('slow.lua', slow('new'));
  await waitMarker(gw, '/slow?ms=0', 'new', { ok: (m) => m === 'old' || m === 'new', generation: 2 });
  const liveAt = performance.now();
  const { r, at } = await inflight;
  assert.ok(at > liveAt, 'answered after the new generation was live');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.marker, r.json.late], ['old', 'late-old'], `one request, one generation: ${r.text}`);
});

test('a burst of 10 saves within 100 ms gives one reload, of the last save', async (t) => {
  const { s, gw } = await setup(t, MARKER_SETUP);
  const ways = ['write', 'inplace', 'rename'];
  const t0 = performance.now();
  for (let i = 1; i <= 10; i++) {
    // Spaced by busy-waiting: timers may fire late on a loaded machine,
    // and the saves must stay within ~100 ms.
    while (performance.now() < t0 + (i - 1) * 10);
    // The padding changes the size each time: a poll must see every save
    // even if two fall within one clock tick.
    await s.save('marker.lua', marker(`burst-${i}`) + `--${'.'.repeat(i)}\n`, ways[i % ways.length]);
  }
  const burstMs = performance.now() - t0;
  assert.ok(burstMs < 150, `the burst took ${Math.round(burstMs)} ms`);
  await waitMarker(gw, '/marker', 'burst-10', { ok: (m) => /^(good-0|burst-\d+)$/.test(m) });
  await sleep(1000); // time for any further reloads to show
  const reloads = count(gw, LIVE);
  assert.ok(reloads >= 1 && reloads <= 2, `${reloads} reloads for one burst:\n${gw.log()}`);
  assert.equal(count(gw, FAILED), 0, gw.log());
  await waitMarker(gw, '/marker', 'burst-10', { generation: 1 + reloads });
});

test('SIGHUP reloads; /_signgw/status counts generations and failed reloads; a broken save is logged once', async (t) => {
  const { s, gw } = await setup(t, MARKER_SETUP);
  assert.deepEqual(await status(gw), { generation: 1, reloads: 0, failed_reloads: 0, workers: 2 });

  gw.child.kill('SIGHUP');
  await until(async () => (await status(gw)).generation === 2, 1000 * SLOW, 'generation 2 after SIGHUP');
  assert.match(gw.log(), /reload: generation 2 live/);
  await waitMarker(gw, '/marker', 'good-0', { generation: 2 });

  await s.save('marker.lua', 'return function(req, ctx)\n  return 200,, {}\nend\n');
  await until(async () => (await status(gw)).failed_reloads === 1, 1000 * SLOW, 'a failed reload');
  await sleep(1500); // ~7 polls over the still broken file
  assert.equal(count(gw, FAILED), 1, `logged once:\n${gw.log()}`);
  assert.match(lastFailure(gw), /reload failed \(generation 2 stays\).*marker\.lua:2:/s);

  // Forced while broken: refused and counted again; generation 2 serves on.
  gw.child.kill('SIGHUP');
  await until(async () => (await status(gw)).failed_reloads === 2, 1000 * SLOW, 'a second failed reload');
  await waitMarker(gw, '/marker', 'good-0', { generation: 2 });

  await s.save('marker.lua', marker('good-1'));
  await waitMarker(gw, '/marker', 'good-1', { generation: 3 });
  assert.deepEqual(await status(gw), { generation: 3, reloads: 2, failed_reloads: 2, workers: 2 });
});

test('new files, new sub-folders and deleted files reload; the log names the changed files', async (t) => {
  const { s, gw } = await setup(t, MARKER_SETUP);
  const reloaded = async (what) => {
    const n = count(gw, LIVE);
    await until(() => count(gw, LIVE) > n, 1000 * SLOW, what);
    const line = gw.log().split('\n').filter((l) => LIVE.test(l)).pop();
    assert.match(line, /reload: generation \d+ live \(changed: .*\)/);
    return line;
  };
  await s.save('lib/deep/er/new.lua', 'return 1\n');
  assert.match(await reloaded('a new file in new sub-folders'), /new\.lua/);
  s.remove('lib');
  assert.match(await reloaded('a deleted sub-folder'), /new\.lua/);
  // Two files at once, one name ending in the other.
  await s.save('a/oauth.lua', 'return 1\n');
  await s.save('auth.lua', 'return 1\n');
  const line = await reloaded('two new files');
  assert.match(line, /[(:,] oauth\.lua\b/, 'oauth.lua listed');
  assert.match(line, /[(:,] auth\.lua\b/, 'auth.lua listed');
  await s.saveConfig(['-- a comment']);
  assert.match(await reloaded('the config'), /config\.lua/);
  assert.equal(count(gw, FAILED), 0, gw.log());
});

test('listen and workers cannot change while running: the log says so, the rest applies', async (t) => {
  const { s, gw } = await setup(t, MARKER_SETUP);
  await s.saveConfig(['c.listen = "127.0.0.1:1"', 'c.workers = 7']);
  await s.save('marker.lua', marker('good-1'));
  await waitMarker(gw, '/marker', 'good-1', { generation: 2 }); // same port, still 2 workers
  assert.match(gw.log(), /listen.*cannot change while running/);
  assert.match(gw.log(), /workers.*cannot change while running/);
  assert.equal((await status(gw)).workers, 2);
});

// `n` fresh connections in a row (SO_REUSEPORT spreads them over the
// workers) answer `reqPath` with `want`: the change is live everywhere.
async function waitStatusEverywhere(gw, reqPath, want, within = 1000 * SLOW, n = 20) {
  const t0 = performance.now();
  let streak = 0;
  await until(async () => {
    streak = (await h.request(gw.base, reqPath)).status === want ? streak + 1 : 0;
    return streak >= n;
  }, within, `${reqPath} answering ${want} ${n} times in a row`);
  return performance.now() - t0;
}

test('the shipped config, copied: removing png from ext_allow and putting it back apply within 1 s', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-reload-shipped-'));
  let gw;
  t.after(async () => { try { if (gw) await gw.stop(); } finally { fs.rmSync(dir, { recursive: true, force: true }); } });
  fs.cpSync(path.join(h.ROOT, 'lua'), path.join(dir, 'lua'), { recursive: true });
  const config = path.join(dir, 'lua', 'config.lua');
  gw = await h.start({ config, workers: 2 });
  assert.equal((await h.request(gw.base, '/put-sign?ext=png')).status, 200);

  const shipped = fs.readFileSync(config, 'utf8');
  const withoutPng = shipped.replace('"png", ', '');
  assert.notEqual(withoutPng, shipped, 'the shipped ext_allow lists "png", ');
  fs.writeFileSync(config, withoutPng);
  await waitStatusEverywhere(gw, '/put-sign?ext=png', 400);
  assert.equal((await h.request(gw.base, '/put-sign?ext=jpg')).status, 200);
  fs.writeFileSync(config, shipped);
  await waitStatusEverywhere(gw, '/put-sign?ext=png', 200);
  assert.deepEqual(await status(gw), { generation: 3, reloads: 2, failed_reloads: 0, workers: 2 });
});
