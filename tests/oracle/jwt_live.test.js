'use strict';
// The C JWT core (through jwt_tool) against tokens made live by jose for
// every algorithm: each valid token verifies with exactly the claims jose
// signed, and each tampered, expired, early, wrongly keyed or addressed,
// alg:none, out-of-list, confused, oversized or malformed token is
// refused with its own reason. Key sets that must not load are refused.
//
//   node --test jwt_live.test.js     (SGW_JWT_TOOL = path to jwt_tool)
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { makeCases, decodePart, ALGS } = require('./jwt_cases.js');

const TOOL = process.env.SGW_JWT_TOOL;

function runTool(input) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-jwt-'));
  const file = path.join(dir, 'cases.json');
  try {
    fs.writeFileSync(file, JSON.stringify(input));
    const r = spawnSync(TOOL, [file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `jwt_tool failed: ${r.stderr}`);
    const keysets = {};
    const cases = {};
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const o = JSON.parse(line);
      if (o.keyset !== undefined) keysets[o.keyset] = o;
      else cases[o.case] = o;
    }
    return { keysets, cases };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('jose tokens against the C core', async (t) => {
  assert.ok(TOOL, 'set SGW_JWT_TOOL');
  const { keysets, badKeysets, cases } = await makeCases();
  const names = new Set();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
  }
  const out = runTool({ keysets: { ...keysets, ...badKeysets }, cases });

  await t.test('key sets load, bad ones are refused', () => {
    for (const name of Object.keys(keysets)) {
      assert.ok(out.keysets[name] && out.keysets[name].ok, `${name}: ${JSON.stringify(out.keysets[name])}`);
    }
    for (const name of Object.keys(badKeysets)) {
      const r = out.keysets[name];
      assert.ok(r && !r.ok, `${name} loaded but must not: ${JSON.stringify(r)}`);
      assert.ok(r.error.length > 0, `${name}: no reason`);
    }
    // Unsupported JWKs stay known by kid: 4 usable/restricted + 2 others.
    assert.equal(out.keysets.restricted.count, 6);
  });

  await t.test('every case gives its expected reason', () => {
    const failures = [];
    for (const c of cases) {
      const r = out.cases[c.name];
      if (!r) { failures.push(`${c.name}: no answer`); continue; }
      if (r.reason !== c.expect) {
        failures.push(`${c.name}: expected ${c.expect}, got ${r.reason} (${r.msg})`);
        continue;
      }
      if (c.expect === 'ok') {
        if (r.rc !== 0) failures.push(`${c.name}: rc ${r.rc}`);
        try {
          assert.deepStrictEqual(r.claims, c.claims);
          assert.deepStrictEqual(r.header, decodePart(c.token, 0));
          assert.equal(r.alg, decodePart(c.token, 0).alg);
        } catch (e) {
          failures.push(`${c.name}: ${e.message}`);
        }
      } else {
        // SGW_ENOENT (-5) marks an unknown kid, SGW_EINVAL (-2) the rest.
        const want = c.expect === 'unknown_kid' ? -5 : -2;
        if (r.rc !== want) failures.push(`${c.name}: rc ${r.rc}, want ${want}`);
        if (r.claims !== undefined) failures.push(`${c.name}: claims on refusal`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  await t.test('the matrix covers every algorithm', () => {
    for (const alg of ALGS) {
      for (const what of ['valid', 'tampered header', 'tampered payload', 'tampered signature', 'wrong key',
        'expired', 'not yet valid', 'wrong iss', 'wrong aud', 'alg outside the list']) {
        assert.ok(cases.some((c) => c.name === `${alg} ${what}`), `${alg} ${what}`);
      }
    }
  });
});
