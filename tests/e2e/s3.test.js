'use strict';
// S3 mode end to end: the real signgw (SGW_STORAGE=s3) signs for an S3
// stand-in on loopback (lib/s3_standin.js, path style as MinIO serves),
// which checks every signature with the AWS SDK's own SignatureV4 and
// enforces POST policy conditions, with temporary credentials (a session
// token the store requires).
//   - a presigned PUT (fetch), a browser-style POST form upload (FormData,
//     the fields as the gateway gave them, then the file) and `curl -T`
//     upload, each read back through a presigned GET: the bytes match;
//   - refused: a tampered signature, the URL used for another key, an
//     expired URL, a URL without its session token, a POST over max_size,
//     a POST whose key field was changed, a GET outside the caller's own
//     folder (403 from the gateway);
//   - the opt-in signed Content-Type and Content-Length;
//   - gw.s3.authorization through gw.http (a header-signed PUT and GET);
//   - the AWS secret is in no answer and no log line.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const h = require('./lib/harness.js');
const { createS3Standin } = require('./lib/s3_standin.js');

const AWS = {
  AWS_ACCESS_KEY_ID: 'AKIASGWE2ETEST000001',
  AWS_SECRET_ACCESS_KEY: 'sgwS3E2eSecretNeverLeaves/abcdefghij0123',
  AWS_SESSION_TOKEN: 'FwoGZXIvYXdzE2eSessionToken/+=0123456789',
};
const BUCKET = 'uploads';
const REGION = 'us-east-1';
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-9876543210' };

let clockOffset = 0;
const store = createS3Standin({
  accessKeyId: AWS.AWS_ACCESS_KEY_ID, secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY,
  sessionToken: AWS.AWS_SESSION_TOKEN, region: REGION, buckets: [BUCKET, 'other-bucket'],
  now: () => Date.now() + clockOffset,
});
const servers = {};

function noSecret(text, where) {
  assert.ok(!String(text).includes(AWS.AWS_SECRET_ACCESS_KEY), `the AWS secret is in ${where}`);
}

async function gateway(name, reqPath, headers) {
  const r = await h.request(servers[name].base, reqPath, { headers });
  noSecret(r.text, reqPath);
  return r;
}

async function send(url, init = {}) {
  const r = await fetch(url, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, body, text: body.toString('utf8'), headers: r.headers };
}

const code = (r) => (/<Code>([^<]*)<\/Code>/.exec(r.text) || [])[1];
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

async function getBack(name, key, headers) {
  const g = await gateway(name, `/get-sign?key=${encodeURIComponent(key)}`, headers);
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(Object.keys(g.json), ['url']);
  return send(g.json.url);
}

test.before(async () => {
  await store.listen();
  const env = {
    ...AWS, SGW_STORAGE: 's3', S3_BUCKET: BUCKET, S3_REGION: REGION,
    S3_ENDPOINT: store.endpoint, S3_FORCE_PATH_STYLE: '1',
    SGW_TEST_ALICE: TOKENS.alice, SGW_TEST_BOB: TOKENS.bob,
  };
  const cfg = (f) => path.join(__dirname, 'configs', f);
  servers.plain = await h.start({ config: cfg('s3.lua'), env });
  servers.signed = await h.start({ config: cfg('s3_signed.lua'), env });
  servers.users = await h.start({ config: cfg('s3_users.lua'), env });
});

test.after(async () => {
  for (const s of Object.values(servers)) await s.stop();
  await store.close();
  // The log of this test's servers: no AWS secret, anywhere.
  const log = fs.readFileSync(path.join(h.LOG_DIR, 's3.log'), 'utf8');
  assert.ok(log.includes('listening on'));
  noSecret(log, 'the server log');
});

test('presigned PUT, then presigned GET: the bytes come back', async () => {
  const r = await gateway('plain', '/put-sign?ext=JPG');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['headers', 'key', 'method', 'url']);
  assert.equal(r.json.method, 'PUT');
  assert.deepEqual(r.json.headers, {});
  assert.match(r.json.key, /^uploads\/\d{8}\/\d+_[0-9a-f]{32}\.jpg$/);
  const u = new URL(r.json.url);
  assert.equal(u.origin + u.pathname, `${store.endpoint}/${BUCKET}/${r.json.key}`);
  assert.equal(u.searchParams.get('X-Amz-Security-Token'), AWS.AWS_SESSION_TOKEN);
  assert.equal(u.searchParams.get('x-id'), 'PutObject');
  const data = bytes(5000, 1);
  const put = await send(r.json.url, { method: 'PUT', body: data });
  assert.equal(put.status, 200, put.text);
  assert.equal(store.log.at(-1).auth, 'query');
  const got = await getBack('plain', r.json.key);
  assert.equal(got.status, 200, got.text);
  assert.ok(got.body.equals(data), 'the same bytes');
});

test('POST form upload with the fields as given, then GET', async () => {
  const r = await gateway('plain', '/post-policy?ext=png');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['fields', 'key', 'url']);
  assert.equal(r.json.url, `${store.endpoint}/${BUCKET}`);
  assert.deepEqual(Object.keys(r.json.fields).sort(), ['Policy', 'X-Amz-Algorithm', 'X-Amz-Credential',
    'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Signature', 'bucket', 'key'].sort());
  assert.equal(r.json.fields.key, r.json.key);
  const policy = JSON.parse(Buffer.from(r.json.fields.Policy, 'base64').toString('utf8'));
  assert.deepEqual(policy.conditions[0], ['content-length-range', 1, 65536]);
  const data = bytes(3000, 2);
  const form = new FormData();
  for (const [k, v] of Object.entries(r.json.fields)) form.append(k, v);
  form.append('file', new Blob([data]), 'a.png');
  const post = await send(r.json.url, { method: 'POST', body: form });
  assert.equal(post.status, 204, post.text);
  const got = await getBack('plain', r.json.key);
  assert.ok(got.body.equals(data), 'the same bytes');
});

test('curl -T file "$url" uploads with the presigned URL', async () => {
  const r = await gateway('plain', '/put-sign?ext=mp4');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-s3-'));
  const file = path.join(dir, 'clip.mp4');
  const data = bytes(70000, 3);
  fs.writeFileSync(file, data);
  const out = await new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-T', file, r.json.url],
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
  });
  fs.rmSync(dir, { recursive: true });
  assert.equal(out, '200');
  const got = await getBack('plain', r.json.key);
  assert.ok(got.body.equals(data), 'the same bytes');
});

test('refused: tampered signature, another key, no session token', async () => {
  const r = await gateway('plain', '/put-sign?ext=gif');
  const u = new URL(r.json.url);
  const sig = u.searchParams.get('X-Amz-Signature');
  const flip = new URL(u);
  flip.searchParams.set('X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
  let p = await send(flip.href, { method: 'PUT', body: 'x' });
  assert.equal(p.status, 403);
  assert.equal(code(p), 'SignatureDoesNotMatch');

  const other = new URL(u);
  other.pathname = `/${BUCKET}/uploads/someone-else.gif`;
  p = await send(other.href, { method: 'PUT', body: 'x' });
  assert.equal(p.status, 403);
  assert.equal(code(p), 'SignatureDoesNotMatch');

  const bucket = new URL(u);
  bucket.pathname = `/other-bucket/${r.json.key}`;
  p = await send(bucket.href, { method: 'PUT', body: 'x' });
  assert.equal(p.status, 403);
  assert.equal(code(p), 'SignatureDoesNotMatch');

  const noToken = new URL(u);
  noToken.searchParams.delete('X-Amz-Security-Token');
  p = await send(noToken.href, { method: 'PUT', body: 'x' });
  assert.equal(p.status, 403);
  assert.equal(code(p), 'InvalidToken');

  const get = await send(r.json.url, { method: 'GET' }); // signed for PUT
  assert.equal(get.status, 403);
  assert.equal(code(get), 'SignatureDoesNotMatch');

  p = await send(r.json.url, { method: 'PUT', body: 'fine' });
  assert.equal(p.status, 200, 'the untouched URL still works');
});

test('refused: an expired URL', async () => {
  const r = await gateway('plain', '/put-sign?ext=jpg');
  const expires = Number(new URL(r.json.url).searchParams.get('X-Amz-Expires'));
  assert.equal(expires, 900);
  clockOffset = (expires + 5) * 1000;
  try {
    const p = await send(r.json.url, { method: 'PUT', body: 'late' });
    assert.equal(p.status, 403);
    assert.equal(code(p), 'AccessDenied');
    assert.match(p.text, /expired/);
  } finally {
    clockOffset = 0;
  }
  const p = await send(r.json.url, { method: 'PUT', body: 'in time' });
  assert.equal(p.status, 200, p.text);
});

test('refused: a POST over max_size, and a POST for another key', async () => {
  const r = await gateway('plain', '/post-policy?ext=jpg');
  const post = (data, change = {}) => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ ...r.json.fields, ...change })) form.append(k, v);
    form.append('file', new Blob([data]), 'a.jpg');
    return send(r.json.url, { method: 'POST', body: form });
  };
  let p = await post(bytes(65537, 4));
  assert.equal(p.status, 400);
  assert.equal(code(p), 'EntityTooLarge');
  p = await post(Buffer.alloc(0));
  assert.equal(p.status, 400);
  assert.equal(code(p), 'EntityTooSmall');
  p = await post(bytes(10, 5), { key: 'uploads/chosen-by-the-client.jpg' });
  assert.equal(p.status, 403);
  assert.equal(code(p), 'AccessDenied');
  p = await post(bytes(10, 5), { 'Content-Type': 'text/html' }); // a field the policy does not cover
  assert.equal(p.status, 403);
  assert.equal(code(p), 'AccessDenied');
  p = await post(bytes(65536, 6));
  assert.equal(p.status, 204, `exactly max_size is allowed: ${p.text}`);
});

test('the opt-in signed Content-Type and Content-Length', async () => {
  const data = bytes(4096, 7);
  let r = await gateway('signed', '/put-sign?ext=png');
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'bad_size');
  for (const size of ['0', '65537', '-1', '1e3', 'x', '99999999999999999999']) {
    r = await gateway('signed', `/put-sign?ext=png&size=${size}`);
    assert.equal(r.status, 400, size);
  }
  r = await gateway('signed', `/put-sign?ext=png&size=${data.length}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.headers, { 'Content-Type': 'image/png', 'Content-Length': String(data.length) });
  assert.match(new URL(r.json.url).searchParams.get('X-Amz-SignedHeaders'), /^content-length;content-type;host$/);
  let p = await send(r.json.url, { method: 'PUT', body: data, headers: { 'Content-Type': 'text/html' } });
  assert.equal(p.status, 403, 'another type');
  p = await send(r.json.url, { method: 'PUT', body: data.subarray(1), headers: { 'Content-Type': 'image/png' } });
  assert.equal(p.status, 403, 'another length');
  p = await send(r.json.url, { method: 'PUT', body: data, headers: r.json.headers });
  assert.equal(p.status, 200, p.text);
  assert.equal(store.objects.get(`${BUCKET}/${r.json.key}`).contentType, 'image/png');

  r = await gateway('signed', '/post-policy?ext=webp');
  assert.equal(r.json.fields['Content-Type'], 'image/webp');
  const form = new FormData();
  for (const [k, v] of Object.entries(r.json.fields)) form.append(k, v);
  form.append('file', new Blob([data]), 'a.webp');
  p = await send(r.json.url, { method: 'POST', body: form });
  assert.equal(p.status, 204, p.text);
  assert.equal(store.objects.get(`${BUCKET}/${r.json.key}`).contentType, 'image/webp');
});

test('get-sign: only keys in the caller\'s own folder', async () => {
  const alice = { Authorization: `Bearer ${TOKENS.alice}` };
  const bob = { Authorization: `Bearer ${TOKENS.bob}` };
  const r = await gateway('users', '/put-sign?ext=jpg', alice);
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.key, /^uploads\/alice\/\d{8}\//);
  const data = bytes(100, 8);
  assert.equal((await send(r.json.url, { method: 'PUT', body: data })).status, 200);
  const mine = await getBack('users', r.json.key, alice);
  assert.ok(mine.body.equals(data));

  let g = await gateway('users', `/get-sign?key=${encodeURIComponent(r.json.key)}`, bob);
  assert.equal(g.status, 403);
  assert.equal(g.json.error, 'forbidden');
  g = await gateway('users', `/get-sign?key=${encodeURIComponent(r.json.key)}`);
  assert.equal(g.status, 401, 'no token');
  for (const key of ['uploads/alice', 'uploads/alice/', 'uploads/alicex/a.jpg', 'uploads/bob/../alice/a.jpg',
    'other/alice/a.jpg', '/uploads/alice/a.jpg', 'uploads/alice//a.jpg']) {
    g = await gateway('users', `/get-sign?key=${encodeURIComponent(key)}`, alice);
    assert.ok(g.status === 403 || g.status === 400, `${key}: ${g.status}`);
    assert.ok(!g.json.url);
  }
  for (const key of ['', 'uploads/alice/a b.jpg', 'uploads/alice/%00', 'uploads/alice/é.jpg']) {
    g = await gateway('users', `/get-sign?key=${encodeURIComponent(key)}`, alice);
    assert.equal(g.status, 400, key);
    assert.equal(g.json.error, 'bad_key');
  }
  g = await gateway('plain', '/get-sign?key=elsewhere/a.jpg');
  assert.equal(g.status, 403, 'outside upload.prefix');
});

test('gw.s3.authorization through gw.http: header-signed PUT and GET', async () => {
  const key = 'uploads/by-the-gateway.txt';
  let r = await gateway('plain', `/s3/fetch?key=${encodeURIComponent(key)}&put=${encodeURIComponent('hello, S3')}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 200, r.text);
  assert.equal(store.log.at(-1).auth, 'header');
  assert.equal(store.objects.get(`${BUCKET}/${key}`).data.toString(), 'hello, S3');
  r = await gateway('plain', `/s3/fetch?key=${encodeURIComponent(key)}`);
  assert.deepEqual(r.json, { status: 200, body: 'hello, S3' });
  const signed = store.log.at(-1).headers.authorization;
  assert.match(signed, /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
});

test('start-up: S3 credentials and settings are checked, without showing a secret', async () => {
  const cfg = path.join(__dirname, 'configs', 's3.lua');
  const base = { SGW_STORAGE: 's3', S3_BUCKET: BUCKET, S3_ENDPOINT: store.endpoint, S3_FORCE_PATH_STYLE: '1' };
  let r = h.runCli(['-t', '-c', cfg], { env: { ...base, AWS_SECRET_ACCESS_KEY: AWS.AWS_SECRET_ACCESS_KEY } });
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  noSecret(r.output, 'the message');
  r = h.runCli(['-t', '-c', cfg], { env: { ...base, AWS_ACCESS_KEY_ID: 'AKIA/SLASH', AWS_SECRET_ACCESS_KEY: AWS.AWS_SECRET_ACCESS_KEY } });
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /AWS_ACCESS_KEY_ID/);
  noSecret(r.output, 'the message');
  r = h.runCli(['-t', '-c', cfg], { env: { ...base, ...AWS, S3_ENDPOINT: 'ftp://store.example' } });
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /s3\.lua|config\.lua/);
  assert.match(r.output, /s3\.endpoint/);
  r = h.runCli(['-t', '-c', cfg], { env: { ...base, ...AWS, S3_BUCKET: 'no/slash' } });
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /s3\.bucket/);
  r = h.runCli(['-t', '-c', cfg], { env: { ...base, ...AWS, SGW_STORAGE: 'gcs' } });
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /SGW_STORAGE/);

  // The secret from a file, as for COS.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-s3-'));
  const file = path.join(dir, 'secret');
  fs.writeFileSync(file, AWS.AWS_SECRET_ACCESS_KEY + '\n');
  r = h.runCli(['-t', '-c', cfg], { env: { ...base, AWS_ACCESS_KEY_ID: AWS.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY_FILE: file } });
  fs.rmSync(dir, { recursive: true });
  assert.equal(r.status, 0, r.output);

  // No AWS credentials in S3 mode: it starts with placeholders and says so.
  const s = await h.start({ config: cfg, env: { ...base, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined } });
  try {
    assert.match(s.log(), /no S3 credentials in the environment/);
    assert.doesNotMatch(s.log(), /no COS credentials/);
    const p = await h.request(s.base, '/put-sign?ext=jpg');
    assert.equal(p.status, 200);
    const put = await send(p.json.url, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 403, 'the store refuses placeholder credentials');
    assert.equal(code(put), 'InvalidAccessKeyId');
  } finally {
    await s.stop();
  }
});
