'use strict';
// Credential rotation: COS_SECRET_ID_FILE, COS_SECRET_KEY_FILE and
// COS_SECURITY_TOKEN_FILE are read again on SIGHUP. A rotated pair goes
// live for new requests (checked by COS stand-ins, i.e. the official SDK,
// one per pair: the new pair's accepts, the old pair's refuses); a request
// already running finishes with the pair of its generation; a bad new file
// keeps the running pair and the log says why, never showing a key.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');
const { createCosStandin } = require('./lib/cos_standin.js');
const { sleep, SLOW, count, FAILED, lastFailure, until, status } = require('./lib/scratch.js');

const PAIRS = {
  a: { id: 'AKIDsgwRotationPairA01', key: 'sgwRotationKeyA-never-logged-0123456789', token: 'sgwRotationTokenA01' },
  b: { id: 'AKIDsgwRotationPairB02', key: 'sgwRotationKeyB-never-logged-9876543210', token: 'sgwRotationTokenB02' },
  c: { id: 'AKIDsgwRotationPairC03', key: 'sgwRotationKeyC-never-logged-5555555555', token: 'sgwRotationTokenC03' },
};
const BAD_KEY = 'sgwRotationBadKey never-logged'; // a space: not a usable key

// Writes a file the way a secret mount updates it: a new file renamed over.
function replace(file, text) {
  fs.writeFileSync(`${file}.new`, text);
  fs.renameSync(`${file}.new`, file);
}

async function standin(t, pair) {
  const cos = createCosStandin({
    secretId: pair.id, secretKey: pair.key, securityToken: pair.token,
    region: h.CREDS.COS_REGION, bucket: h.CREDS.COS_BUCKET,
  });
  await cos.listen();
  t.after(() => cos.close());
  return cos;
}

// PUTs with a signing answer to a stand-in: its status and COS error code.
async function put(cos, answer) {
  const r = await h.request(`http://127.0.0.1:${cos.port}`, '/' + answer.cosKey, {
    method: 'PUT',
    headers: { Host: answer.cosHost, Authorization: answer.authorization, 'x-cos-security-token': answer.securityToken },
    body: 'rotated',
  });
  const code = /<Code>([^<]+)<\/Code>/.exec(r.text);
  return { status: r.status, code: code && code[1] };
}

// `n` fresh connections (spread over the workers) get signatures that the
// stand-in `good` accepts and `old` refuses.
async function signsWith(gw, good, old, n = 12) {
  for (let i = 0; i < n; i++) {
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await put(good, r.json), { status: 200, code: null }, `signature ${i} with the live pair`);
    assert.equal((await put(old, r.json)).status, 403, `signature ${i} must not verify with the other pair`);
  }
}

test('SIGHUP: a rotated key pair and token go live; running requests keep theirs; bad files keep the live pair', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-rotation-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = { id: path.join(dir, 'secret-id'), key: path.join(dir, 'secret-key'), token: path.join(dir, 'token') };
  const write = (pair) => { for (const f of ['id', 'key', 'token']) replace(files[f], pair[f] + '\n'); };
  write(PAIRS.a);
  const [cosA, cosB, cosC] = [await standin(t, PAIRS.a), await standin(t, PAIRS.b), await standin(t, PAIRS.c)];
  const gw = await h.start({
    workers: 2,
    env: {
      COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined,
      COS_SECRET_ID_FILE: files.id, COS_SECRET_KEY_FILE: files.key, COS_SECURITY_TOKEN_FILE: files.token,
    },
  });
  t.after(() => gw.stop());
  await signsWith(gw, cosA, cosB);

  // A request that signs after a wait, started on generation 1 (pair A).
  const inflight = h.request(gw.base, `/slow-sign?ms=${1500 * SLOW}&k=inflight`);
  await sleep(200);

  write(PAIRS.b);
  gw.child.kill('SIGHUP');
  await until(async () => (await status(gw)).generation === 2, 2000 * SLOW, 'generation 2 after SIGHUP');
  assert.match(gw.log(), new RegExp(`new credentials.*SecretId ${PAIRS.b.id}`));
  await signsWith(gw, cosB, cosA);

  const old = await inflight;
  assert.equal(old.status, 200, old.text);
  assert.equal(old.json.securityToken, PAIRS.a.token, 'the in-flight request kept its generation\'s token');
  assert.deepEqual(await put(cosA, old.json), { status: 200, code: null }, 'and its generation\'s key');

  // Bad new files: refused, the log says which file and why; pair B stays.
  const bad = [
    ['an empty key file', () => replace(files.key, ''), /COS_SECRET_KEY_FILE .*no usable value/],
    ['a key with a space', () => replace(files.key, BAD_KEY + '\n'), /COS_SECRET_KEY_FILE .*no usable value/],
    ['a missing key file', () => fs.rmSync(files.key), /COS_SECRET_KEY_FILE: cannot open .*No such file/],
    ['a key file that is a folder', () => fs.mkdirSync(files.key), /COS_SECRET_KEY_FILE: .*not a regular file/],
    ['a missing id file', () => { fs.rmSync(files.key, { recursive: true }); replace(files.key, PAIRS.c.key); fs.rmSync(files.id); },
      /COS_SECRET_ID_FILE: cannot open/],
  ];
  for (const [i, [what, breakIt, re]] of bad.entries()) {
    breakIt();
    gw.child.kill('SIGHUP');
    await until(async () => (await status(gw)).failed_reloads === i + 1, 2000 * SLOW, `a failed reload for ${what}`);
    assert.match(lastFailure(gw), /reload failed \(generation 2 stays\)/, what);
    assert.match(lastFailure(gw), re, what);
    await signsWith(gw, cosB, cosC, 4);
  }
  assert.equal(count(gw, FAILED), bad.length);

  // Repaired with pair C: live.
  write(PAIRS.c);
  gw.child.kill('SIGHUP');
  await until(async () => (await status(gw)).generation === 3, 2000 * SLOW, 'generation 3');
  await signsWith(gw, cosC, cosB);

  await gw.stop();
  for (const secret of [PAIRS.a.key, PAIRS.b.key, PAIRS.c.key, BAD_KEY]) {
    assert.ok(!gw.log().includes(secret), 'a key in the log');
  }
});

test('SIGHUP with unchanged credentials: no new credentials are announced', async (t) => {
  const gw = await h.start({ workers: 1 });
  t.after(() => gw.stop());
  gw.child.kill('SIGHUP');
  await until(async () => (await status(gw)).generation === 2, 2000 * SLOW, 'generation 2');
  assert.doesNotMatch(gw.log(), /new credentials/);
});
