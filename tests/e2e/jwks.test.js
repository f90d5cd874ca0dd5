'use strict';
// SGW_JWT_JWKS_URL with the shipped policy: the key set comes from a local
// HTTP server started here (keys and tokens made by jose). One worker, so
// fetches are countable: many first requests at once share one fetch; a
// token with a new kid after the issuer rotated makes one refetch, but not
// sooner than jwt.jwks_refetch seconds after the last (configs/jwks.lua
// sets 2 s instead of the default minute); a key set that cannot be
// fetched gives 503 unavailable, then works once the server is back; an
// HS256 token signed with a public key's bytes is refused (algorithm
// confusion), as is a token whose kid names another key.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const jose = require('jose');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/redis_server.js');

async function keyPair(alg, kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  const spki = await jose.exportSPKI(publicKey);
  return { alg, kid, privateKey, jwk, spki };
}

function sign(k, claims = {}, header = {}) {
  const now = Math.floor(Date.now() / 1000);
  // jti: every token is new, so none is answered from the verified-token cache.
  return new jose.SignJWT({ sub: 'jwks_user', iat: now, exp: now + 300, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: k.alg, kid: k.kid, ...header }).sign(k.privateKey);
}

// The issuer's key set endpoint: serves `keys`, counts fetches, can be down.
function issuer() {
  const s = { keys: [], fetches: 0, up: true };
  s.server = http.createServer((req, res) => {
    if (!s.up) { res.writeHead(500); res.end('down'); return; }
    s.fetches++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: s.keys.map((k) => k.jwk) }));
  });
  return new Promise((resolve) => s.server.listen(0, '127.0.0.1', () => {
    s.url = `http://127.0.0.1:${s.server.address().port}/.well-known/jwks.json`;
    resolve(s);
  }));
}

function get(gw, token) {
  return h.request(gw.base, '/put-sign?ext=jpg', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

test('SGW_JWT_JWKS_URL: fetch, share, rotate, fail closed', async (t) => {
  const iss = await issuer();
  const a = await keyPair('RS256', 'key-a');
  const b = await keyPair('ES256', 'key-b');
  const c = await keyPair('EdDSA', 'key-c');
  iss.keys = [a];
  iss.up = false;
  const gw = await h.start({ config: path.join(h.CONFIGS, 'jwks.lua'), workers: 1, env: { SGW_JWT_JWKS_URL: iss.url } });
  t.after(async () => { await gw.stop(); iss.server.close(); });

  await t.test('issuer down: 503 unavailable, never a signature', async () => {
    const r = await get(gw, await sign(a));
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error, 'unavailable');
    assert.equal(r.json.authorization, undefined);
  });

  await t.test('issuer back: many first requests share one fetch', async () => {
    iss.up = true;
    await sleep(600); // configs/jwks.lua: retry after 0.5 s
    const token = await sign(a);
    const all = await Promise.all(Array.from({ length: 20 }, () => get(gw, token)));
    for (const r of all) assert.equal(r.status, 200, r.text);
    assert.match(all[0].json.cosKey, /^uploads\/jwks_user\//);
    assert.equal(iss.fetches, 1);
  });

  await t.test('refusals: another kid\'s key, HS256 with the public key, alg none', async () => {
    const wrongKid = await sign(c, {}, { kid: 'key-a', alg: 'EdDSA' });
    let r = await get(gw, wrongKid);
    assert.equal(r.status, 401, r.text);
    const confusion = await new jose.SignJWT({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-a' }).sign(Buffer.from(a.spki));
    r = await get(gw, confusion);
    assert.equal(r.status, 401, r.text);
    r = await get(gw, new jose.UnsecuredJWT({ sub: 'x' }).setExpirationTime('5m').encode());
    assert.equal(r.status, 401, r.text);
    assert.equal(iss.fetches, 1, 'known kids cause no fetch');
  });

  await t.test('rotation: a new kid is fetched, at most once per refetch interval', async () => {
    iss.keys = [a, b];
    await sleep(2100); // the first fetch is now older than jwks_refetch (2 s)
    const tb = await sign(b);
    let r = await get(gw, tb);
    assert.equal(r.status, 200, r.text);
    assert.equal(iss.fetches, 2);
    assert.equal((await get(gw, tb)).status, 200);
    assert.equal((await get(gw, await sign(a))).status, 200, 'the old key still works');
    // Another new kid at once: no fetch yet, so refused.
    iss.keys = [a, b, c];
    r = await get(gw, await sign(c));
    assert.equal(r.status, 401, r.text);
    assert.match(r.headers['www-authenticate'], /^Bearer/);
    assert.equal(iss.fetches, 2, 'no refetch within the interval');
    await sleep(2100);
    r = await get(gw, await sign(c));
    assert.equal(r.status, 200, r.text);
    assert.equal(iss.fetches, 3);
    // The issuer withdraws key a: after the next refetch it stops working.
    iss.keys = [b, c];
    await sleep(2100);
    const gone = await sign(a, {}, { kid: 'key-z' }); // unknown kid: refetch
    assert.equal((await get(gw, gone)).status, 401);
    assert.equal(iss.fetches, 4);
    assert.equal((await get(gw, await sign(a))).status, 401, 'withdrawn key');
  });
});
