'use strict';
// A COS stand-in: the two COS XML API calls the seed clients make, checked
// the way COS checks them, over plain HTTP (the wx shim keeps the Host).
//
//   PUT /<key>  the Authorization header is recomputed by the official SDK
//               (COS.getAuthorization with the request's own KeyTime), so
//               the oracle, not our reading of the docs, decides.
//   POST /      multipart form; the policy's conditions are checked one by
//               one and q-signature is recomputed with node:crypto from the
//               documented algorithm (the SDK has no policy function).
//
// One account may own several buckets (`buckets`); that is what makes a
// replay against another bucket meaningful: the host must be refused by the
// signature or the policy, not because the stand-in does not know it.
// Accepted objects are kept in memory; refusals are 403 with a COS-like XML
// error whose <Code> says which check failed.
//
// Temporary credentials (opts.sts, the STS double of sts_double.js): a
// q-ak the double issued is accepted only
//   - with its session token (x-cos-security-token: header for PUT, form
//     field for POST), else InvalidToken;
//   - before its ExpiredTime, else ExpiredToken; and what is signed (the
//     key time, the POST policy's expiration) must not outlive it, else
//     AccessDenied;
//   - signed with its TmpSecretKey (the same SDK check as above);
//   - when its CAM policy allows the request (camEvaluate below): action
//     name/cos:PutObject (PUT) or name/cos:PostObject (POST) on resource
//     qcs::cos:<region>:uid/<appid>:<bucket>/<key> (appid: the bucket
//     name's numeric suffix; the older ...:prefix//<appid>/<short
//     bucket>/<key> form qcloud-cos-sts writes is accepted too), else
//     AccessDenied.
const http = require('node:http');
const crypto = require('node:crypto');
const COS = require('cos-nodejs-sdk-v5');
const { multipartParts } = require('./multipart.js');

class Refused extends Error {
  constructor(code, message, status = 403) {
    super(message);
    this.code = code;
    this.status = status;
  }
}
const refuse = (code, message) => { throw new Refused(code, message); };

// "a=1&b=2" -> { a: '1', b: '2' }, without URL-decoding (COS does not decode it).
const parseAuth = (s) => Object.fromEntries(s.split('&').map((p) => {
  const i = p.indexOf('=');
  return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
}));
const hmacHex = (key, msg) => crypto.createHmac('sha1', key).update(msg, 'utf8').digest('hex');

// ------------------------------------------------------------------ CAM

// CAM wildcards: '*' stands for any run of characters (also '/' and ':').
function glob(pattern, s) {
  const re = String(pattern).split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
  return new RegExp('^' + re + '$').test(s);
}
const asList = (v) => (Array.isArray(v) ? v : [v]);
const num = (v) => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : NaN);

function ipv4(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) return null;
  return m.slice(1).reduce((a, x) => a * 256 + Number(x), 0);
}
function ipInRange(ip, range) {
  const [addr, bits = '32'] = String(range).split('/');
  const a = ipv4(ip.replace(/^::ffff:/, ''));
  const b = ipv4(addr);
  const n = Number(bits);
  if (a === null || b === null || !(n >= 0 && n <= 32)) return ip === range;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

// Condition operators: (request value, policy value) -> bool. The negated
// ones hold when the value matches none of the policy's values.
const CONDITION_OPS = {
  string_equal: (a, b) => a === String(b),
  string_equal_ignore_case: (a, b) => a.toLowerCase() === String(b).toLowerCase(),
  string_like: (a, b) => glob(b, a),
  numeric_equal: (a, b) => num(a) === num(b),
  numeric_less_than: (a, b) => num(a) < num(b),
  numeric_less_than_equal: (a, b) => num(a) <= num(b),
  numeric_greater_than: (a, b) => num(a) > num(b),
  numeric_greater_than_equal: (a, b) => num(a) >= num(b),
  ip_equal: (a, b) => ipInRange(a, b),
};
const NEGATED = {
  string_not_equal: 'string_equal',
  string_not_like: 'string_like',
  numeric_not_equal: 'numeric_equal',
  ip_not_equal: 'ip_equal',
};

// One statement's condition block, as CAM documents it: every operator
// must hold, and under an operator every key; a key with several values
// holds when any matches (none, for a negated operator). A key the
// request does not carry fails the condition, unless the operator ends in
// _if_exist. Unknown operators (for_any_value:..., date_..., ...) throw.
function conditionHolds(condition, context) {
  if (condition === undefined) return true;
  if (!condition || typeof condition !== 'object') throw new Error('condition is not an object');
  for (const [rawOp, keys] of Object.entries(condition)) {
    const ifExist = rawOp.endsWith('_if_exist');
    const op = ifExist ? rawOp.slice(0, -'_if_exist'.length) : rawOp;
    const positive = CONDITION_OPS[op] || CONDITION_OPS[NEGATED[op]];
    if (!positive) throw new Error(`unsupported condition operator ${rawOp}`);
    if (!keys || typeof keys !== 'object') throw new Error(`condition ${rawOp} is not an object`);
    for (const [key, want] of Object.entries(keys)) {
      const got = context[key.toLowerCase()];
      if (got === undefined || got === null) {
        if (!ifExist) return false;
        continue;
      }
      const hits = asList(want).map((w) => positive(String(got), w));
      if (NEGATED[op] ? hits.some(Boolean) : !hits.some(Boolean)) return false;
    }
  }
  return true;
}

// CAM evaluation: explicit deny wins, then any allow, else denied.
// policy: {statement: [{effect, action, resource, condition}]}; request:
// { action: 'name/cos:PutObject', resources: [...], context: {key: value} }.
// -> { allowed, reason }.
function camEvaluate(policy, request) {
  if (!policy || !Array.isArray(policy.statement)) return { allowed: false, reason: 'no policy statements' };
  let allowed = false;
  for (const [i, st] of policy.statement.entries()) {
    const actionHit = asList(st.action).some((a) => glob(a, request.action));
    const resourceHit = asList(st.resource).some((r) => request.resources.some((res) => glob(r, res)));
    if (!actionHit || !resourceHit) continue;
    let holds;
    try {
      holds = conditionHolds(st.condition, request.context || {});
    } catch (e) {
      return { allowed: false, reason: `statement ${i}: ${e.message}` };
    }
    if (!holds) continue;
    const effect = String(st.effect).toLowerCase();
    if (effect === 'deny') return { allowed: false, reason: `denied by statement ${i}` };
    if (effect === 'allow') allowed = true;
  }
  return allowed ? { allowed: true, reason: 'allowed' }
    : { allowed: false, reason: `no statement allows ${request.action} on ${request.resources[0]}` };
}

// The CAM resource names of <key> in <bucket>: the current form and the
// one qcloud-cos-sts's getPolicy writes.
function camResources(region, bucket, key) {
  const dash = bucket.lastIndexOf('-');
  const appid = /^\d+$/.test(bucket.slice(dash + 1)) ? bucket.slice(dash + 1) : '';
  return [
    `qcs::cos:${region}:uid/${appid}:${bucket}/${key}`,
    `qcs::cos:${region}:uid/${appid}:prefix//${appid}/${bucket.slice(0, dash)}/${key}`,
  ];
}
const sha1Hex = (msg) => crypto.createHash('sha1').update(msg, 'utf8').digest('hex');

// "s;e" -> checks the format and that now lies inside the window.
function checkKeyTime(kt, now) {
  const m = /^(\d+);(\d+)$/.exec(kt || '');
  if (!m) refuse('AccessDenied', `bad key time ${JSON.stringify(kt)}`);
  const [start, end] = [Number(m[1]), Number(m[2])];
  if (start > end) refuse('AccessDenied', `key time ${kt} ends before it starts`);
  if (now < start) refuse('RequestTimeTooSkewed', `key time ${kt} not yet valid at ${now}`);
  if (now > end) refuse('AccessDenied', `key time ${kt} expired at ${now}`);
}

// Splits a multipart/form-data body into { fields, file }; field names are
// lower-cased (COS treats them case-insensitively). null when malformed.
function parseMultipart(body, contentType) {
  const parts = multipartParts(body, contentType);
  if (!parts) return null;
  const fields = {};
  let file = null;
  for (const p of parts) {
    if (p.filename !== undefined) file = { field: p.name, filename: p.filename, data: p.data };
    else fields[p.name.toLowerCase()] = p.data.toString('utf8');
  }
  return { fields, file };
}

// opts: { secretId, secretKey, region, buckets: [name, ...] (first = default),
//         securityToken (required from clients of the permanent credential
//         when set), now () -> unix s,
//         sts (an STS double: its temporary credentials are accepted too),
//         allowKeyTimeBeyondExpiry (do not refuse a temporary credential's
//         signature that outlives it) }
// log entries: { method, host, path, status, code, message, ak, temporary }
function createCosStandin(opts) {
  const { secretId, secretKey, region } = opts;
  const buckets = opts.buckets || [opts.bucket];
  const now = opts.now || (() => Math.floor(Date.now() / 1000));
  const objects = new Map(); // "<bucket>/<key>" -> { bucket, key, data, contentType }
  const log = []; // { method, host, path, status, code, message }
  const hostOf = (bucket) => `${bucket}.cos.${region}.myqcloud.com`;

  function bucketFromHost(host) {
    const b = buckets.find((name) => hostOf(name) === host);
    if (!b) refuse('NoSuchBucket', `host ${JSON.stringify(host)} is not a bucket of this account`);
    return b;
  }

  function checkToken(sent) {
    if (opts.securityToken ? sent !== opts.securityToken : sent) {
      refuse('InvalidToken', `security token ${JSON.stringify(sent)} does not match`);
    }
  }

  // The key that signs for `ak` (the permanent one, or a temporary one the
  // STS double issued), after the token and expiry checks that go with it.
  function credentialOf(req, ak, token) {
    req.sgwAk = ak;
    if (ak === secretId) {
      checkToken(token);
      return { secretKey, temp: null };
    }
    const temp = opts.sts && ak ? opts.sts.lookup(ak) : undefined;
    if (!temp) refuse('InvalidAccessKeyId', `unknown q-ak ${ak}`);
    req.sgwTemporary = true;
    if (!token) refuse('InvalidToken', 'a temporary credential needs its x-cos-security-token');
    if (token !== temp.token) refuse('InvalidToken', 'x-cos-security-token does not belong to this credential');
    if (now() >= temp.expiredTime) refuse('ExpiredToken', `the temporary credential expired at ${temp.expiredTime}`);
    return { secretKey: temp.secretKey, temp };
  }

  // What is signed must not outlive the temporary credential.
  function checkWithin(temp, endUnix, what) {
    if (temp && !opts.allowKeyTimeBeyondExpiry && endUnix > temp.expiredTime) {
      refuse('AccessDenied', `${what} ends at ${endUnix}, after the credential expires (${temp.expiredTime})`);
    }
  }

  function checkPolicy(req, temp, action, bucket, key, context) {
    if (!temp) return;
    const ip = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
    const verdict = camEvaluate(temp.policy, {
      action, resources: camResources(region, bucket, key), context: { 'qcs:ip': ip, ...context },
    });
    if (!verdict.allowed) refuse('AccessDenied', `the credential's policy refuses: ${verdict.reason}`);
  }

  function putObject(req, body) {
    const bucket = bucketFromHost(req.headers.host);
    const auth = parseAuth(req.headers.authorization || '');
    if (!auth['q-signature']) refuse('AccessDenied', 'missing or unparsable Authorization');
    if (auth['q-sign-algorithm'] !== 'sha1') refuse('AccessDenied', 'q-sign-algorithm must be sha1');
    const cred = credentialOf(req, auth['q-ak'], req.headers['x-cos-security-token']);
    // The SDK takes one KeyTime for both fields; COS signs with both equal too.
    if (auth['q-sign-time'] !== auth['q-key-time']) refuse('AccessDenied', 'q-sign-time differs from q-key-time');
    checkKeyTime(auth['q-key-time'], now());
    checkWithin(cred.temp, Number(auth['q-key-time'].split(';')[1]), 'the key time');

    const url = new URL(req.url, 'http://standin');
    const Headers = {};
    for (const h of (auth['q-header-list'] || '').split(';').filter(Boolean)) {
      if (req.headers[h] === undefined) refuse('AccessDenied', `signed header ${h} missing from the request`);
      Headers[h] = req.headers[h];
    }
    const Query = {};
    for (const p of (auth['q-url-param-list'] || '').split(';').filter(Boolean)) {
      if (!url.searchParams.has(p)) refuse('AccessDenied', `signed parameter ${p} missing from the request`);
      Query[p] = url.searchParams.get(p);
    }
    let key;
    try { key = decodeURIComponent(url.pathname).slice(1); } catch (e) { refuse('InvalidURI', 'bad percent-encoding in the path'); }
    const expected = COS.getAuthorization({
      SecretId: auth['q-ak'], SecretKey: cred.secretKey, Method: req.method,
      Pathname: '/' + key, Headers, Query, KeyTime: auth['q-key-time'],
    });
    const want = parseAuth(expected)['q-signature'];
    if (want !== auth['q-signature']) refuse('SignatureDoesNotMatch', `signature for ${req.method} /${key} does not match`);
    checkPolicy(req, cred.temp, 'name/cos:PutObject', bucket, key, {
      'cos:content-length': req.headers['content-length'],
      'cos:content-type': req.headers['content-type'],
    });

    objects.set(`${bucket}/${key}`, { bucket, key, data: body, contentType: req.headers['content-type'] });
    return { status: 200, headers: { ETag: `"${crypto.createHash('md5').update(body).digest('hex')}"` } };
  }

  function postObject(req, body) {
    const bucket = bucketFromHost(req.headers.host);
    const form = parseMultipart(body, req.headers['content-type']);
    if (!form || !form.file) throw new Refused('MalformedPOSTRequest', 'not a multipart form with a file', 400);
    const f = form.fields;
    if (!f.policy) refuse('AccessDenied', 'missing policy');
    if (!f.key) refuse('InvalidArgument', 'missing key');
    if (f['q-sign-algorithm'] !== 'sha1') refuse('AccessDenied', 'q-sign-algorithm must be sha1');
    const cred = credentialOf(req, f['q-ak'], f['x-cos-security-token']);
    checkKeyTime(f['q-key-time'], now());
    checkWithin(cred.temp, Number(f['q-key-time'].split(';')[1]), 'the key time');

    const policyText = Buffer.from(f.policy, 'base64').toString('utf8');
    const want = hmacHex(hmacHex(cred.secretKey, f['q-key-time']), sha1Hex(policyText));
    if (want !== f['q-signature']) refuse('SignatureDoesNotMatch', 'policy signature does not match');

    let policy;
    try { policy = JSON.parse(policyText); } catch (e) { refuse('InvalidPolicyDocument', 'policy is not JSON'); }
    const expiry = Date.parse(policy.expiration);
    if (!(expiry > now() * 1000)) refuse('AccessDenied', `policy expiration ${policy.expiration} is not in the future`);
    checkWithin(cred.temp, Math.ceil(expiry / 1000), 'the policy expiration');
    if (!Array.isArray(policy.conditions)) refuse('InvalidPolicyDocument', 'policy has no conditions');
    // What a "$name" in a condition stands for.
    const value = (name) => {
      const n = name.replace(/^\$/, '').toLowerCase();
      if (n === 'bucket') return bucket;
      if (n === 'q-sign-time') return f['q-key-time'];
      return f[n];
    };
    for (const c of policy.conditions) {
      const bad = () => refuse('AccessDenied', `Invalid according to Policy: ${JSON.stringify(c)}`);
      if (Array.isArray(c)) {
        const op = String(c[0]).toLowerCase();
        if (op === 'content-length-range') {
          if (!(form.file.data.length >= c[1] && form.file.data.length <= c[2])) bad();
        } else if (op === 'eq') {
          if (value(c[1]) !== c[2]) bad();
        } else if (op === 'starts-with') {
          if (typeof value(c[1]) !== 'string' || !value(c[1]).startsWith(c[2])) bad();
        } else {
          refuse('InvalidPolicyDocument', `unknown condition ${JSON.stringify(c)}`);
        }
      } else if (c && typeof c === 'object' && Object.keys(c).length === 1) {
        const [k, v] = Object.entries(c)[0];
        if (value(k) !== v) bad();
      } else {
        refuse('InvalidPolicyDocument', `bad condition ${JSON.stringify(c)}`);
      }
    }

    checkPolicy(req, cred.temp, 'name/cos:PostObject', bucket, f.key, {
      'cos:content-length': String(form.file.data.length),
      'cos:content-type': f['content-type'],
    });

    objects.set(`${bucket}/${f.key}`, { bucket, key: f.key, data: form.file.data, contentType: f['content-type'] });
    const etag = `"${crypto.createHash('md5').update(form.file.data).digest('hex')}"`;
    const status = [200, 201, 204].includes(Number(f.success_action_status)) ? Number(f.success_action_status) : 204;
    const xml = status === 201
      ? `<PostResponse><Bucket>${bucket}</Bucket><Key>${f.key}</Key><ETag>${etag}</ETag></PostResponse>` : '';
    return { status, headers: { ETag: etag, Location: `http://${req.headers.host}/${encodeURI(f.key)}` }, body: xml };
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const requestId = crypto.randomBytes(12).toString('hex');
      const entry = { method: req.method, host: req.headers.host, path: req.url };
      let out;
      try {
        if (req.method === 'PUT' && req.url !== '/') out = putObject(req, body);
        else if (req.method === 'POST' && req.url === '/') out = postObject(req, body);
        else throw new Refused('MethodNotAllowed', `${req.method} ${req.url} is not supported here`, 405);
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        entry.code = e.code;
        entry.message = e.message;
        out = {
          status: e.status,
          headers: { 'Content-Type': 'application/xml' },
          body: `<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>${e.code}</Code>` +
            `<Message>${e.message.replace(/[<&]/g, '?')}</Message><RequestId>${requestId}</RequestId></Error>`,
        };
      }
      entry.status = out.status;
      if (req.sgwAk !== undefined) {
        entry.ak = req.sgwAk;
        entry.temporary = !!req.sgwTemporary;
      }
      log.push(entry);
      res.writeHead(out.status, { 'x-cos-request-id': requestId, ...out.headers });
      res.end(out.body || '');
    });
  });

  return {
    objects,
    log,
    hostOf,
    get: (key, bucket = buckets[0]) => objects.get(`${bucket}/${key}`),
    listen: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
      resolve(server.address().port);
    })),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
    get port() { return server.address().port; },
  };
}

module.exports = { createCosStandin, parseMultipart, camEvaluate, camResources };
