'use strict';
// What the live oracles share (live_oracle.js, live_verify.js,
// live_tc3_oracle.js, live_s3_oracle.js): the tool named on the command
// line, the seed, a seeded random stream (a printed seed reproduces a
// whole run), and driving a tool (cos_tool, tc3_tool, s3_tool: one JSON
// input line, one output line); and the generators' Lua string literals.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');

// The tool's path, the script's first argument; without one, prints the
// usage and exits.
function toolArg(script, toolName) {
  const tool = process.argv[2];
  if (!tool) {
    console.error(`usage: node ${script} path/to/${toolName}`);
    process.exit(2);
  }
  return tool;
}

// SGW_ORACLE_SEED, or a new random seed.
function seedFromEnv() {
  return process.env.SGW_ORACLE_SEED !== undefined
    ? Number(process.env.SGW_ORACLE_SEED) >>> 0
    : crypto.randomBytes(4).readUInt32LE(0);
}

// The random helpers, all drawing from one stream seeded with `seed`.
function makeRandom(seed) {
  // mulberry32: tiny, seedable, good enough to pick test inputs.
  let state = seed >>> 0;
  function rnd() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const chance = (p) => rnd() < p;
  const swapCase = (s) => [...s].map((c) => (chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
  function randChars(pool, min, max) {
    let s = '';
    for (let n = int(min, max); n > 0; n--) s += pick(pool);
    return s;
  }
  return { rnd, int, pick, chance, swapCase, randChars };
}

// Runs the tool on all inputs at once; exits the process if it fails or
// answers a different number of lines.
function runTool(tool, inputs) {
  const name = path.basename(tool);
  const r = spawnSync(tool, [], {
    input: inputs.map((o) => JSON.stringify(o)).join('\n') + '\n',
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    console.error(`${name} failed: ${r.error || 'exit ' + r.status + ' ' + r.signal}\n${r.stderr}`);
    process.exit(1);
  }
  const lines = r.stdout.split('\n');
  lines.pop(); // after the final newline
  if (lines.length !== inputs.length) {
    console.error(`${name} printed ${lines.length} lines for ${inputs.length} inputs`);
    process.exit(1);
  }
  return lines;
}

function parseLine(line) {
  try {
    return JSON.parse(line);
  } catch (e) {
    return { error: line };
  }
}

// A line of JSON as JSON.stringify writes what it holds (to compare with
// an SDK's answer), or the line itself when it is not JSON.
function canonicalLine(line) {
  try {
    return JSON.stringify(JSON.parse(line));
  } catch (e) {
    return line;
  }
}

// A Lua string literal of s (for the generators' Lua spec vectors): every
// byte that is not printable ASCII as \ddd, so the file stays ASCII.
function luaStr(s) {
  let r = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22 || b === 0x5c) r += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) r += String.fromCharCode(b);
    else r += '\\' + String(b).padStart(3, '0');
  }
  return r + '"';
}

module.exports = { toolArg, seedFromEnv, makeRandom, runTool, parseLine, canonicalLine, luaStr };
