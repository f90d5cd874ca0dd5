'use strict';
// Faults at the dev bucket: a 2 GiB upload claim, bodies past the limits,
// uploads cut off halfway, 100 concurrent uploads, and hostile keys ("..",
// "%2F..", NUL, very long). Each gets a clear COS-style error (or succeeds,
// for the concurrent ones) and leaves a clean state: no object, no
// temporary file, nothing outside the data directory. Requests are signed
// with the official SDK (COS.getAuthorization), so a refusal is about the
// fault, not the signature.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const COS = require('cos-nodejs-sdk-v5');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');
const { startDev, errorCode } = require('./lib/devbucket.js');
const { multipart } = require('./lib/wx_shim.js');

const hmac = (key, msg) => crypto.createHmac('sha1', key).update(msg).digest('hex');
const sha1 = (msg) => crypto.createHash('sha1').update(msg).digest('hex');

// The Authorization the SDK makes for method + decoded path (+ host).
function sign(dev, method, pathname) {
  return COS.getAuthorization({
    SecretId: h.CREDS.COS_SECRET_ID, SecretKey: h.SECRET_KEY, Method: method,
    Pathname: pathname, Headers: { host: dev.bucketHost },
  });
}

// A signed POST form for `key` (any bytes), with the file `data`.
function form(key, data, max = 1 << 30) {
  const now = Math.floor(Date.now() / 1000);
  const keyTime = `${now - 60};${now + 600}`;
  const policy = JSON.stringify({
    expiration: new Date((now + 600) * 1000).toISOString(),
    conditions: [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': h.CREDS.COS_SECRET_ID }, { 'q-sign-time': keyTime },
      { bucket: h.CREDS.COS_BUCKET }, { key }, ['content-length-range', 0, max]],
  });
  return multipart({
    key, 'q-sign-algorithm': 'sha1', 'q-ak': h.CREDS.COS_SECRET_ID, 'q-key-time': keyTime,
    'q-signature': hmac(hmac(h.SECRET_KEY, keyTime), sha1(policy)), policy: Buffer.from(policy).toString('base64'),
  }, { name: 'file', filename: 'x.jpg', type: 'image/jpeg', data });
}

function rawHead(dev, method, target, headers) {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${dev.bucketHost}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

// The data directory holds exactly `objects` and no temporary file.
async function clean(dev, objects = []) {
  for (let i = 0; i < 50 && dev.temps().length > 0; i++) await sleep(20);
  assert.deepEqual(dev.temps(), [], 'no temporary file left');
  assert.deepEqual(dev.objects(), [...objects].sort(), 'exactly the objects stored');
}

test('a 2 GiB claim, and bodies past the limits, are refused with EntityTooLarge', async (t) => {
  const dev = await startDev(t, { env: { SGW_TEST_DEV_MAX_SIZE: String(1 << 20) } });
  const auth = sign(dev, 'put', '/big.mp4');
  // Content-Length says 2 GiB: refused from the head, before any byte.
  for (const [method, target, extra] of [['PUT', '/big.mp4', { Authorization: auth }],
    ['POST', '/', { 'Content-Type': 'multipart/form-data; boundary=x' }]]) {
    const c = await h.RawConn.open(dev.bucketPort);
    c.write(rawHead(dev, method, target, { ...extra, 'Content-Length': '2147483648' }));
    const r = await c.next();
    assert.equal(r.status, 400, r.text);
    assert.equal(errorCode(r.text), 'EntityTooLarge', method);
    await c.closed();
    c.close();
  }
  // Chunked, no length announced: refused once past the limit.
  const c = await h.RawConn.open(dev.bucketPort);
  c.write(rawHead(dev, 'PUT', '/big.mp4', { Authorization: auth, 'Transfer-Encoding': 'chunked' }));
  const chunk = crypto.randomBytes(256 * 1024);
  for (let i = 0; i < 6 && !c.ended; i++) {
    c.write(Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]));
    await sleep(10);
  }
  const r = await c.next();
  assert.equal(errorCode(r.text), 'EntityTooLarge', r.text);
  c.close();
  // A form's file past its policy's content-length-range, still arriving.
  const { boundary, body } = form('big-form.jpg', crypto.randomBytes(600 * 1024), 100 * 1024);
  const res = await fetch(dev.bucketBase + '/', {
    method: 'POST', body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  });
  assert.equal(errorCode(await res.text()), 'EntityTooLarge');
  // Within the limit all is well.
  const ok = await fetch(`${dev.bucketBase}/ok.mp4`, {
    method: 'PUT', body: crypto.randomBytes(1 << 20), headers: { Authorization: sign(dev, 'put', '/ok.mp4') },
  });
  assert.equal(ok.status, 200, await ok.text());
  await clean(dev, ['ok.mp4']);
});

test('an upload cut off halfway leaves no object and no temporary file', async (t) => {
  const dev = await startDev(t);
  const data = crypto.randomBytes(2 << 20);
  // PUT: half of the announced body, then the client goes away.
  let c = await h.RawConn.open(dev.bucketPort);
  c.write(rawHead(dev, 'PUT', '/cut.jpg', { Authorization: sign(dev, 'put', '/cut.jpg'), 'Content-Length': data.length }));
  c.write(data.subarray(0, data.length / 2));
  for (let i = 0; i < 100 && dev.temps().length === 0; i++) await sleep(10);
  assert.equal(dev.temps().length, 1, 'the upload was being received');
  c.close();
  await clean(dev);
  // POST: the form and half of its file.
  const { boundary, body } = form('cut-form.jpg', data);
  c = await h.RawConn.open(dev.bucketPort);
  c.write(rawHead(dev, 'POST', '/', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length }));
  c.write(body.subarray(0, body.length / 2));
  await sleep(100);
  c.close();
  await clean(dev);
  // A form whose body ends (complete as HTTP) before its closing boundary.
  c = await h.RawConn.open(dev.bucketPort);
  const half = body.subarray(0, body.length / 2);
  c.write(rawHead(dev, 'POST', '/', { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': half.length }));
  c.write(half);
  const r = await c.next();
  assert.deepEqual([r.status, errorCode(r.text)], [400, 'MalformedPOSTRequest'], r.text);
  c.close();
  await clean(dev);
  // The server is fine: the same upload, whole, works on a kept-alive
  // connection, and the next request on it is answered too.
  c = await h.RawConn.open(dev.bucketPort);
  c.write(Buffer.concat([rawHead(dev, 'PUT', '/cut.jpg', { Authorization: sign(dev, 'put', '/cut.jpg'), 'Content-Length': data.length }), data,
    rawHead(dev, 'HEAD', '/cut.jpg', { Authorization: sign(dev, 'head', '/cut.jpg') })]));
  assert.equal((await c.next()).status, 200);
  const head = await c.next(5000, { head: true });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers['content-length']), data.length);
  c.close();
  await clean(dev, ['cut.jpg']);
  assert.ok(dev.object('cut.jpg').equals(data));
});

test('100 concurrent uploads (PUT and POST, signed by the gateway) are all stored intact', async (t) => {
  const dev = await startDev(t, { creds: 'none', workers: 2 });
  const files = Array.from({ length: 100 }, (_, i) => crypto.randomBytes(16 * 1024 + i * 997));
  const results = await Promise.all(files.map(async (data, i) => {
    const put = i % 2 === 0;
    const auth = (await h.request(dev.gw.base, put ? '/put-sign?ext=jpg' : '/post-policy?ext=png')).json;
    let res;
    if (put) {
      res = await fetch(`http://${auth.cosHost}/${auth.cosKey}`, { method: 'PUT', body: data, headers: { Authorization: auth.authorization } });
    } else {
      const fd = new FormData();
      for (const [k, v] of Object.entries({ key: auth.cosKey, 'q-sign-algorithm': 'sha1', 'q-ak': auth.qAk,
        'q-key-time': auth.qKeyTime, 'q-signature': auth.qSignature, policy: auth.policy })) fd.append(k, v);
      fd.append('file', new Blob([data]), 'x.png');
      res = await fetch(`http://${auth.cosHost}/`, { method: 'POST', body: fd });
    }
    return { key: auth.cosKey, status: res.status, text: await res.text(), data };
  }));
  for (const r of results) {
    assert.ok(r.status === 200 || r.status === 204, r.text);
    assert.ok(dev.object(r.key).equals(r.data), `${r.key} intact`);
  }
  await clean(dev, results.map((r) => r.key));
});

test('hostile keys are refused with a clear error and touch nothing', async (t) => {
  const dev = await startDev(t);
  const marker = 'sgw-escape-' + crypto.randomBytes(4).toString('hex');
  // [what, raw request target, the decoded path that is signed, code]
  const cases = [
    ['..', '/..', '/..', 'InvalidObjectName'],
    ['a ".." segment', `/a/../../${marker}`, `/a/../../${marker}`, 'InvalidObjectName'],
    ['%2F..', `/%2F..%2F${marker}`, `//../${marker}`, 'InvalidObjectName'],
    ['..%2F', `/..%2F..%2F${marker}`, `/../../${marker}`, 'InvalidObjectName'],
    ['NUL', `/a%00${marker}`, `/a\0${marker}`, 'InvalidObjectName'],
    ['a control character', '/a%01b', '/a\x01b', 'InvalidObjectName'],
    ['an empty segment', '/a//b', '/a//b', 'InvalidObjectName'],
    ['"."', '/a/./b', '/a/./b', 'InvalidObjectName'],
    ['a trailing /', '/dir/', '/dir/', 'InvalidObjectName'],
    ['no key', '/', '/', 'InvalidObjectName'],
    ['900 bytes', '/' + 'k'.repeat(900), '/' + 'k'.repeat(900), 'KeyTooLongError'],
    ['a 300-byte segment', '/a/' + 's'.repeat(300), '/a/' + 's'.repeat(300), 'KeyTooLongError'],
  ];
  for (const [what, target, signed, code] of cases) {
    for (const method of ['PUT', 'GET']) {
      const c = await h.RawConn.open(dev.bucketPort);
      const headers = { Authorization: sign(dev, method.toLowerCase(), signed) };
      if (method === 'PUT') headers['Content-Length'] = 5;
      c.write(Buffer.concat([rawHead(dev, method, target, headers), Buffer.from(method === 'PUT' ? 'hello' : '')]));
      const r = await c.next();
      // GET / would list the bucket, which the dev bucket does not do.
      const want = method === 'GET' && target === '/' ? [501, 'NotImplemented'] : [400, code];
      assert.deepEqual([r.status, errorCode(r.text)], want, `${method} ${what}: ${r.text}`);
      c.close();
    }
    // The same through a POST form's key field.
    const key = signed.slice(1);
    const { boundary, body } = form(key, Buffer.from('hello'));
    const res = await fetch(dev.bucketBase + '/', { method: 'POST', body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    const text = await res.text();
    assert.deepEqual([res.status, errorCode(text)], [400, code], `POST ${what}: ${text}`);
  }
  // Unsigned, they do not get that far.
  const bare = await h.RawConn.open(dev.bucketPort);
  bare.write(rawHead(dev, 'GET', '/../../etc/passwd', {}));
  assert.equal((await bare.next()).status, 403);
  bare.close();
  // A key cannot be an object and a folder of other keys at once here.
  const put = (key) => fetch(`${dev.bucketBase}/${key}`, { method: 'PUT', body: 'x', headers: { Authorization: sign(dev, 'put', '/' + key) } });
  assert.equal((await put('a')).status, 200);
  const clash = await put('a/b');
  assert.deepEqual([clash.status, errorCode(await clash.text())], [400, 'InvalidObjectName']);
  await clean(dev, ['a']);
  for (const dir of [dev.data, path.dirname(dev.data), path.join(dev.data, 'objects')]) {
    assert.ok(!fs.readdirSync(dir).some((n) => n.includes(marker)), `nothing escaped into ${dir}`);
  }
});

test('stopping signgw mid-upload and mid-download drops both cleanly', async (t) => {
  const dev = await startDev(t);
  const data = crypto.randomBytes(8 << 20);
  const put = await fetch(`${dev.bucketBase}/big.bin`, { method: 'PUT', body: data, headers: { Authorization: sign(dev, 'put', '/big.bin') } });
  assert.equal(put.status, 200);
  // A download the client does not read, and an upload half sent.
  const get = await h.RawConn.open(dev.bucketPort);
  get.sock.pause();
  get.write(rawHead(dev, 'GET', '/big.bin', { Authorization: sign(dev, 'get', '/big.bin') }));
  const up = await h.RawConn.open(dev.bucketPort);
  up.write(rawHead(dev, 'PUT', '/half.bin', { Authorization: sign(dev, 'put', '/half.bin'), 'Content-Length': data.length }));
  up.write(data.subarray(0, 3 << 20));
  for (let i = 0; i < 100 && dev.temps().length === 0; i++) await sleep(10);
  assert.equal(dev.temps().length, 1);
  await dev.gw.stop(); // exit 0 required: under the sanitizers, no leak
  get.close();
  up.close();
  assert.deepEqual(dev.temps(), []);
  assert.deepEqual(dev.objects(), ['big.bin']);
});

test('Expect: 100-continue is answered once the upload is taken, and not when it is refused', async (t) => {
  const dev = await startDev(t);
  const data = crypto.randomBytes(64 * 1024);
  let c = await h.RawConn.open(dev.bucketPort);
  c.write(rawHead(dev, 'PUT', '/expect.jpg', { Authorization: sign(dev, 'put', '/expect.jpg'),
    'Content-Length': data.length, Expect: '100-continue' }));
  assert.equal((await c.next()).status, 100);
  c.write(data);
  assert.equal((await c.next()).status, 200);
  c.close();
  c = await h.RawConn.open(dev.bucketPort);
  c.write(rawHead(dev, 'PUT', '/expect2.jpg', { Authorization: 'q-sign-algorithm=sha1', 'Content-Length': data.length, Expect: '100-continue' }));
  const r = await c.next();
  assert.equal(r.status, 403, 'the refusal comes first, without a 100');
  c.close();
  await clean(dev, ['expect.jpg']);
});
