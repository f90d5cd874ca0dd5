'use strict';
// COS_CREDENTIALS=sts against an HTTPS STS double (throw-away CA made with
// the openssl CLI; it checks every request's TC3 signature with the
// official SDK and remembers each policy) and the COS stand-in, which
// accepts a temporary credential only with its token, before it expires
// and inside its CAM policy:
//   - both seed snippets upload in key scope and in prefix scope; no
//     answer carries the permanent SecretId;
//   - key scope: one credential per signature, its policy exactly that
//     object and action, refused on another key;
//   - prefix scope: one STS call serves many requests, also when they
//     arrive together (they wait on the one call);
//   - a signature never outlives its credential;
//   - STS faults (error, 500, closed connection, bad JSON, hang) give 502
//     or 504 and no signature, while other requests are answered;
//   - not blocking: 200 concurrent /put-sign on one worker with STS
//     taking 200 ms each all succeed in under 2 s;
//   - GET /sts feeds cos-nodejs-sdk-v5's getAuthorization: putObject under
//     the prefix succeeds, outside it is refused;
//   - upload.sign_size (static mode): the PUT signature covers
//     Content-Length, so max_size binds PUT;
//   - `signgw -t` refuses an unknown COS_STS_SCOPE.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const COS = require('cos-nodejs-sdk-v5');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');
const { createWx, runSeed } = require('./lib/wx_shim.js');
const { createCosStandin } = require('./lib/cos_standin.js');
const { createStsDouble } = require('./lib/sts_double.js');

const CONFIG = path.join(h.CONFIGS, 'sts.lua');
const BUCKET = h.CREDS.COS_BUCKET;
const REGION = h.CREDS.COS_REGION;
const PUT_SEED = path.join(h.ROOT, 'examples', 'miniprogram', 'put.js');
const POST_SEED = path.join(h.ROOT, 'examples', 'miniprogram', 'post.js');
const RESOURCE = (key) => `qcs::cos:${REGION}:uid/1250000000:${BUCKET}/${key}`;

let sts, cos;
test.before(async () => {
  sts = await createStsDouble();
  cos = createCosStandin({ secretId: h.CREDS.COS_SECRET_ID, secretKey: h.SECRET_KEY, region: REGION, buckets: [BUCKET], sts });
  await cos.listen();
});
test.after(async () => {
  fs.mkdirSync(h.LOG_DIR, { recursive: true });
  fs.appendFileSync(path.join(h.LOG_DIR, 'sts-doubles.log'),
    [...sts.requests.map((r) => 'sts ' + JSON.stringify(r)), ...cos.log.map((r) => 'cos ' + JSON.stringify(r))].join('\n') + '\n');
  await sts.close();
  await cos.close();
});

function startSts(extra = {}) {
  return h.start({ config: CONFIG, workers: 1, env: { COS_CREDENTIALS: 'sts', ...sts.env(), ...extra } });
}

function noPermanentId(text) {
  assert.ok(!String(text).includes(h.CREDS.COS_SECRET_ID), 'the permanent SecretId is in an answer: ' + text);
}

async function seedUpload(gw, seed) {
  const media = { name: 'photo.jpg', data: crypto.randomBytes(2048) };
  const shim = createWx({ gateway: gw.base, cos, media });
  const modal = await runSeed(seed, shim);
  const auth = JSON.parse(shim.requests[0].response.toString('utf8'));
  noPermanentId(shim.requests[0].response);
  const why = JSON.stringify({ modal, auth, cos: cos.log.slice(-3) }, null, 1);
  assert.equal(modal.title, 'Upload successful', why);
  assert.ok(cos.get(auth.cosKey).data.equals(media.data), why);
  assert.ok(auth.securityToken, 'a temporary credential comes with its token');
  return auth;
}

const akOf = (auth) => (auth.qAk || /q-ak=([^&]+)/.exec(auth.authorization)[1]);

test('key scope: both seed snippets upload with a credential for exactly that object', async () => {
  const gw = await startSts({ COS_STS_SCOPE: 'key' });
  try {
    for (const [seed, action] of [[PUT_SEED, 'name/cos:PutObject'], [POST_SEED, 'name/cos:PostObject']]) {
      const before = sts.calls;
      const auth = await seedUpload(gw, seed);
      assert.equal(sts.calls, before + 1, 'one STS call per signature');
      const rec = sts.lookup(akOf(auth));
      assert.ok(rec, 'signed with a credential the STS double issued');
      const st = rec.policy.statement;
      assert.equal(st.length, 1);
      assert.deepEqual(st[0].action, [action]);
      assert.deepEqual(st[0].resource, [RESOURCE(auth.cosKey)]);
      assert.equal(st[0].condition.numeric_less_than_equal['cos:content-length'], 100 * 1024 * 1024);
      assert.equal(auth.securityToken, rec.token);
    }
    // The credential of one signature is good for nothing else.
    const r = await h.request(gw.base, '/put-sign?ext=jpg');
    const rec = sts.lookup(akOf(r.json));
    const client = new COS({ Protocol: 'http:', Ip: `127.0.0.1:${cos.port}`, SecretId: rec.tmpSecretId, SecretKey: rec.secretKey, SecurityToken: rec.token });
    const put = (Key) => new Promise((resolve) => client.putObject({ Bucket: BUCKET, Region: REGION, Key, Body: Buffer.from('x') }, (err, data) => resolve({ err, data })));
    assert.equal((await put(r.json.cosKey)).err, null, 'its own key is allowed');
    const other = await put(r.json.cosKey.replace(/\.jpg$/, '-other.jpg'));
    assert.equal(other.err && other.err.statusCode, 403);
  } finally {
    await gw.stop();
  }
});

test('prefix scope: one STS call for many signatures, also for requests that arrive together', async () => {
  const gw = await startSts({ COS_STS_SCOPE: 'prefix' });
  try {
    sts.setDelay(200);
    const before = sts.calls;
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => h.request(gw.base, i % 2 ? '/put-sign?ext=jpg' : '/post-policy?ext=png')));
    sts.setDelay(0);
    for (const r of rs) { assert.equal(r.status, 200, r.text); noPermanentId(r.text); }
    assert.equal(sts.calls, before + 1, 'the waiting requests shared one STS call');
    const rec = sts.lookup(akOf(rs[0].json));
    assert.deepEqual(rec.policy.statement[0].resource, [RESOURCE('uploads/*')]);
    assert.equal(new Set(rs.map((r) => akOf(r.json))).size, 1);
    await seedUpload(gw, PUT_SEED);
    await seedUpload(gw, POST_SEED);
    assert.equal(sts.calls, before + 1, 'reused, not refetched');
  } finally {
    await gw.stop();
  }
});

test('a signature never outlives its credential', async () => {
  // Signatures asked for an hour, credentials issued for 15 minutes.
  const gw = await startSts({ COS_STS_SCOPE: 'key', COS_STS_DURATION: '900', SGW_TEST_UPLOAD: 'expires=3600' });
  try {
    const put = await h.request(gw.base, '/put-sign?ext=jpg');
    const kt = /q-key-time=(\d+);(\d+)/.exec(put.json.authorization);
    const rec = sts.lookup(akOf(put.json));
    assert.ok(Number(kt[2]) <= rec.expiredTime, `key time ends ${kt[2]}, credential ${rec.expiredTime}`);
    const post = await h.request(gw.base, '/post-policy?ext=jpg');
    const policy = JSON.parse(Buffer.from(post.json.policy, 'base64').toString());
    assert.ok(Date.parse(policy.expiration) / 1000 <= sts.lookup(post.json.qAk).expiredTime);
  } finally {
    await gw.stop();
  }
});

test('STS faults: 502 or 504 and no signature; other requests are answered meanwhile', async () => {
  const gw = await startSts({ COS_STS_SCOPE: 'key', COS_STS_TIMEOUT_MS: '800' });
  try {
    for (const fault of ['error', 'http500', 'close', 'reset', 'badjson', 'badshape']) {
      // libcurl retries once when a kept-alive connection turns out dead
      // before any answer: a closing or resetting STS must do it twice.
      sts.setFault(fault, { times: fault === 'close' || fault === 'reset' ? 2 : 1 });
      const r = await h.request(gw.base, '/put-sign?ext=jpg');
      assert.equal(r.status, 502, `${fault}: ${r.text}`);
      assert.equal(r.json.error, 'credentials_unavailable');
      assert.equal(r.json.authorization, undefined);
      noPermanentId(r.text);
    }
    sts.setFault('hang', { times: 1 });
    const hanging = h.request(gw.base, '/post-policy?ext=jpg');
    await sleep(100);
    const t0 = Date.now();
    const other = await h.request(gw.base, '/put-sign?ext=png');
    assert.equal(other.status, 200, other.text);
    assert.ok(Date.now() - t0 < 700, 'answered while the other STS call hangs');
    const r = await hanging;
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.error, 'credentials_unavailable');
    assert.match(gw.log(), /temporary credentials unavailable: STS not reachable/);
  } finally {
    sts.setFault(null);
    await gw.stop();
  }
});

test('not blocking: 200 concurrent /put-sign with STS taking 200 ms each finish in under 2 s', async () => {
  const gw = await startSts({ COS_STS_SCOPE: 'key' });
  try {
    sts.setDelay(200);
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 200 }, () => h.request(gw.base, '/put-sign?ext=jpg')));
    const took = Date.now() - t0;
    sts.setDelay(0);
    for (const r of rs) assert.equal(r.status, 200, r.text);
    console.log(`200 concurrent signatures, one STS call each at 200 ms: ${took} ms (STS saw at most ${sts.maxInFlight} at once)`);
    assert.ok(took < (process.env.SGW_SANITIZE === '1' ? 4000 : 2000), `took ${took} ms`);
  } finally {
    sts.setDelay(0);
    await gw.stop();
  }
});

test('GET /sts feeds the official SDK: putObject under the prefix only', async () => {
  const gw = await startSts({ COS_STS_SCOPE: 'key' });
  try {
    const client = new COS({
      Protocol: 'http:', Ip: `127.0.0.1:${cos.port}`,
      getAuthorization(options, callback) {
        h.request(gw.base, '/sts').then((r) => {
          noPermanentId(r.text);
          const d = r.json;
          callback({ TmpSecretId: d.credentials.tmpSecretId, TmpSecretKey: d.credentials.tmpSecretKey,
            SecurityToken: d.credentials.sessionToken, StartTime: d.startTime, ExpiredTime: d.expiredTime });
        });
      },
    });
    const put = (Key) => new Promise((resolve) => client.putObject({ Bucket: BUCKET, Region: REGION, Key, Body: Buffer.from('sdk') }, (err, data) => resolve({ err, data })));
    const ok = await put('uploads/sdk/file.txt');
    assert.equal(ok.err, null, JSON.stringify(ok.err));
    assert.equal(cos.get('uploads/sdk/file.txt').data.toString(), 'sdk');
    const out = await put('elsewhere/file.txt');
    assert.equal(out.err && out.err.statusCode, 403);
    assert.equal(cos.get('elsewhere/file.txt'), undefined);
    const shape = await h.request(gw.base, '/sts');
    assert.deepEqual(Object.keys(shape.json).sort(), ['credentials', 'expiration', 'expiredTime', 'requestId', 'startTime']);
  } finally {
    await gw.stop();
  }
});

test('upload.sign_size: the PUT signature covers Content-Length (static mode)', async () => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_TEST_UPLOAD: 'sign_size=true,max_size=1000' } });
  try {
    assert.equal((await h.request(gw.base, '/put-sign?ext=jpg')).status, 400);
    assert.equal((await h.request(gw.base, '/put-sign?ext=jpg&size=1001')).status, 400);
    const r = await h.request(gw.base, '/put-sign?ext=jpg&size=10');
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.authorization, /q-header-list=content-length;host/);
    const put = (body) => h.request(`http://127.0.0.1:${cos.port}`, '/' + r.json.cosKey, {
      method: 'PUT', headers: { Host: r.json.cosHost, Authorization: r.json.authorization }, body });
    assert.equal((await put(Buffer.alloc(11))).status, 403, 'another size breaks the signature');
    assert.equal((await put(Buffer.alloc(10))).status, 200);
  } finally {
    await gw.stop();
  }
});

test('signgw -t refuses an unknown COS_STS_SCOPE or COS_CREDENTIALS', () => {
  const scope = h.runCli(['-t', '-c', CONFIG], { env: { COS_CREDENTIALS: 'sts', COS_STS_SCOPE: 'bucket' } });
  assert.equal(scope.status, 1, scope.output);
  assert.match(scope.output, /credentials\.scope \(COS_STS_SCOPE\) must be "key" or "prefix", not "bucket"/);
  const mode = h.runCli(['-t', '-c', CONFIG], { env: { COS_CREDENTIALS: 'temporary' } });
  assert.equal(mode.status, 1, mode.output);
  assert.match(mode.output, /COS_CREDENTIALS/);
});
