'use strict';
// The two test doubles the STS tests stand on, exercised directly with the
// official SDKs as clients (no signgw here):
//   - the HTTPS STS double (lib/sts_double.js): tencentcloud-sdk-nodejs-sts
//     (TC3-HMAC-SHA256 and v1 HmacSHA256) and qcloud-cos-sts (v1 HmacSHA1)
//     get credentials over TLS with the throw-away CA; wrong signatures,
//     SecretIds, timestamps and unencoded policies are refused the way
//     Tencent refuses them; every fault mode is seen by the client;
//     connections, in-flight calls and aborted calls are counted;
//   - the COS stand-in (lib/cos_standin.js) with temporary credentials:
//     cos-nodejs-sdk-v5 putObject (and a POST Object form) is accepted
//     inside the credential's CAM policy and refused outside it, without
//     its token, after it expires, or signed past its expiry; permanent
//     credentials keep working.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const https = require('node:https');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const COS = require('cos-nodejs-sdk-v5');
const STS = require('qcloud-cos-sts');
const StsClient = require('tencentcloud-sdk-nodejs-sts').sts.v20180813.Client;
const Sign = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js').default;
const { createStsDouble, makeTls } = require('./lib/sts_double.js');
const { createCosStandin, camEvaluate, camResources } = require('./lib/cos_standin.js');
const { postPolicy } = require('../oracle/refs.js');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/wait.js');

const { COS_SECRET_ID: ID, COS_SECRET_KEY: KEY, COS_BUCKET: BUCKET, COS_REGION: REGION } = h.CREDS;
const APPID = BUCKET.slice(BUCKET.lastIndexOf('-') + 1);
const RESOURCE = (key) => `qcs::cos:${REGION}:uid/${APPID}:${BUCKET}/${key}`;

let sts;
let cos;

before(async () => {
  sts = await createStsDouble();
  cos = createCosStandin({ secretId: ID, secretKey: KEY, region: REGION, buckets: [BUCKET], sts });
  await cos.listen();
});

// What both doubles saw goes to the e2e log folder (e2e.secrets scans it:
// neither double may write the permanent key anywhere).
after(async () => {
  if (sts && cos) {
    fs.mkdirSync(h.LOG_DIR, { recursive: true });
    fs.writeFileSync(path.join(h.LOG_DIR, `${h.TEST_NAME}.log`),
      [...sts.requests.map((r) => 'sts ' + JSON.stringify(r)), ...cos.log.map((r) => 'cos ' + JSON.stringify(r))].join('\n') + '\n');
  }
  if (sts) await sts.close();
  if (cos) await cos.close();
});

// ------------------------------------------------------------------ clients

// An https agent trusting the double's CA that resolves every name to the
// double (the SDK names its service after the endpoint's first label, so
// it must be reached as sts.tencentcloudapi.com).
function agentFor(double, { keepAlive = false, ca = double.ca } = {}) {
  return new https.Agent({
    ca,
    keepAlive,
    lookup: (host, opts, cb) => (opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)),
  });
}

function stsClient({ secretId = ID, secretKey = KEY, agent, signMethod, double = sts } = {}) {
  return new StsClient({
    credential: { secretId, secretKey },
    region: REGION,
    profile: {
      signMethod,
      httpProfile: { endpoint: `sts.tencentcloudapi.com:${double.port}`, agent: agent || agentFor(double), reqTimeout: 10 },
    },
  });
}

function putPolicy(keys, { maxSize } = {}) {
  const st = { effect: 'allow', action: ['name/cos:PutObject'], resource: keys.map(RESOURCE) };
  if (maxSize !== undefined) st.condition = { numeric_less_than_equal: { 'cos:content-length': maxSize } };
  return { version: '2.0', statement: [st] };
}

async function federationToken(policy, extra = {}) {
  const r = await stsClient().GetFederationToken({
    Name: 'signgw-test', Policy: encodeURIComponent(JSON.stringify(policy)), DurationSeconds: 1800, ...extra,
  });
  return { id: r.Credentials.TmpSecretId, key: r.Credentials.TmpSecretKey, token: r.Credentials.Token, r };
}

// cos-nodejs-sdk-v5 aimed at the stand-in: requests go to 127.0.0.1:port,
// the Host header stays the bucket's.
function cosClient(opts) {
  return new COS({ Protocol: 'http:', Ip: `127.0.0.1:${cos.port}`, ...opts });
}

function putObject(client, key, body = Buffer.alloc(100, 1)) {
  return new Promise((resolve) => {
    client.putObject({ Bucket: BUCKET, Region: REGION, Key: key, Body: body }, (err, data) => resolve({ err, data }));
  });
}

// The refusal code the stand-in put in its XML error (or '' on success).
function cosCode(r) {
  if (!r.err) return '';
  const e = r.err;
  return (e.error && (e.error.Code || e.error.code)) || e.code || String(e.message || e);
}

// One raw HTTPS call to the double; `sign` builds the headers (Sign.sign3
// of the SDK, so the request is right unless a test spoils it).
function rawStsCall(body, { action = 'GetFederationToken', timestamp = Math.floor(Date.now() / 1000), timeoutMs = 10000, spoil } = {}) {
  const payload = Buffer.from(JSON.stringify(body));
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    Host: sts.endpoint,
    'X-TC-Action': action,
    'X-TC-Version': '2018-08-13',
    'X-TC-Region': REGION,
    'X-TC-Timestamp': String(timestamp),
  };
  headers.Authorization = Sign.sign3({
    method: 'POST', url: `https://${sts.endpoint}/`, payload, timestamp, service: 'sts',
    secretId: ID, secretKey: KEY, headers,
  });
  if (spoil) spoil(headers);
  return new Promise((resolve, reject) => {
    const req = https.request(`${sts.url}/`, { method: 'POST', headers, ca: sts.ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function rejectsWith(promise, check) {
  try {
    await promise;
  } catch (e) {
    check(e);
    return e;
  }
  throw new Error('expected a failure');
}

// ------------------------------------------------------------------ STS double

test('GetFederationToken with tencentcloud-sdk-nodejs-sts over HTTPS: credentials and the decoded policy', async () => {
  const policy = putPolicy(['uploads/a.jpg']);
  const calls = sts.calls;
  const t0 = Math.floor(Date.now() / 1000);
  const { id, key, token, r } = await federationToken(policy, { DurationSeconds: 900 });
  assert.match(id, /^AKID[A-Za-z0-9]{32}$/);
  assert.ok(key.length >= 40 && token.length >= 400, 'realistic key and token lengths');
  assert.ok(Math.abs(r.ExpiredTime - (t0 + 900)) <= 2, `ExpiredTime ${r.ExpiredTime}`);
  assert.strictEqual(r.Expiration, new Date(r.ExpiredTime * 1000).toISOString().replace('.000Z', 'Z'));
  assert.match(r.RequestId, /^[0-9a-f-]{36}$/);
  const rec = sts.lookup(id);
  assert.strictEqual(rec.secretKey, key);
  assert.strictEqual(rec.token, token);
  assert.deepStrictEqual(rec.policy, policy);
  assert.strictEqual(rec.expiredTime, r.ExpiredTime);
  assert.strictEqual(rec.action, 'GetFederationToken');
  assert.strictEqual(rec.signatureMethod, 'TC3-HMAC-SHA256');
  assert.deepStrictEqual(sts.lastPolicy, policy);
  assert.strictEqual(sts.calls, calls + 1);
  assert.strictEqual(sts.lookup('AKIDnotissued'), undefined);
});

test('AssumeRole with tencentcloud-sdk-nodejs-sts, and with v1 HmacSHA256 signing', async () => {
  const policy = putPolicy(['uploads/b.jpg']);
  const r = await stsClient().AssumeRole({
    RoleArn: `qcs::cam::uin/100000000001:roleName/uploader`, RoleSessionName: 'signgw-1',
    Policy: encodeURIComponent(JSON.stringify(policy)), DurationSeconds: 600,
  });
  const rec = sts.lookup(r.Credentials.TmpSecretId);
  assert.strictEqual(rec.action, 'AssumeRole');
  assert.strictEqual(rec.roleSessionName, 'signgw-1');
  assert.deepStrictEqual(rec.policy, policy);
  assert.strictEqual(rec.durationSeconds, 600);

  const v1 = await stsClient({ signMethod: 'HmacSHA256' }).GetFederationToken({
    Name: 'v1', Policy: encodeURIComponent(JSON.stringify(policy)),
  });
  const rec1 = sts.lookup(v1.Credentials.TmpSecretId);
  assert.strictEqual(rec1.signatureMethod, 'HmacSHA256');
  assert.strictEqual(rec1.durationSeconds, 1800, 'the documented default');
  assert.deepStrictEqual(rec1.policy, policy);
});

test('qcloud-cos-sts (v1 HmacSHA1, form body) gets credentials and its policy arrives decoded', async () => {
  const policy = STS.getPolicy([{ action: 'name/cos:PutObject', bucket: BUCKET, region: REGION, prefix: 'uploads/*' }]);
  const saved = https.globalAgent.options.ca;
  https.globalAgent.options.ca = [sts.ca]; // axios uses the global agent
  try {
    const opts = { secretId: ID, secretKey: KEY, host: sts.endpoint, region: REGION, durationSeconds: 1200, policy };
    const cred = await STS.getCredential({ ...opts });
    const rec = sts.lookup(cred.credentials.tmpSecretId);
    assert.strictEqual(rec.signatureMethod, 'HmacSHA1');
    assert.strictEqual(rec.token, cred.credentials.sessionToken);
    assert.deepStrictEqual(rec.policy, policy);
    assert.strictEqual(cred.expiredTime - cred.startTime, 1200);

    const role = await STS.getRoleCredential({ ...opts, roleArn: 'qcs::cam::uin/100000000001:roleName/uploader' });
    assert.strictEqual(sts.lookup(role.credentials.tmpSecretId).action, 'AssumeRole');

    await rejectsWith(STS.getCredential({ ...opts, secretKey: KEY + 'x' }),
      (e) => assert.strictEqual(e.Code, 'AuthFailure.SignatureFailure'));
  } finally {
    https.globalAgent.options.ca = saved;
  }
});

test('bad signatures, ids, timestamps and parameters get Tencent errors', async () => {
  const policy = encodeURIComponent(JSON.stringify(putPolicy(['k'])));
  const code = (c) => (e) => assert.strictEqual(e.code, c, `${e.code}: ${e.message}`);
  await rejectsWith(stsClient({ secretKey: 'wrong' }).GetFederationToken({ Name: 'n', Policy: policy }),
    code('AuthFailure.SignatureFailure'));
  await rejectsWith(stsClient({ secretId: 'AKIDunknown' }).GetFederationToken({ Name: 'n', Policy: policy }),
    code('AuthFailure.SecretIdNotFound'));
  await rejectsWith(stsClient().GetFederationToken({ Name: 'n', Policy: JSON.stringify(putPolicy(['k'])) }),
    code('InvalidParameterValue'));
  await rejectsWith(stsClient().GetFederationToken({ Name: 'n' }), code('MissingParameter'));
  await rejectsWith(stsClient().GetFederationToken({ Name: 'n', Policy: policy, DurationSeconds: 129601 }),
    code('InvalidParameterValue'));
  await rejectsWith(stsClient().AssumeRole({ RoleArn: 'nope', RoleSessionName: 'ab' }), code('InvalidParameterValue'));
  await rejectsWith(stsClient().request('GetCallerIdentity', {}), code('InvalidAction'));

  // Raw requests: one body byte changed after signing, an old timestamp.
  const ok = await rawStsCall({ Name: 'raw', Policy: policy });
  assert.ok(ok.json.Response.Credentials, ok.text);
  const tampered = await rawStsCall({ Name: 'raw', Policy: policy }, {
    spoil: (hd) => { hd['X-TC-Timestamp'] = String(Number(hd['X-TC-Timestamp']) - 1); },
  });
  assert.strictEqual(tampered.json.Response.Error.Code, 'AuthFailure.SignatureFailure');
  const old = await rawStsCall({ Name: 'raw', Policy: policy }, { timestamp: Math.floor(Date.now() / 1000) - 400 });
  assert.strictEqual(old.status, 200);
  assert.strictEqual(old.json.Response.Error.Code, 'AuthFailure.SignatureExpire');
  assert.match(old.json.Response.RequestId, /^[0-9a-f-]{36}$/);
});

test('TLS: only the throw-away CA is trusted, and only for its names', async () => {
  await assert.rejects(rawTls({ ca: undefined }), /self[- ]signed|unable to (get|verify)/i);
  const other = makeTls();
  try {
    await assert.rejects(rawTls({ ca: other.ca }), /unable to (get|verify)|self[- ]signed/i);
  } finally {
    fs.rmSync(other.dir, { recursive: true, force: true });
  }
  await assert.rejects(rawTls({ ca: sts.ca, servername: 'wrong.example' }), /altnames|Hostname\/IP does not match/i);
  assert.strictEqual((await rawTls({ ca: sts.ca })).status, 200);
  assert.deepStrictEqual(sts.env(), { SGW_CA_FILE: sts.caFile, COS_STS_ENDPOINT: sts.url });
  assert.strictEqual(fs.readFileSync(sts.caFile, 'utf8'), sts.ca);

  function rawTls({ ca, servername }) {
    return new Promise((resolve, reject) => {
      const o = { host: '127.0.0.1', port: sts.port, method: 'POST', path: '/', agent: false,
        headers: { 'Content-Type': 'application/json' } };
      if (ca) o.ca = ca;
      if (servername) o.servername = servername;
      const req = https.request(o, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode })); });
      req.on('error', reject);
      req.end('{}');
    });
  }
});

test('fault modes are what the client sees', async () => {
  const policy = encodeURIComponent(JSON.stringify(putPolicy(['k'])));
  const call = () => stsClient().GetFederationToken({ Name: 'f', Policy: policy });
  try {
    sts.setFault('error', { code: 'InternalError', message: 'boom' });
    await rejectsWith(call(), (e) => { assert.strictEqual(e.code, 'InternalError'); assert.match(e.message, /boom/); });

    sts.setFault('http500');
    await rejectsWith(call(), (e) => assert.strictEqual(e.httpCode, 500));

    sts.setFault('close');
    await rejectsWith(call(), (e) => assert.match(e.message, /socket hang up|ECONNRESET|closed/i));

    sts.setFault('reset');
    await rejectsWith(call(), (e) => assert.match(e.message, /ECONNRESET|socket hang up/i));

    sts.setFault('badjson');
    await rejectsWith(call(), (e) => assert.match(e.message, /JSON/i));

    sts.setFault('badshape');
    const shaped = await call();
    assert.strictEqual(shaped.Credentials, undefined);

    // Faults answer even correctly signed requests, which the log shows.
    const last = sts.requests[sts.requests.length - 1];
    assert.strictEqual(last.fault, 'badshape');
    assert.strictEqual(last.code, undefined, 'the request itself was right');

    // `times`: the next call fails, the one after is served.
    sts.setFault('error', { times: 1 });
    await rejectsWith(call(), (e) => assert.strictEqual(e.code, 'InternalError'));
    assert.strictEqual(sts.fault, null);
    assert.ok((await call()).Credentials);

    // hang: the call stays in flight until the client gives up, which the
    // double counts as aborted.
    sts.setFault('hang');
    const aborted = sts.aborted;
    const hung = rawStsCall({ Name: 'h', Policy: policy }, { timeoutMs: 300 });
    await sleep(150);
    assert.strictEqual(sts.inFlight, 1);
    await assert.rejects(hung, /client timeout/);
    for (let i = 0; i < 100 && sts.inFlight !== 0; i++) await sleep(10);
    assert.strictEqual(sts.inFlight, 0);
    assert.strictEqual(sts.aborted, aborted + 1);
    assert.throws(() => sts.setFault('melt'), /unknown fault/);
  } finally {
    sts.setFault(null);
  }
});

test('delay, in-flight calls and connection reuse are counted', async () => {
  const policy = encodeURIComponent(JSON.stringify(putPolicy(['k'])));
  sts.resetStats();
  sts.setDelay(200);
  try {
    const t0 = performance.now();
    const client = stsClient();
    const rs = await Promise.all(Array.from({ length: 5 }, () => client.GetFederationToken({ Name: 'd', Policy: policy })));
    const took = performance.now() - t0;
    assert.ok(rs.every((r) => r.Credentials));
    assert.ok(took >= 200, `answers came after ${took} ms`);
    assert.strictEqual(sts.maxInFlight, 5);
  } finally {
    sts.setDelay(0);
  }

  sts.resetStats();
  const keep = agentFor(sts, { keepAlive: true });
  for (let i = 0; i < 4; i++) await stsClient({ agent: keep }).GetFederationToken({ Name: 'k', Policy: policy });
  assert.strictEqual(sts.calls, 4);
  assert.strictEqual(sts.connections, 1, 'one kept-alive connection');
  keep.destroy();

  sts.resetStats();
  for (let i = 0; i < 3; i++) await stsClient().GetFederationToken({ Name: 'n', Policy: policy });
  assert.strictEqual(sts.connections, 3, 'a connection per call without keep-alive');
  assert.strictEqual(sts.issued, 3);
});

test('standalone: node sts_double.js --port 0 --delay-ms 50 prints its port and CA', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, 'lib', 'sts_double.js'), '--port', '0', '--delay-ms', '50'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const info = JSON.parse(line);
    assert.ok(info.port > 0 && info.url === `https://127.0.0.1:${info.port}` && fs.existsSync(info.caFile), line);
    const double = { port: info.port, ca: fs.readFileSync(info.caFile, 'utf8') };
    const t0 = performance.now();
    const r = await stsClient({ double }).GetFederationToken({ Name: 's', Policy: encodeURIComponent('{"statement":[{"effect":"allow","action":"*","resource":"*"}]}') });
    assert.ok(r.Credentials.TmpSecretId);
    assert.ok(performance.now() - t0 >= 50, 'the delay applies');
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    assert.deepStrictEqual(await exited, { code: 0, signal: null });
    assert.ok(!fs.existsSync(info.caFile), 'the CA is removed on exit');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

// ------------------------------------------------------------------ COS stand-in

test('CAM evaluation: actions, resources, wildcards, deny, numeric_less_than_equal', () => {
  const req = (action, key, len) => ({ action, resources: camResources(REGION, BUCKET, key), context: { 'cos:content-length': len } });
  const allow = (action, resource, condition) => ({ statement: [{ effect: 'allow', action, resource, condition }] });
  const ok = (p, r) => camEvaluate(p, r).allowed;
  assert.ok(ok(allow('name/cos:PutObject', RESOURCE('a/b.jpg')), req('name/cos:PutObject', 'a/b.jpg', '1')));
  assert.ok(!ok(allow('name/cos:PutObject', RESOURCE('a/b.jpg')), req('name/cos:PostObject', 'a/b.jpg', '1')));
  assert.ok(!ok(allow('name/cos:PutObject', RESOURCE('a/b.jpg')), req('name/cos:PutObject', 'a/c.jpg', '1')));
  assert.ok(ok(allow(['name/cos:*'], [RESOURCE('a/*')]), req('name/cos:PostObject', 'a/x/y.png', '1')));
  assert.ok(ok(allow('*', '*'), req('name/cos:PutObject', 'z', '1')));
  assert.ok(!ok(allow('name/cos:putobject', '*'), req('name/cos:PutObject', 'z', '1')), 'names are case-sensitive');
  assert.ok(ok(allow('name/cos:PutObject', `qcs::cos:${REGION}:uid/${APPID}:prefix//${APPID}/examplebucket/a/*`),
    req('name/cos:PutObject', 'a/b', '1')), 'the qcloud-cos-sts resource form');
  const lte = { numeric_less_than_equal: { 'cos:content-length': 100 } };
  assert.ok(ok(allow('*', '*', lte), req('name/cos:PutObject', 'k', '100')));
  assert.ok(ok(allow('*', '*', lte), req('name/cos:PutObject', 'k', '0')));
  assert.ok(!ok(allow('*', '*', lte), req('name/cos:PutObject', 'k', '101')));
  assert.ok(!ok(allow('*', '*', lte), req('name/cos:PutObject', 'k', undefined)), 'a missing key fails');
  assert.ok(!ok(allow('*', '*', lte), req('name/cos:PutObject', 'k', 'abc')));
  assert.ok(ok(allow('*', '*', { numeric_less_than_equal_if_exist: { 'cos:content-length': 1 } }),
    req('name/cos:PutObject', 'k', undefined)), '_if_exist');
  assert.ok(ok(allow('*', '*', { numeric_equal: { 'cos:content-length': [5, 7] } }), req('a', 'k', '7')), 'any value matches');
  assert.ok(!ok(allow('*', '*', { numeric_not_equal: { 'cos:content-length': [5, 7] } }), req('a', 'k', '7')), 'negated: none may');
  assert.ok(!ok(allow('*', '*', { for_any_value: { x: 1 } }), req('a', 'k', '1')), 'unknown operators refuse');
  const withDeny = { statement: [{ effect: 'allow', action: '*', resource: '*' },
    { effect: 'deny', action: 'name/cos:PutObject', resource: RESOURCE('secret/*') }] };
  assert.ok(!ok(withDeny, req('name/cos:PutObject', 'secret/x', '1')), 'deny wins');
  assert.ok(ok(withDeny, req('name/cos:PutObject', 'public/x', '1')));
});

test('cos-nodejs-sdk-v5 putObject with a temporary credential: inside its policy only', async () => {
  const { id, key, token } = await federationToken(putPolicy(['uploads/ok.jpg'], { maxSize: 1024 }));
  const client = cosClient({ SecretId: id, SecretKey: key, SecurityToken: token });

  const ok = await putObject(client, 'uploads/ok.jpg', Buffer.alloc(1024, 7));
  assert.strictEqual(ok.err, null, cosCode(ok));
  assert.strictEqual(ok.data.statusCode, 200);
  assert.strictEqual(cos.get('uploads/ok.jpg').data.length, 1024);
  const entry = cos.log[cos.log.length - 1];
  assert.deepStrictEqual([entry.ak, entry.temporary, entry.status], [id, true, 200]);

  const other = await putObject(client, 'uploads/other.jpg');
  assert.strictEqual(other.err.statusCode, 403);
  assert.strictEqual(cosCode(other), 'AccessDenied');
  assert.strictEqual(cos.get('uploads/other.jpg'), undefined);

  const big = await putObject(client, 'uploads/ok.jpg', Buffer.alloc(1025, 7));
  assert.strictEqual(cosCode(big), 'AccessDenied', 'cos:content-length <= 1024');

  const noToken = await putObject(cosClient({ SecretId: id, SecretKey: key }), 'uploads/ok.jpg');
  assert.strictEqual(cosCode(noToken), 'InvalidToken');

  const another = await federationToken(putPolicy(['uploads/ok.jpg']));
  const wrongToken = await putObject(cosClient({ SecretId: id, SecretKey: key, SecurityToken: another.token }), 'uploads/ok.jpg');
  assert.strictEqual(cosCode(wrongToken), 'InvalidToken');

  const wrongKey = await putObject(cosClient({ SecretId: id, SecretKey: another.key, SecurityToken: token }), 'uploads/ok.jpg');
  assert.strictEqual(cosCode(wrongKey), 'SignatureDoesNotMatch');

  const unknown = await putObject(cosClient({ SecretId: 'AKIDneverissued', SecretKey: key, SecurityToken: token }), 'uploads/ok.jpg');
  assert.strictEqual(cosCode(unknown), 'InvalidAccessKeyId');

  sts.expire(id);
  const expired = await putObject(client, 'uploads/ok.jpg');
  assert.strictEqual(cosCode(expired), 'ExpiredToken');
});

test('cos-nodejs-sdk-v5 with getAuthorization: signs up to ExpiredTime; a longer window is refused', async () => {
  const { id, key, token, r } = await federationToken(putPolicy(['uploads/cb/*']), { DurationSeconds: 1200 });
  const withExpiry = (expiredTime) => cosClient({
    getAuthorization: (options, cb) => cb({
      TmpSecretId: id, TmpSecretKey: key, SecurityToken: token,
      StartTime: Math.floor(Date.now() / 1000) - 10, ExpiredTime: expiredTime,
    }),
  });
  const ok = await putObject(withExpiry(r.ExpiredTime), 'uploads/cb/a.png');
  assert.strictEqual(ok.err, null, cosCode(ok));
  const longer = await putObject(withExpiry(r.ExpiredTime + 60), 'uploads/cb/b.png');
  assert.strictEqual(cosCode(longer), 'AccessDenied', 'a key time past the credential');
  const outside = await putObject(withExpiry(r.ExpiredTime), 'uploads/elsewhere.png');
  assert.strictEqual(cosCode(outside), 'AccessDenied');
});

test('permanent credentials keep working beside temporary ones', async () => {
  const r = await putObject(cosClient({ SecretId: ID, SecretKey: KEY }), 'any/key.bin');
  assert.strictEqual(r.err, null, cosCode(r));
  const withToken = await putObject(cosClient({ SecretId: ID, SecretKey: KEY, SecurityToken: 'stray' }), 'any/key.bin');
  assert.strictEqual(cosCode(withToken), 'InvalidToken');
});

// A POST Object form signed with a temporary credential (the policy and
// q-signature from the Node reference in tests/oracle/refs.js).
function postForm({ id, key, token, objectKey, size = 10, tokenField = true, end }) {
  const start = Math.floor(Date.now() / 1000) - 10;
  const p = postPolicy({
    secretId: id, secretKey: key, bucket: BUCKET, key: objectKey, start, end: end || start + 600,
    minSize: 0, maxSize: 0, securityToken: tokenField ? token : null, extra: [],
  });
  const fields = {
    key: objectKey, success_action_status: '200', 'q-sign-algorithm': 'sha1', 'q-ak': id,
    'q-key-time': p.keyTime, 'q-signature': p.signature, policy: p.policyB64,
  };
  if (tokenField) fields['x-cos-security-token'] = token;
  const boundary = '----sgw' + crypto.randomBytes(8).toString('hex');
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const body = Buffer.concat([Buffer.from(parts.join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n`),
  Buffer.alloc(size, 3), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: cos.port, method: 'POST', path: '/', agent: false,
      headers: { Host: cos.hostOf(BUCKET), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, code: (/<Code>([^<]*)<\/Code>/.exec(text) || [])[1] || '' }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('POST Object with a temporary credential: name/cos:PostObject, token field, size condition', async () => {
  const policy = { version: '2.0', statement: [{ effect: 'allow', action: ['name/cos:PostObject'],
    resource: [RESOURCE('form/*')], condition: { numeric_less_than_equal: { 'cos:content-length': 64 } } }] };
  const cred = await federationToken(policy);
  assert.deepStrictEqual(await postForm({ ...cred, objectKey: 'form/a.bin' }), { status: 200, code: '' });
  assert.strictEqual(cos.get('form/a.bin').data.length, 10);
  assert.strictEqual((await postForm({ ...cred, objectKey: 'form/b.bin', size: 65 })).code, 'AccessDenied');
  assert.strictEqual((await postForm({ ...cred, objectKey: 'elsewhere/c.bin' })).code, 'AccessDenied');
  assert.strictEqual((await postForm({ ...cred, objectKey: 'form/d.bin', tokenField: false })).code, 'InvalidToken');
  const r = sts.lookup(cred.id);
  assert.strictEqual((await postForm({ ...cred, objectKey: 'form/e.bin', end: r.expiredTime + 30 })).code, 'AccessDenied',
    'signed past the credential');

  const putOnly = await federationToken(putPolicy(['form/*']));
  assert.strictEqual((await postForm({ ...putOnly, objectKey: 'form/f.bin' })).code, 'AccessDenied', 'PutObject does not allow POST');
});
