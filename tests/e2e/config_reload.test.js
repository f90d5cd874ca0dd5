'use strict';
// The config file on reload and at start:
//   - reached through a symlink, it is resolved at every reload:
//     `ln -sfn b.lua config.lua` and a Kubernetes ConfigMap `..data` swap
//     both go live (before, the old target was read forever);
//   - a "strict" config table whose __index raises for keys it does not
//     have is read without aborting the process: left-out optional keys
//     count as absent, and a config that cannot be read is refused while
//     the running generation serves on (-t exits 1, never on a signal);
//   - while the process is out of file descriptors, the watcher does not
//     take unreadable scripts for deleted ones: no reload, no failure.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep, SLOW, setup, count, LIVE, FAILED, lastFailure, until, status, waitMarker, markerModule } =
  require('./lib/scratch.js');

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A config: the test config, a `marker` field and the /config-marker
// route; `extra` lines before the return.
function markerConfig(marker, extra = []) {
  return h.configOver('test.lua', [
    `c.marker = ${JSON.stringify(marker)}`,
    'c.routes["GET /config-marker"] = "test_routes.config_marker"',
    ...extra,
  ]);
}

// Replaces the symlink `link` so that it points at `target`, atomically
// (what `ln -sfn` does, and how Kubernetes swaps ..data).
function relink(target, link) {
  const tmp = `${link}.tmp${process.pid}`;
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

async function startOn(t, config, workers = 2) {
  const gw = await h.start({ config, workers });
  t.after(() => gw.stop());
  return gw;
}

test('ln -sfn b.lua config.lua: the reload serves b.lua', async (t) => {
  const dir = tmpdir(t);
  fs.writeFileSync(path.join(dir, 'a.lua'), markerConfig('a'));
  fs.writeFileSync(path.join(dir, 'b.lua'), markerConfig('b'));
  fs.symlinkSync('a.lua', path.join(dir, 'config.lua'));
  const gw = await startOn(t, path.join(dir, 'config.lua'));
  await waitMarker(gw, '/config-marker', 'a', { generation: 1 });

  relink('b.lua', path.join(dir, 'config.lua'));
  await waitMarker(gw, '/config-marker', 'b', { ok: (m) => m === 'a' || m === 'b', generation: 2 });
  // And back, by SIGHUP this time.
  relink('a.lua', path.join(dir, 'config.lua'));
  gw.child.kill('SIGHUP');
  await waitMarker(gw, '/config-marker', 'a', { ok: (m) => m === 'a' || m === 'b' });
  assert.equal(count(gw, FAILED), 0, gw.log());
});

// A ConfigMap volume: config.lua -> ..data/config.lua, ..data -> ..<version>,
// the scripts beside the config; an update writes a new version folder,
// swaps ..data and removes the old folder.
function configMapVersion(dir, version) {
  const v = path.join(dir, `..${version}`);
  fs.mkdirSync(v);
  fs.writeFileSync(path.join(v, 'config.lua'), markerConfig(version, [
    'c.paths[#c.paths + 1] = "."', // the ConfigMap's own folder
    'c.routes["GET /cm"] = "cm_marker"',
  ]));
  fs.writeFileSync(path.join(v, 'cm_marker.lua'), markerModule(`${version}-module`));
  return v;
}

test('a Kubernetes ConfigMap ..data swap goes live, config and scripts, again and again', async (t) => {
  const dir = tmpdir(t);
  let old = configMapVersion(dir, 'v1');
  fs.symlinkSync('..v1', path.join(dir, '..data'));
  fs.symlinkSync('..data/config.lua', path.join(dir, 'config.lua'));
  fs.symlinkSync('..data/cm_marker.lua', path.join(dir, 'cm_marker.lua'));
  const gw = await startOn(t, path.join(dir, 'config.lua'));
  await waitMarker(gw, '/config-marker', 'v1', { generation: 1 });
  await waitMarker(gw, '/cm', 'v1-module', { generation: 1 });

  for (const [i, version] of ['v2', 'v3'].entries()) {
    configMapVersion(dir, version);
    relink(`..${version}`, path.join(dir, '..data'));
    fs.rmSync(old, { recursive: true });
    old = path.join(dir, `..${version}`);
    const seen = (m) => /^v\d$/.test(m);
    await waitMarker(gw, '/config-marker', version, { ok: seen });
    await waitMarker(gw, '/cm', `${version}-module`, { ok: (m) => /^v\d-module$/.test(m) });
    await sleep(400); // further polls: nothing more to reload
    assert.equal(count(gw, FAILED), 0, `no failed reload:\n${gw.log()}`);
    assert.ok(count(gw, LIVE) >= i + 1 && count(gw, LIVE) <= 2 * (i + 1), gw.log());
  }
});

// ---- strict config tables ----

// A config whose table raises for every key it does not have (and has no
// `workers`, `listen`, `limits`, `paths`...: they come from the test
// config below only if copied).
function strictConfig(marker, { keep = ['routes', 'paths', 'cos', 'upload', 'policy', 'marker'], more = [] } = {}) {
  return markerConfig(marker, [
    'local strict = {}',
    `for _, k in ipairs(${JSON.stringify(keep).replace('[', '{').replace(/]$/, '}')}) do strict[k] = c[k] end`,
    ...more,
    'c = setmetatable(strict, { __index = function(_, k) error("strict config: no key " .. tostring(k), 2) end })',
  ]);
}

test('-t: a strict config table without the optional keys is accepted, not a Lua panic', (t) => {
  const dir = tmpdir(t);
  const config = path.join(dir, 'config.lua');
  fs.writeFileSync(config, strictConfig('strict'));
  const r = h.runCli(['-t', '-c', config]);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.output}`);
  assert.equal(r.status, 0, r.output);
  assert.doesNotMatch(r.output, /panic/i);
});

const UNREADABLE = {
  'strict without routes': [strictConfig('x', { keep: ['paths', 'cos', 'upload', 'policy'] }), /config\.lua.*strict config: no key routes/],
  'an __index that raises an error object whose __tostring raises': [markerConfig('x', [
    'c.paths = setmetatable({}, { __len = function() error(setmetatable({}, { __tostring = function() error("again") end })) end })',
  ]), /config\.lua/],
  'an error object with a raising __tostring from the config chunk': [
    'error(setmetatable({}, { __tostring = function() error("boom in __tostring") end }))\n', /config\.lua/],
};

test('-t: configs that cannot be read are refused with a message, exit 1, no signal', (t) => {
  for (const [name, [text, re]] of Object.entries(UNREADABLE)) {
    const dir = tmpdir(t);
    const config = path.join(dir, 'config.lua');
    fs.writeFileSync(config, text);
    const r = h.runCli(['-t', '-c', config]);
    assert.equal(r.signal, null, `${name}: killed by ${r.signal}: ${r.output}`);
    assert.equal(r.status, 1, `${name}: ${r.output}`);
    assert.match(r.output, re, name);
    assert.doesNotMatch(r.output, /panic/i, name);
  }
});

test('reload: a strict config goes live; unreadable ones are refused and the old generation serves on', async (t) => {
  const dir = tmpdir(t);
  const config = path.join(dir, 'config.lua');
  fs.writeFileSync(config, markerConfig('plain'));
  const gw = await startOn(t, config);
  await waitMarker(gw, '/config-marker', 'plain', { generation: 1 });

  fs.writeFileSync(config, strictConfig('strict'));
  await waitMarker(gw, '/config-marker', 'strict', { ok: (m) => m === 'plain' || m === 'strict', generation: 2 });

  for (const [name, [text, re]] of Object.entries(UNREADABLE)) {
    const failed = count(gw, FAILED);
    fs.writeFileSync(config, text);
    await until(() => count(gw, FAILED) > failed, 3000 * SLOW, `a failed reload for: ${name}`);
    assert.match(lastFailure(gw), re, name);
    await waitMarker(gw, '/config-marker', 'strict', { generation: 2 });
  }
  assert.doesNotMatch(gw.log(), /panic/i);
  assert.equal((await status(gw)).generation, 2);
});

// ---- bad values: refused on reload, naming the config file ----

test('reload: bad upload values are refused naming the config file; the running values stay', async (t) => {
  const dir = tmpdir(t);
  const config = path.join(dir, 'config.lua');
  fs.writeFileSync(config, markerConfig('good'));
  const gw = await startOn(t, config);
  const bad = {
    'c.upload.expires = 0': /config\.lua: upload\.expires/,
    'c.upload.expires = "soon"': /config\.lua: upload\.expires/,
    'c.upload.max_size = 0': /config\.lua: upload\.max_size/,
    'c.upload.max_size = -1': /config\.lua: upload\.max_size/,
    'c.upload.ext_allow = "jpg"': /config\.lua: upload\.ext_allow must be a list/,
  };
  for (const [line, re] of Object.entries(bad)) {
    const failed = count(gw, FAILED);
    fs.writeFileSync(config, markerConfig(`bad: ${line}`, [line]));
    await until(() => count(gw, FAILED) > failed, 3000 * SLOW, `a failed reload for ${line}`);
    assert.match(lastFailure(gw), re, line);
    assert.ok(lastFailure(gw).includes(config), `names ${config}: ${lastFailure(gw)}`);
    await waitMarker(gw, '/config-marker', 'good', { generation: 1 });
    const r = await h.request(gw.base, '/post-policy?ext=jpg');
    assert.equal(r.status, 200, `${line}: still signing: ${r.text}`);
    const policy = JSON.parse(Buffer.from(r.json.policy, 'base64').toString());
    assert.ok(policy.conditions.some((c) => Array.isArray(c) && c[0] === 'content-length-range'), 'size limit kept');
  }
  assert.equal(count(gw, LIVE), 0, gw.log());
});

// ---- the watcher without file descriptors ----

// Sets the soft RLIMIT_NOFILE of a running process (util-linux prlimit).
function setNofile(pid, soft) {
  const r = spawnSync('prlimit', [`--pid=${pid}`, `--nofile=${soft}:`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prlimit: ${r.stderr}`);
}

function softNofile(pid) {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line.split(/\s+/)[3]);
}

test('out of file descriptors: no script counts as deleted, no reload; edits apply once fds are back', async (t) => {
  const { s, gw } = await setup(t, {
    routes: { 'GET /marker': 'marker' },
    files: { 'marker.lua': markerModule('m0'), 'lib/deep/helper.lua': 'return 1\n' },
  });
  await waitMarker(gw, '/marker', 'm0', { generation: 1 });
  const pid = gw.child.pid;
  const soft = softNofile(pid);
  // The lowest free descriptor number as the limit: every further open()
  // fails with EMFILE.
  const fds = new Set(fs.readdirSync(`/proc/${pid}/fd`).map(Number));
  let free = 0;
  while (fds.has(free)) free++;
  setNofile(pid, free);
  try {
    await sleep(1500 * SLOW); // ten polls that cannot open a folder
  } finally {
    setNofile(pid, soft);
  }
  await sleep(1000 * SLOW); // and polls that can again: the same files
  assert.equal(count(gw, FAILED), 0, `no failed reload:\n${gw.log()}`);
  assert.equal(count(gw, LIVE), 0, `no spurious reload:\n${gw.log()}`);
  assert.match(gw.log(), /cannot read .*Too many open files/, 'the watcher says why it cannot see');
  assert.equal(count(gw, /cannot read/), 1, `said once:\n${gw.log()}`);

  await s.save('marker.lua', markerModule('m1'));
  await waitMarker(gw, '/marker', 'm1', { generation: 2 });
});
