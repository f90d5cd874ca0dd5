'use strict';
// JWT test cases made by independent code: keys and tokens come from jose
// (npm), Node's own crypto and the openssl CLI, never from signgw. Used by
// jwt_live.test.js (the C core, through jwt_tool) and by
// tests/e2e/jwt.test.js (the gw.jwt Lua binding in a real worker).
//
// makeCases() -> { keysets, cases, badKeysets }
//   keysets     { NAME: [ {secret_b64url} | {pem} | {jwks} ] }  must load
//   badKeysets  { NAME: [ ... ] }                                must not load
//   cases       [ { name, token, keyset, algs, iss?, aud?, now, leeway?,
//                   require_exp?, expect, claims? } ]
//               expect is a reason name ("ok", "bad_signature", ...);
//               claims, for "ok", is the payload the token carries.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const jose = require('jose');

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const NOW = Math.floor(Date.now() / 1000);

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const FAMILY = (a) => a.slice(0, 2) === 'Ed' ? 'Ed' : a.slice(0, 2);

// A key pair (or secret) for each alg, two of them so "wrong key" is real.
async function makeKey(alg, kid) {
  if (alg.startsWith('HS')) {
    // Bytes a secret file can hold: no NUL, and no final CR or LF (a file's
    // last newline is not part of the secret).
    let bytes;
    do bytes = crypto.randomBytes(Number(alg.slice(2)) / 8);
    while (bytes.includes(0) || bytes.at(-1) === 10 || bytes.at(-1) === 13);
    return { alg, kid, sign: bytes, source: { secret_b64url: b64u(bytes) } };
  }
  const opts = { extractable: true };
  if (alg.startsWith('RS') || alg.startsWith('PS')) opts.modulusLength = 2048;
  if (alg === 'EdDSA') opts.crv = 'Ed25519';
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, opts);
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, use: 'sig' };
  return {
    alg, kid, sign: privateKey, publicKey, jwk,
    pem: await jose.exportSPKI(publicKey),
    source: { pem: await jose.exportSPKI(publicKey) },
  };
}

async function sign(key, payload, { header = {}, kid = key.kid, alg = key.alg } = {}) {
  const h = { alg, ...header };
  if (kid) h.kid = kid;
  return new jose.SignJWT(payload).setProtectedHeader(h).sign(key.sign);
}

// A compact JWS over arbitrary header and payload text, signed HS256 with
// Node's crypto: for what jose refuses to make (duplicates, crit, ...).
function rawHS256(secret, headerText, payloadText) {
  return signParts(secret, b64u(headerText), b64u(payloadText));
}
function signParts(secret, h64, p64) {
  const input = `${h64}.${p64}`;
  return `${input}.${b64u(crypto.createHmac('sha256', secret).update(input).digest())}`;
}

// Re-encode one part of a token, keeping the others.
function replacePart(token, i, text) {
  const p = token.split('.');
  p[i] = b64u(text);
  return p.join('.');
}
function flipSignature(token) {
  const p = token.split('.');
  const sig = Buffer.from(p[2], 'base64url');
  sig[sig.length >> 1] ^= 0x01;
  p[2] = b64u(sig);
  return p.join('.');
}
function cutSignature(token) {
  const p = token.split('.');
  p[2] = b64u(Buffer.from(p[2], 'base64url').subarray(0, -1));
  return p.join('.');
}
const decodePart = (token, i) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString());

function basePayload(extra = {}) {
  return {
    sub: 'user_42', iss: 'https://issuer.example', aud: 'signgw',
    iat: NOW - 5, exp: NOW + 600, name: 'Zoë 中文', roles: ['upload', 'read'],
    ctx: { tenant: 't1', level: 3, ratio: 1.5, ok: true, none: null }, ...extra,
  };
}

async function makeCases() {
  const keysets = {};
  const badKeysets = {};
  const cases = [];
  const add = (c) => cases.push({ now: NOW, ...c });

  // ---- every algorithm: valid, tampered, time, iss, aud, wrong key ----
  for (const alg of ALGS) {
    const k = await makeKey(alg, `kid-${alg}`);
    const other = await makeKey(alg, `kid-${alg}`);
    keysets[`main_${alg}`] = [k.source];
    if (k.jwk) keysets[`jwks_${alg}`] = [{ jwks: JSON.stringify({ keys: [k.jwk] }) }];
    const algs = [alg];
    const ks = `main_${alg}`;
    const p = basePayload();
    const good = await sign(k, p);

    add({ name: `${alg} valid`, token: good, keyset: ks, algs, iss: p.iss, aud: 'signgw', require_exp: true,
      expect: 'ok', claims: p, header: { alg, kid: k.kid } });
    if (k.jwk) add({ name: `${alg} valid via JWKS kid`, token: good, keyset: `jwks_${alg}`, algs, expect: 'ok', claims: p });
    add({ name: `${alg} accepted among several algs`, token: good, keyset: ks, algs: ['HS256', 'RS256', 'ES256', 'EdDSA', alg], expect: 'ok', claims: p });
    add({ name: `${alg} tampered header`, token: replacePart(good, 0, JSON.stringify({ alg, kid: k.kid, typ: 'JWT' })), keyset: ks, algs, expect: 'bad_signature' });
    add({ name: `${alg} tampered payload`, token: replacePart(good, 1, JSON.stringify({ ...p, sub: 'admin' })), keyset: ks, algs, expect: 'bad_signature' });
    add({ name: `${alg} tampered signature`, token: flipSignature(good), keyset: ks, algs, expect: 'bad_signature' });
    add({ name: `${alg} signature cut short`, token: cutSignature(good), keyset: ks, algs, expect: 'bad_signature' });
    add({ name: `${alg} wrong key`, token: await sign(other, p), keyset: ks, algs, expect: 'bad_signature' });
    add({ name: `${alg} expired`, token: await sign(k, basePayload({ exp: NOW - 100 })), keyset: ks, algs, leeway: 30, expect: 'expired' });
    add({ name: `${alg} exp at now`, token: await sign(k, basePayload({ exp: NOW })), keyset: ks, algs, expect: 'expired' });
    const inLeeway = basePayload({ exp: NOW - 10 });
    add({ name: `${alg} expired within leeway`, token: await sign(k, inLeeway), keyset: ks, algs, leeway: 30, expect: 'ok', claims: inLeeway });
    add({ name: `${alg} not yet valid`, token: await sign(k, basePayload({ nbf: NOW + 100 })), keyset: ks, algs, leeway: 30, expect: 'not_yet_valid' });
    const nbfLeeway = basePayload({ nbf: NOW + 10 });
    add({ name: `${alg} nbf within leeway`, token: await sign(k, nbfLeeway), keyset: ks, algs, leeway: 30, expect: 'ok', claims: nbfLeeway });
    add({ name: `${alg} iat in the future`, token: await sign(k, basePayload({ iat: NOW + 100 })), keyset: ks, algs, leeway: 30, expect: 'iat_in_future' });
    add({ name: `${alg} wrong iss`, token: good, keyset: ks, algs, iss: 'https://other.example', expect: 'bad_issuer' });
    const noIss = basePayload(); delete noIss.iss;
    add({ name: `${alg} missing iss`, token: await sign(k, noIss), keyset: ks, algs, iss: 'https://issuer.example', expect: 'bad_issuer' });
    add({ name: `${alg} wrong aud`, token: good, keyset: ks, algs, aud: 'another-service', expect: 'bad_audience' });
    add({ name: `${alg} one of several aud`, token: good, keyset: ks, algs, aud: ['x', 'signgw'], expect: 'ok', claims: p });
    const arrAud = basePayload({ aud: ['a', 'signgw', 'b'] });
    add({ name: `${alg} aud array claim`, token: await sign(k, arrAud), keyset: ks, algs, aud: 'signgw', expect: 'ok', claims: arrAud });
    const noExp = basePayload(); delete noExp.exp;
    const noExpTok = await sign(k, noExp);
    add({ name: `${alg} no exp allowed`, token: noExpTok, keyset: ks, algs, expect: 'ok', claims: noExp });
    add({ name: `${alg} no exp required`, token: noExpTok, keyset: ks, algs, require_exp: true, expect: 'missing_exp' });
    const outside = ALGS.filter((a) => a !== alg);
    add({ name: `${alg} alg outside the list`, token: good, keyset: ks, algs: outside, expect: 'alg_not_allowed' });
  }

  // ---- HS: same secret, other hash; string secrets as bytes ----
  const hs = await makeKey('HS256');
  keysets.hs_secret = [hs.source];
  for (const alg of ['HS384', 'HS512']) {
    const t = await sign({ alg, sign: hs.sign }, basePayload());
    add({ name: `${alg} with the HS256 secret, only HS256 accepted`, token: t, keyset: 'hs_secret', algs: ['HS256'], expect: 'alg_not_allowed' });
    add({ name: `${alg} with the HS256 secret, ${alg} accepted`, token: t, keyset: 'hs_secret', algs: ['HS256', alg], expect: 'ok', claims: basePayload() });
  }
  const strSecret = 'correct horse battery staple, ünïcode';
  keysets.string_secret = [{ secret_b64url: b64u(Buffer.from(strSecret)) }];
  add({ name: 'HS256 with a string secret', token: await sign({ alg: 'HS256', sign: Buffer.from(strSecret) }, basePayload()), keyset: 'string_secret', algs: ['HS256'], expect: 'ok', claims: basePayload() });

  // ---- alg none and algorithm confusion ----
  const rsa = await makeKey('RS256', 'rsa-1');
  keysets.rsa_pem = [rsa.source];
  keysets.rsa_jwks = [{ jwks: JSON.stringify({ keys: [rsa.jwk] }) }];
  const none = new jose.UnsecuredJWT(basePayload()).encode();
  add({ name: 'alg none, empty signature', token: none, keyset: 'rsa_pem', algs: ['RS256', 'HS256'], expect: 'alg_not_allowed' });
  add({ name: 'alg none, with a signature', token: none + 'c2ln', keyset: 'hs_secret', algs: ['HS256'], expect: 'alg_not_allowed' });
  add({ name: 'alg None (case)', token: rawHS256(hs.sign, '{"alg":"None"}', JSON.stringify(basePayload())), keyset: 'hs_secret', algs: ['HS256'], expect: 'alg_not_allowed' });
  const confusion = await sign({ alg: 'HS256', sign: Buffer.from(rsa.pem) }, basePayload(), { kid: null });
  add({ name: 'confusion: HS256 keyed with the RSA PEM vs that RSA key', token: confusion, keyset: 'rsa_pem', algs: ['RS256', 'HS256'], expect: 'key_mismatch' });
  const confusionKid = await sign({ alg: 'HS256', sign: Buffer.from(rsa.pem) }, basePayload(), { kid: 'rsa-1' });
  add({ name: 'confusion: HS256 naming the RSA JWK kid', token: confusionKid, keyset: 'rsa_jwks', algs: ['RS256', 'HS256'], expect: 'key_mismatch' });
  const rsWithSecret = await sign(rsa, basePayload(), { kid: null });
  add({ name: 'confusion: RS256 token vs a shared secret', token: rsWithSecret, keyset: 'hs_secret', algs: ['RS256', 'HS256'], expect: 'key_mismatch' });
  const es = await makeKey('ES256', 'ec-1');
  add({ name: 'ES256 token vs an RSA key', token: await sign(es, basePayload(), { kid: null }), keyset: 'rsa_pem', algs: ['RS256', 'ES256'], expect: 'key_mismatch' });
  add({ name: 'token kid ignored for a key without kid', token: await sign(rsa, basePayload(), { kid: 'whatever' }), keyset: 'rsa_pem', algs: ['RS256'], expect: 'ok', claims: basePayload() });

  // ---- malformed tokens ----
  const hsTok = await sign(hs, basePayload());
  const bad = (name, token, expect = 'malformed') => add({ name, token, keyset: 'hs_secret', algs: ['HS256'], expect });
  bad('empty token', '');
  bad('two parts', hsTok.split('.').slice(0, 2).join('.'));
  bad('four parts', hsTok + '.e30');
  bad('empty signature', hsTok.replace(/\.[^.]*$/, '.'));
  bad('padding in header', hsTok.replace('.', '=.'));
  bad('padding in signature', hsTok + '=');
  bad('standard alphabet in signature', hsTok.slice(0, -1) + '+');
  bad('slash in payload', (() => { const p = hsTok.split('.'); p[1] = p[1].slice(0, 4) + '/' + p[1].slice(5); return p.join('.'); })());
  bad('space in token', hsTok.replace('.', ' .'));
  bad('payload of impossible length', (() => {
    const p = hsTok.split('.');
    while (p[1].length % 4 !== 1) p[1] += 'A';
    return p.join('.');
  })());
  // "e30" is "{}"; "e31" decodes to the same bytes in lenient decoders.
  bad('non-canonical trailing bits, signed', signParts(hs.sign, b64u('{"alg":"HS256"}'), 'e31'));
  bad('non-canonical trailing bits in the header', (() => {
    const h = b64u('{"alg":"HS256"}'); // ends in a 2-symbol group: "...In0"
    return signParts(hs.sign, h.slice(0, -1) + '1', b64u('{}'));
  })());
  bad('header not JSON', rawHS256(hs.sign, 'not json', '{}'));
  bad('header an array', rawHS256(hs.sign, '["HS256"]', '{}'));
  bad('header alg a number', rawHS256(hs.sign, '{"alg":256}', '{}'));
  bad('header duplicate alg', rawHS256(hs.sign, '{"alg":"HS256","alg":"none"}', '{}'));
  bad('header kid a number', rawHS256(hs.sign, '{"alg":"HS256","kid":7}', '{}'));
  bad('header invalid UTF-8', rawHS256(hs.sign, Buffer.from([0x7b, 0x22, 0x61, 0x6c, 0x67, 0x22, 0x3a, 0x22, 0x48, 0x53, 0x32, 0x35, 0x36, 0x22, 0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), '{}'));
  bad('header trailing garbage', rawHS256(hs.sign, '{"alg":"HS256"} x', '{}'));
  bad('crit header', rawHS256(hs.sign, '{"alg":"HS256","crit":["exp"],"exp":1}', '{}'), 'unsupported');
  const unencoded = await new jose.FlattenedSign(Buffer.from('{}')).setProtectedHeader({ alg: 'HS256', b64: false, crit: ['b64'] }).sign(hs.sign);
  bad('b64 header (RFC 7797)', `${unencoded.protected}.${unencoded.payload}.${unencoded.signature}`, 'unsupported');
  bad('payload an array', rawHS256(hs.sign, '{"alg":"HS256"}', '[1,2]'));
  bad('payload a string', rawHS256(hs.sign, '{"alg":"HS256"}', '"sub"'));
  bad('payload not JSON', rawHS256(hs.sign, '{"alg":"HS256"}', 'hello'));
  bad('payload duplicate sub', rawHS256(hs.sign, '{"alg":"HS256"}', '{"sub":"user","sub":"admin"}'));
  bad('payload nested duplicate', rawHS256(hs.sign, '{"alg":"HS256"}', '{"a":{"b":1,"b":2}}'));
  bad('payload escaped NUL', rawHS256(hs.sign, '{"alg":"HS256"}', '{"iss":"a\\u0000b"}'));
  bad('payload nested 40 deep', rawHS256(hs.sign, '{"alg":"HS256"}', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}'));
  bad('exp a string', rawHS256(hs.sign, '{"alg":"HS256"}', `{"exp":"${NOW + 600}"}`));
  bad('exp huge', rawHS256(hs.sign, '{"alg":"HS256"}', '{"exp":1e999}'));
  bad('iss a number', rawHS256(hs.sign, '{"alg":"HS256"}', '{"iss":1}'));
  bad('sub an object', rawHS256(hs.sign, '{"alg":"HS256"}', '{"sub":{}}'));
  bad('aud a number', rawHS256(hs.sign, '{"alg":"HS256"}', '{"aud":1}'));
  bad('aud array with a number', rawHS256(hs.sign, '{"alg":"HS256"}', '{"aud":["signgw",1]}'));
  bad('alg unknown', rawHS256(hs.sign, '{"alg":"HS257"}', '{}'), 'alg_not_allowed');
  // The escaped forms decode to the same names: still duplicates.
  bad('payload duplicate via escape', rawHS256(hs.sign, '{"alg":"HS256"}', '{"sub":"a","\\u0073ub":"b"}'));
  const rawOk = rawHS256(hs.sign, '{"alg":"HS256","typ":"JWT"}', ' {"sub":"x","n":[1,2,{"k":null}]} ');
  add({ name: 'raw HS256 with whitespace around JSON', token: rawOk, keyset: 'hs_secret', algs: ['HS256'], expect: 'ok', claims: { sub: 'x', n: [1, 2, { k: null }] } });

  // ---- size: 8 KiB is the limit ----
  // The longest token of at most 8192 bytes (base64 skips some lengths).
  const lenWith = async (pad) => {
    const pl = basePayload({ pad: 'x'.repeat(pad) });
    return { pl, t: await sign(hs, pl) };
  };
  let pad = 5600;
  while ((await lenWith(pad)).t.length > 8192) pad--;
  while ((await lenWith(pad + 1)).t.length <= 8192) pad++;
  const s = await lenWith(pad);
  if (s.t.length < 8190) throw new Error(`sizing failed: ${s.t.length}`);
  add({ name: `token of ${s.t.length} bytes`, token: s.t, keyset: 'hs_secret', algs: ['HS256'], expect: 'ok', claims: s.pl });
  const big = await sign(hs, basePayload({ pad: 'x'.repeat(6200) }));
  add({ name: `token of ${big.length} bytes`, token: big, keyset: 'hs_secret', algs: ['HS256'], expect: 'too_large' });
  add({ name: 'token of 1 MB', token: 'a'.repeat(1 << 20), keyset: 'hs_secret', algs: ['HS256'], expect: 'too_large' });

  // ---- JWKS: rotation, kid selection, restrictions ----
  const k1 = await makeKey('RS256', 'k1');
  const k2 = await makeKey('ES256', 'k2');
  const k3 = await makeKey('RS256', 'k3');
  const jwks = (...keys) => ({ jwks: JSON.stringify({ keys: keys.map((k) => k.jwk) }) });
  keysets.rot1 = [jwks(k1, k2)];
  keysets.rot2 = [jwks(k2, k3)];
  const t1 = await sign(k1, basePayload());
  const t2 = await sign(k2, basePayload());
  const t3 = await sign(k3, basePayload());
  const rotAlgs = ['RS256', 'ES256'];
  add({ name: 'rotation: k1 in set 1', token: t1, keyset: 'rot1', algs: rotAlgs, expect: 'ok', claims: basePayload() });
  add({ name: 'rotation: k2 in set 1', token: t2, keyset: 'rot1', algs: rotAlgs, expect: 'ok', claims: basePayload() });
  add({ name: 'rotation: k3 unknown to set 1', token: t3, keyset: 'rot1', algs: rotAlgs, expect: 'unknown_kid' });
  add({ name: 'rotation: k3 in set 2', token: t3, keyset: 'rot2', algs: rotAlgs, expect: 'ok', claims: basePayload() });
  add({ name: 'rotation: k1 gone from set 2', token: t1, keyset: 'rot2', algs: rotAlgs, expect: 'unknown_kid' });
  add({ name: 'rotation: k1 signature under k3 kid', token: await sign(k1, basePayload(), { kid: 'k3' }), keyset: 'rot2', algs: rotAlgs, expect: 'bad_signature' });
  add({ name: 'JWKS: no kid tries each key of the type', token: await sign(k2, basePayload(), { kid: null }), keyset: 'rot1', algs: rotAlgs, expect: 'ok', claims: basePayload() });
  add({ name: 'JWKS: kid of a key of another type', token: await sign(k1, basePayload(), { kid: 'k2' }), keyset: 'rot1', algs: rotAlgs, expect: 'key_mismatch' });
  const enc = await makeKey('RS256', 'enc-1');
  // A Node KeyObject is not bound to one alg (a jose CryptoKey is), so the
  // same key signs both RS256 and RS384.
  const pinnedPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pinned = { alg: 'RS256', kid: 'pinned', sign: pinnedPair.privateKey,
    jwk: { ...(await jose.exportJWK(pinnedPair.publicKey)), kid: 'pinned' } };
  const ops = await makeKey('RS256', 'ops');
  keysets.restricted = [{ jwks: JSON.stringify({ keys: [
    { ...enc.jwk, use: 'enc' }, { ...pinned.jwk, alg: 'RS384' }, { ...ops.jwk, key_ops: ['encrypt'] }, k2.jwk,
    { kty: 'EC', crv: 'P-521', kid: 'p521', x: 'AA', y: 'AA' }, { kty: 'OKP', crv: 'X25519', kid: 'x25519', x: b64u(crypto.randomBytes(32)) },
  ] }) }];
  add({ name: 'JWK use enc is not for signatures', token: await sign(enc, basePayload()), keyset: 'restricted', algs: ['RS256'], expect: 'key_mismatch' });
  add({ name: 'JWK alg RS384 refuses RS256', token: await sign(pinned, basePayload()), keyset: 'restricted', algs: ['RS256', 'RS384'], expect: 'key_mismatch' });
  add({ name: 'JWK alg RS384 allows RS384', token: await sign(pinned, basePayload(), { alg: 'RS384' }), keyset: 'restricted', algs: ['RS256', 'RS384'], expect: 'ok', claims: basePayload() });
  add({ name: 'JWK key_ops without verify', token: await sign(ops, basePayload()), keyset: 'restricted', algs: ['RS256'], expect: 'key_mismatch' });
  add({ name: 'JWK of an unsupported curve is known by kid', token: rawHS256(hs.sign, '{"alg":"ES256","kid":"x25519"}', '{}'), keyset: 'restricted', algs: ['ES256'], expect: 'key_mismatch' });

  // ---- PEM forms: PKCS#1, certificate, several blocks ----
  const pkcs1 = crypto.createPublicKey(rsa.pem).export({ type: 'pkcs1', format: 'pem' });
  keysets.rsa_pkcs1 = [{ pem: pkcs1 }];
  add({ name: 'RSA PUBLIC KEY (PKCS#1) PEM', token: rsWithSecret, keyset: 'rsa_pkcs1', algs: ['RS256'], expect: 'ok', claims: basePayload() });
  const certs = makeCertificates();
  for (const c of certs) {
    keysets[`cert_${c.alg}`] = [{ pem: c.cert }];
    const key = { alg: c.alg, sign: await jose.importPKCS8(c.key, c.alg) };
    add({ name: `${c.alg} key from a certificate`, token: await sign(key, basePayload()), keyset: `cert_${c.alg}`, algs: [c.alg], expect: 'ok', claims: basePayload() });
  }
  keysets.multi_pem = [{ pem: [k1.pem, k2.pem, k3.pem].join('\n') }];
  add({ name: 'several PEM blocks: the last one', token: await sign(k3, basePayload(), { kid: null }), keyset: 'multi_pem', algs: rotAlgs, expect: 'ok', claims: basePayload() });
  add({ name: 'several PEM blocks: the EC one', token: await sign(k2, basePayload(), { kid: null }), keyset: 'multi_pem', algs: rotAlgs, expect: 'ok', claims: basePayload() });

  // ---- key sets that must not load ----
  const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const p521 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const x25519 = crypto.generateKeyPairSync('x25519');
  const goodJwk = k1.jwk;
  Object.assign(badKeysets, {
    oct_in_jwks: [{ jwks: JSON.stringify({ keys: [goodJwk, { kty: 'oct', kid: 's', k: b64u(crypto.randomBytes(32)) }] }) }],
    private_pem: [{ pem: small.privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
    rsa_1024: [{ pem: small.publicKey.export({ type: 'spki', format: 'pem' }) }],
    p521_pem: [{ pem: p521.publicKey.export({ type: 'spki', format: 'pem' }) }],
    x25519_pem: [{ pem: x25519.publicKey.export({ type: 'spki', format: 'pem' }) }],
    not_pem: [{ pem: 'hello' }],
    damaged_pem: [{ pem: rsa.pem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!') }],
    jwks_not_json: [{ jwks: '{"keys":[' }],
    jwks_no_keys: [{ jwks: '{"key":[]}' }],
    jwks_empty: [{ jwks: '{"keys":[]}' }],
    jwks_only_unsupported: [{ jwks: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'X25519', kid: 'x', x: b64u(crypto.randomBytes(32)) }] }) }],
    jwks_ec_short_x: [{ jwks: JSON.stringify({ keys: [{ ...k2.jwk, x: k2.jwk.x.slice(0, -2) }] }) }],
    jwks_ec_off_curve: [{ jwks: JSON.stringify({ keys: [{ ...k2.jwk, y: b64u(Buffer.alloc(32, 1)) }] }) }],
    jwks_rsa_padded_n: [{ jwks: JSON.stringify({ keys: [{ ...k1.jwk, n: k1.jwk.n + '=' }] }) }],
    jwks_kid_number: [{ jwks: JSON.stringify({ keys: [{ ...k1.jwk, kid: 1 }] }) }],
    jwks_duplicate_member: [{ jwks: `{"keys":[{"kty":"RSA","kty":"oct","n":"${k1.jwk.n}","e":"AQAB"}]}` }],
    jwks_too_many: [{ jwks: JSON.stringify({ keys: Array.from({ length: 65 }, (_, i) => ({ ...k1.jwk, kid: `k${i}` })) }) }],
  });
  return { keysets, badKeysets, cases, now: NOW };
}

// Self-signed certificates from the openssl CLI (RSA and P-384), with
// their private keys in PKCS#8 for jose.
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-jwt-cert-'));
  try {
    const out = [];
    for (const [alg, newkey] of [['RS256', ['-newkey', 'rsa:2048']], ['ES384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']]]) {
      const key = path.join(dir, `${alg}.key`);
      const crt = path.join(dir, `${alg}.crt`);
      execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', crt,
        '-subj', '/CN=signgw test issuer', '-days', '1'], { stdio: 'ignore' });
      out.push({ alg, key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(crt, 'utf8') });
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { makeCases, decodePart, ALGS, FAMILY };
