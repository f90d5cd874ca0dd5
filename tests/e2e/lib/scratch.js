'use strict';
// Hot-reload tests edit scripts while signgw runs, so each works on a
// throw-away copy in a fresh temp dir, never on the repository:
//   <dir>/config.lua   loads the shipped lua/config.lua, then sets
//                      paths = { <dir>/scripts, <root>/lua } and test routes
//   <dir>/scripts/     the test's route modules
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness.js');

const { sleep } = require('./wait.js');

// The sanitizer build runs scripts several times slower: time limits that
// stand for "within 1 s" are doubled there (SGW_SANITIZE=1, set by CMake).
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;

// The ways editors save a file. The server must see every one of them.
let tmpSeq = 0;
const SAVES = {
  // open with O_TRUNC, write (most programs)
  write(file, text) { fs.writeFileSync(file, text); },
  // rewrite the same inode from offset 0, then cut off the rest
  inplace(file, text) {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, text, 0);
    fs.ftruncateSync(fd, Buffer.byteLength(text));
    fs.closeSync(fd);
  },
  // truncate, leave the file empty for a moment, then write: a poll may
  // see the empty file, which must not be what goes live
  async trunc(file, text) {
    const fd = fs.openSync(file, 'r+');
    fs.ftruncateSync(fd, 0);
    await sleep(15);
    fs.writeSync(fd, text, 0);
    fs.closeSync(fd);
  },
  // sed -i, vim: a temp file beside it, renamed over the original
  rename(file, text) {
    const tmp = path.join(path.dirname(file), `sed${process.pid}x${tmpSeq++}`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  },
};

// The config: the shipped one, our paths and routes, then `extra` lines
// (which may break it on purpose; they start at line 6).
function configText(dir, routes, extra = []) {
  return [
    `local c = dofile(${JSON.stringify(path.join(h.ROOT, 'lua', 'config.lua'))})`,
    `c.paths = { ${JSON.stringify(path.join(dir, 'scripts'))}, ${JSON.stringify(path.join(h.ROOT, 'lua'))} }`,
    `for k, v in pairs(${luaTable(routes)}) do c.routes[k] = v end`,
    '-- test edits below',
    '',
    ...extra,
    'return c',
    '',
  ].join('\n');
}

function luaTable(obj) {
  return '{ ' + Object.entries(obj).map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join(', ') + ' }';
}

// A scratch dir holding `files` (relative to scripts/) and a config that
// routes `routes`; s.cleanup() removes it.
async function scratch({ routes = {}, files = {}, extra = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-reload-'));
  const s = {
    dir,
    config: path.join(dir, 'config.lua'),
    file: (rel) => path.join(dir, 'scripts', rel),
    // Saves scripts/<rel> the way `how` says (new files and folders too).
    async save(rel, text, how = 'write') {
      const f = s.file(rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      if (!fs.existsSync(f)) how = 'write';
      await SAVES[how](f, text);
    },
    remove(rel) { fs.rmSync(s.file(rel), { recursive: true, force: true }); },
    async saveConfig(more = [], how = 'write') { await SAVES[how](s.config, configText(dir, routes, more)); },
    cleanup() { fs.rmSync(dir, { recursive: true, force: true }); },
  };
  fs.mkdirSync(path.join(dir, 'scripts'));
  for (const [rel, text] of Object.entries(files)) await s.save(rel, text);
  fs.writeFileSync(s.config, configText(dir, routes, extra));
  return s;
}

// A scratch dir and signgw running on it. One after-hook stops signgw
// (which must exit cleanly), then removes the dir.
async function setup(t, { workers = 2, env, ...opts } = {}) {
  const s = await scratch(opts);
  let gw;
  t.after(async () => {
    try { if (gw) await gw.stop(); } finally { s.cleanup(); }
  });
  gw = await h.start({ config: s.config, workers, env });
  return { s, gw };
}

// How often `re` occurs in the log so far.
const count = (gw, re) => (gw.log().match(new RegExp(re.source, 'g')) || []).length;
const LIVE = /reload: generation \d+ live/;
const FAILED = /reload failed \(generation \d+ stays\)/;

// The message of the last failed reload in the log (it may span lines).
function lastFailure(gw) {
  const log = gw.log();
  const rest = log.slice(log.lastIndexOf('reload failed'));
  const end = rest.search(/\n\d{4}-\d\d-\d\dT/);
  return end < 0 ? rest : rest.slice(0, end);
}

// Polls `fn` every 10 ms until it returns something truthy; fails after
// `ms`, saying `what` (a string, or a function giving one then).
async function until(fn, ms, what) {
  const t0 = performance.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() - t0 > ms) {
      // Timers run before I/O: after a stall, read what has arrived first.
      await new Promise((r) => setImmediate(r));
      const last = await fn();
      if (last) return last;
      throw new Error(`not within ${ms} ms: ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(10);
  }
}

// GET /_signgw/status as JSON.
async function status(gw) {
  const r = await h.request(gw.base, '/_signgw/status');
  if (r.status !== 200 || !r.json) throw new Error(`status: ${r.status} ${r.text}`);
  return r.json;
}

// Waits until `path` answers marker `want` on every one of `workers`
// workers (fresh connections: SO_REUSEPORT spreads them over the workers).
// Every answer on the way must be 200 with a marker `ok(marker)` accepts;
// `generation`: the new marker must come from that generation. Returns
// the ms it took.
async function waitMarker(gw, reqPath, want, { workers = 2, within = 1000 * SLOW, ok = () => true, generation } = {}) {
  const t0 = performance.now();
  const seen = new Set();
  let last = '';
  while (performance.now() - t0 < within) {
    const r = await h.request(gw.base, reqPath);
    if (r.status !== 200 || !r.json || !ok(r.json.marker)) {
      throw new Error(`${reqPath} while waiting for ${want}: ${r.status} ${r.text}`);
    }
    last = r.text;
    if (r.json.marker === want) {
      if (generation !== undefined && r.json.generation !== generation) {
        throw new Error(`${reqPath}: marker ${want} from generation ${r.json.generation}, expected ${generation}`);
      }
      seen.add(r.json.worker);
    }
    if (seen.size === workers) return performance.now() - t0;
  }
  throw new Error(`${reqPath}: marker ${want} not live on all ${workers} workers within ${within} ms ` +
    `(on workers [${[...seen]}]); last answer ${last}\n--- log tail ---\n${gw.log().slice(-2000)}`);
}

// A route module answering its marker, the VM's generation and the worker.
// `from`: the marker comes from that module instead.
function markerModule(marker, { requires = [], from, sleepMs = false } = {}) {
  return [
    `-- marker module ${marker}`,
    ...requires.map((m) => `require ${JSON.stringify(m)}`),
    `local MARKER = ${from ? `require ${JSON.stringify(from)}` : JSON.stringify(marker)}`,
    'return function(req, ctx)',
    sleepMs ? '  gw.sleep(tonumber(req:query "ms") or 0)' : '',
    '  return 200, { marker = MARKER, generation = gw.generation, worker = ctx.worker_id }',
    'end',
    '',
  ].join('\n');
}

module.exports = { sleep, SLOW, scratch, setup, count, LIVE, FAILED, lastFailure, until, status, waitMarker, markerModule };
