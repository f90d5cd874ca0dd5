'use strict';
// gw.jwt inside a real worker: the jose-made case matrix of
// tests/oracle/jwt_cases.js (every algorithm, tampering, claims, alg:none,
// algorithm confusion, JWKS rotation, malformed tokens) replayed through
// gw.jwt.keys/gw.jwt.verify, claims and header as scripts get them; an
// HS256 bearer route keyed by SGW_JWT_SECRET; the Lua spec spec/jwt.lua.
// The JWT secrets never appear in a response or in the log.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const jose = require('jose');
const h = require('./lib/harness.js');
const { makeCases, decodePart } = require('../oracle/jwt_cases.js');

// Non-ASCII on purpose: the secret is the variable's bytes as they are.
const ENV_SECRET = 'sgw-e2e-jwt-secret-Ω-0123456789abcdef';

test('gw.jwt in a worker VM', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-jwt-e2e-'));
  const gw = await h.start({ config: path.join(h.CONFIGS, 'jwt.lua'), workers: 1, env: { SGW_JWT_SECRET: ENV_SECRET } });
  t.after(async () => {
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const { keysets, badKeysets, cases } = await makeCases();
  const secrets = [];

  // Shared secrets reach gw.jwt.keys only as files (secret_file); key
  // sources of one set are merged into one keys{} table.
  let nfile = 0;
  const keysTable = (sources) => {
    const keys = {};
    for (const s of sources) {
      if (s.secret_b64url !== undefined) {
        const file = path.join(dir, `secret-${nfile++}`);
        const bytes = Buffer.from(s.secret_b64url, 'base64url');
        secrets.push(bytes.toString('latin1'));
        fs.writeFileSync(file, bytes);
        keys.secret_file = file;
      } else if (s.pem !== undefined) {
        keys.pem = keys.pem ? keys.pem + '\n' + s.pem : s.pem;
      } else {
        keys.jwks = s.jwks;
      }
    }
    return keys;
  };
  const tables = {};
  for (const [name, sources] of Object.entries(keysets)) tables[name] = keysTable(sources);

  const check = async (body) => {
    const r = await h.request(gw.base, '/jwt/check', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, r.text);
    for (const s of secrets) assert.ok(!r.text.includes(s), 'a secret in a response');
    return r.json;
  };

  await t.test('the jose case matrix through gw.jwt', async () => {
    const failures = [];
    let n = 0;
    for (const c of cases) {
      if (c.token.length > 100000) continue; // beyond the request body limit
      const opts = { algs: c.algs, now: c.now };
      for (const k of ['iss', 'aud', 'leeway', 'require_exp']) if (c[k] !== undefined) opts[k] = c[k];
      const r = await check({ keys: tables[c.keyset], token: c.token, opts });
      n++;
      if (r.keys_error) { failures.push(`${c.name}: keys: ${r.keys_error}`); continue; }
      if (r.verifier_differs) { failures.push(`${c.name}: gw.jwt.verifier differs: ${JSON.stringify(r.verifier_differs)}`); continue; }
      const got = r.ok ? 'ok' : r.reason;
      if (got !== c.expect) { failures.push(`${c.name}: expected ${c.expect}, got ${got} (${r.message})`); continue; }
      if (r.ok) {
        try {
          assert.deepStrictEqual(r.claims, c.claims);
          assert.deepStrictEqual(r.header, decodePart(c.token, 0));
        } catch (e) {
          failures.push(`${c.name}: ${e.message}`);
        }
      } else if (!(typeof r.message === 'string' && r.message.length > 0)) {
        failures.push(`${c.name}: no message`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.ok(n > 250, `only ${n} cases ran`);
  });

  await t.test('key sets that must not load give nil, message', async () => {
    for (const [name, sources] of Object.entries(badKeysets)) {
      const r = await check({ keys: keysTable(sources), token: 'x', opts: { algs: ['RS256'] } });
      assert.ok(typeof r.keys_error === 'string' && r.keys_error.length > 0, `${name}: ${JSON.stringify(r)}`);
    }
  });

  await t.test('HS256 bearer route keyed by SGW_JWT_SECRET', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'user_7', iss: 'https://issuer.example', aud: 'signgw', iat: now, exp: now + 300 };
    const key = Buffer.from(ENV_SECRET);
    const make = (alg, c = claims) => new jose.SignJWT(c).setProtectedHeader({ alg }).sign(key);
    const get = (auth) => h.request(gw.base, '/jwt/bearer', { headers: auth ? { Authorization: auth } : {} });

    const ok = await get(`Bearer ${await make('HS256')}`);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.sub, 'user_7');
    assert.equal(ok.json.keyset, 'gw.jwt.keyset (1 keys)');
    for (const [what, auth, reason] of [
      ['no header', null, 'malformed'],
      ['HS384 with the same secret', `Bearer ${await make('HS384')}`, 'alg_not_allowed'],
      ['HS512 with the same secret', `Bearer ${await make('HS512')}`, 'alg_not_allowed'],
      ['alg none', `Bearer ${new jose.UnsecuredJWT(claims).encode()}`, 'alg_not_allowed'],
      ['expired', `Bearer ${await make('HS256', { ...claims, exp: now - 60 })}`, 'expired'],
      ['no exp', `Bearer ${await make('HS256', { ...claims, exp: undefined })}`, 'missing_exp'],
      ['other issuer', `Bearer ${await make('HS256', { ...claims, iss: 'https://evil.example' })}`, 'bad_issuer'],
      ['other secret', `Bearer ${await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(ENV_SECRET + 'x'))}`, 'bad_signature'],
    ]) {
      const r = await get(auth);
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.equal(r.json.reason, reason, `${what}: ${r.text}`);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      assert.ok(!r.text.includes(ENV_SECRET), `${what}: secret in the response`);
    }
  });

  await t.test('Lua spec jwt', async () => {
    const r = await h.request(gw.base, '/spec?name=jwt');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.failures, [], r.json.failures.join('\n'));
    assert.ok(r.json.passed >= 7, r.text);
  });

  await t.test('no JWT secret in the log', () => {
    const log = gw.log();
    assert.ok(!log.includes(ENV_SECRET), 'SGW_JWT_SECRET in the log');
    for (const s of secrets) assert.ok(!log.includes(s), 'a secret file in the log');
  });
});
