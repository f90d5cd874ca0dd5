'use strict';
// An HTTPS test double of Tencent Cloud STS (API 2018-08-13), for the e2e
// tests and the benchmark. It serves GetFederationToken and AssumeRole the
// way the real endpoint answers them, over TLS with a throw-away CA made
// at start by the `openssl` CLI.
//
// Every request's signature is recomputed by the official SDK's own
// functions (tencentcloud-sdk-nodejs-common), never by our code:
//   TC3-HMAC-SHA256  JSON body, Authorization header: Sign.sign3
//   v1 (HmacSHA1 / HmacSHA256)  form body as qcloud-cos-sts sends it:
//                    AbstractClient.formatSignString + Sign.sign
// A wrong signature, SecretId, timestamp or token gets Tencent's error
// shape, HTTP 200 {"Response":{"Error":{"Code","Message"},"RequestId"}}
// with codes AuthFailure.SignatureFailure, AuthFailure.SecretIdNotFound,
// AuthFailure.SignatureExpire, AuthFailure.TokenFailure; bad parameters
// get MissingParameter, InvalidParameter, InvalidParameterValue,
// InvalidAction.
//
// Policy: as Tencent documents it (and qcloud-cos-sts sends it), the
// Policy parameter is the URL-encoded CAM policy JSON
// (encodeURIComponent(JSON.stringify(policy))); a raw JSON policy is
// refused, so a client that forgets to encode is caught.
//
// Library use:
//   const { createStsDouble } = require('./lib/sts_double.js');
//   const sts = await createStsDouble({ delayMs: 50 });
//   ... SGW_CA_FILE=sts.caFile COS_STS_ENDPOINT=sts.url (or sts.env()) ...
//   sts.lookup(tmpSecretId) -> { secretKey, token, policy, expiredTime, ... }
//   await sts.close();
// The whole API is described at createStsDouble() below.
//
// Standalone (for the benchmark):
//   node sts_double.js [--port P] [--host H] [--delay-ms D] [--keep N]
//                      [--secret-id ID] [--secret-key KEY]
// prints one JSON line {"port","url","caFile"} and serves until SIGINT or
// SIGTERM. The default credential is the e2e tests' permanent one. With
// --lookup-port L it also answers, on plain HTTP at 127.0.0.1:L (a test
// hook, not an STS API), GET /lookup?id=TMP_SECRET_ID with that issued
// credential as JSON (404 if none): how the benchmark's verifier checks
// signatures made with temporary keys.
const https = require('node:https');
const crypto = require('node:crypto');
const fs = require('node:fs');
const querystring = require('node:querystring');

const Sign = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js').default;
const { AbstractClient } = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/abstract_client.js');

const API_VERSION = '2018-08-13';
const ACTIONS = {
  // DurationSeconds: default and maximum, from the API reference.
  GetFederationToken: { defaultDuration: 1800, maxDuration: 129600 },
  AssumeRole: { defaultDuration: 7200, maxDuration: 43200 },
};
const FAULTS = ['error', 'http500', 'close', 'reset', 'hang', 'badjson', 'badshape'];
const MAX_BODY = 1024 * 1024;
// The e2e tests' permanent credential (tests/e2e/lib/harness.js CREDS).
const DEFAULT_SECRET_ID = 'AKIDsgwTestSecretId0001';
const DEFAULT_SECRET_KEY = 'sgwTestSecretKeyNeverLeaves0123456789';

// ------------------------------------------------------------------ TLS

const { makeTls } = require('./tls.js');
const { sleep } = require('./wait.js');

// ------------------------------------------------------------------ helpers

class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (code, message) => { throw new ApiError(code, message); };

const base62 = (n) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (const b of crypto.randomBytes(n)) s += abc[b % 62];
  return s;
};
// Tencent's "2006-01-02T15:04:05Z" (no fraction).
const isoSeconds = (unix) => new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The Policy parameter: URL-encoded CAM policy JSON -> { policy, policyText }.
function decodePolicy(raw) {
  if (typeof raw !== 'string' || raw === '') fail('InvalidParameterValue', 'Policy must be a non-empty string');
  // encodeURIComponent leaves only these characters (plus the escapes).
  if (!/^[A-Za-z0-9\-_.!~*'()%]*$/.test(raw)) {
    fail('InvalidParameterValue', 'Policy must be URL-encoded (encodeURIComponent of the policy JSON)');
  }
  let text;
  try { text = decodeURIComponent(raw); } catch (e) { fail('InvalidParameterValue', 'Policy is not valid URL encoding'); }
  let policy;
  try { policy = JSON.parse(text); } catch (e) { fail('InvalidParameterValue', 'Policy is not JSON after URL-decoding'); }
  if (!policy || typeof policy !== 'object' || !Array.isArray(policy.statement) || policy.statement.length === 0) {
    fail('InvalidParameterValue', 'Policy needs a non-empty "statement" list');
  }
  for (const st of policy.statement) {
    if (!st || typeof st !== 'object' || !/^(allow|deny)$/i.test(String(st.effect)) ||
        st.action === undefined || st.resource === undefined) {
      fail('InvalidParameterValue', 'every Policy statement needs effect (allow|deny), action and resource');
    }
  }
  return { policy, policyText: text };
}

function durationOf(v, spec) {
  if (v === undefined || v === null || v === '') return spec.defaultDuration;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (!Number.isInteger(n) || n < 1 || n > spec.maxDuration) {
    fail('InvalidParameterValue', `DurationSeconds must be an integer 1..${spec.maxDuration}`);
  }
  return n;
}

// ------------------------------------------------------------------ the double

// opts (all optional):
//   secretId, secretKey  the permanent credential requests must be signed
//                        with (default: the e2e tests' one)
//   token                an X-TC-Token / Token the caller must send (none)
//   host                 listen address (127.0.0.1); port (0 = any)
//   names                certificate subjectAltNames (['127.0.0.1', 'localhost',
//                        'sts.tencentcloudapi.com']: an SDK whose endpoint
//                        must be named sts.* can reach it by a DNS override)
//   tls                  { ca, cert, key, caFile } to reuse instead of making a CA
//   delayMs              wait before every answer (0)
//   skewSeconds          allowed |request timestamp - now| (300, as Tencent)
//   now                  () => unix seconds (the clock for timestamps, expiry)
//   tokenBytes           random bytes in each session token (384)
//   keep                 remember at most this many issued credentials and
//                        requests, the newest (all)
//
// Resolves to an object with:
//   port, host, endpoint ("127.0.0.1:PORT"), url ("https://127.0.0.1:PORT"),
//   caFile, ca (PEM)      the CA that signed the server certificate
//   env()                 { SGW_CA_FILE, COS_STS_ENDPOINT } for signgw
//   lookup(tmpSecretId)   the issued credential, or undefined:
//                         { tmpSecretId, secretKey, token, policy (object or
//                           null), policyText, policyRaw, startTime,
//                           expiredTime, expiration, action, name, roleArn,
//                           roleSessionName, durationSeconds, region,
//                           signatureMethod, requestId }
//   credentials           Map tmpSecretId -> the same records
//   expire(tmpSecretId)   makes it expired (expiredTime = now - 1)
//   calls                 requests received (any outcome)
//   issued                credentials issued
//   lastPolicy            decoded policy of the last issued credential
//   requests              log: { action, signatureMethod, ok, code, message,
//                           fault, policy, tmpSecretId } per request
//   setFault(mode, { times, code, message })  answer the next `times`
//                         requests (default: all until cleared) with:
//                         'error'    Tencent error JSON (Code `code`,
//                                    default InternalError), HTTP 200
//                         'http500'  HTTP 500 with an HTML body
//                         'close'    close the connection without answering
//                         'reset'    reset the connection (TCP RST)
//                         'hang'     never answer (until the client leaves)
//                         'badjson'  HTTP 200, truncated JSON
//                         'badshape' HTTP 200, JSON without Credentials
//                         null       answer normally again
//   fault                 { mode, times, code, message } or null
//   setDelay(ms), delayMs fixed wait before each answer
//   connections           TLS connections accepted (keep-alive reuse shows
//                         as fewer connections than calls)
//   openConnections       currently open
//   inFlight, maxInFlight requests received and not yet answered
//   aborted               requests whose client left before the answer
//   resetStats()          zeroes calls, issued, connections, maxInFlight,
//                         aborted and the log (credentials are kept)
//   close()               stops, drops open connections, removes the CA dir
async function createStsDouble(opts = {}) {
  const secretId = opts.secretId || DEFAULT_SECRET_ID;
  const secretKey = opts.secretKey || DEFAULT_SECRET_KEY;
  const requiredToken = opts.token || null;
  const now = opts.now || (() => Math.floor(Date.now() / 1000));
  const skew = opts.skewSeconds ?? 300;
  const tokenBytes = opts.tokenBytes || 384;
  const ownTls = !opts.tls;
  const tls = opts.tls || makeTls({ names: opts.names || ['127.0.0.1', 'localhost', 'sts.tencentcloudapi.com'] });

  const credentials = new Map();
  const keep = opts.keep || Infinity; // issued credentials and requests remembered
  const state = {
    calls: 0, issued: 0, connections: 0, openConnections: 0, inFlight: 0, maxInFlight: 0, aborted: 0,
    requests: [], lastPolicy: null, delayMs: opts.delayMs || 0, fault: null,
  };

  // ---- signature checks (the SDK's functions decide)

  function checkTimestamp(ts) {
    if (!/^\d{1,12}$/.test(String(ts))) fail('AuthFailure.SignatureFailure', 'the timestamp is not a number');
    if (Math.abs(Number(ts) - now()) > skew) {
      fail('AuthFailure.SignatureExpire', `the request timestamp ${ts} is more than ${skew} s away from the server time`);
    }
  }

  function checkToken(sent) {
    if (requiredToken ? sent !== requiredToken : sent !== undefined && sent !== '') {
      fail('AuthFailure.TokenFailure', 'the token is invalid');
    }
  }

  // TC3-HMAC-SHA256: Authorization recomputed with Sign.sign3 from the
  // request's own Host, path, Content-Type, timestamp and body bytes.
  function verifyTc3(req, body) {
    const auth = req.headers.authorization || '';
    const m = /^TC3-HMAC-SHA256 Credential=([^/]*)\/(\d{4}-\d\d-\d\d)\/([^/]*)\/tc3_request, SignedHeaders=([^,]*), Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) fail('AuthFailure.SignatureFailure', 'the Authorization header is not a TC3-HMAC-SHA256 signature');
    if (m[1] !== secretId) fail('AuthFailure.SecretIdNotFound', 'the SecretId is not found');
    if (m[3] !== 'sts') fail('AuthFailure.SignatureFailure', `the credential scope names service ${m[3]}, not sts`);
    const ts = req.headers['x-tc-timestamp'];
    checkTimestamp(ts);
    checkToken(req.headers['x-tc-token']);
    const want = Sign.sign3({
      method: req.method,
      url: `https://${req.headers.host}${req.url}`,
      payload: body,
      timestamp: ts,
      service: 'sts',
      secretId,
      secretKey,
      headers: { 'Content-Type': req.headers['content-type'] },
    });
    if (want !== auth) fail('AuthFailure.SignatureFailure', 'the signature does not match');
    const action = req.headers['x-tc-action'];
    const version = req.headers['x-tc-version'];
    const region = req.headers['x-tc-region'];
    if (!/^application\/json\b/i.test(req.headers['content-type'] || '')) {
      fail('InvalidParameter', 'the body must be application/json');
    }
    let params;
    try { params = JSON.parse(body.toString('utf8')); } catch (e) { fail('InvalidParameter', 'the body is not JSON'); }
    if (!params || typeof params !== 'object' || Array.isArray(params)) fail('InvalidParameter', 'the body is not a JSON object');
    return { method: 'TC3-HMAC-SHA256', action, version, region, params };
  }

  // v1: Signature over "POST" + Host + path + "?" + sorted k=v, as the
  // SDK's AbstractClient.formatSignString builds it, HMAC by Sign.sign.
  function verifyV1(req, body) {
    const form = querystring.parse(body.toString('utf8'));
    for (const [k, v] of Object.entries(form)) {
      if (Array.isArray(v)) fail('InvalidParameter', `parameter ${k} given more than once`);
    }
    const method = form.SignatureMethod || 'HmacSHA1';
    if (!['HmacSHA1', 'HmacSHA256'].includes(method)) fail('InvalidParameterValue', 'SignatureMethod must be HmacSHA1 or HmacSHA256');
    for (const k of ['SecretId', 'Signature', 'Timestamp', 'Nonce', 'Action', 'Version']) {
      if (!form[k]) fail('MissingParameter', `the ${k} parameter is missing`);
    }
    if (form.SecretId !== secretId) fail('AuthFailure.SecretIdNotFound', 'the SecretId is not found');
    checkTimestamp(form.Timestamp);
    checkToken(form.Token);
    const params = Object.assign({}, form);
    delete params.Signature;
    const signStr = AbstractClient.prototype.formatSignString.call(
      { profile: { httpProfile: { reqMethod: req.method } }, endpoint: req.headers.host, path: new URL(req.url, 'https://x').pathname },
      params);
    if (Sign.sign(secretKey, signStr, method) !== form.Signature) {
      fail('AuthFailure.SignatureFailure', 'the signature does not match');
    }
    const p = Object.assign({}, form);
    for (const k of ['SecretId', 'Signature', 'SignatureMethod', 'Timestamp', 'Nonce', 'Action', 'Version', 'Region', 'Token', 'Language', 'RequestClient']) delete p[k];
    return { method, action: form.Action, version: form.Version, region: form.Region, params: p };
  }

  function verify(req, body) {
    if (req.method !== 'POST') fail('UnsupportedOperation', `${req.method} is not supported here; use POST`);
    const ct = req.headers['content-type'] || '';
    const v = /^application\/x-www-form-urlencoded\b/i.test(ct) && !req.headers.authorization
      ? verifyV1(req, body) : verifyTc3(req, body);
    if (!ACTIONS[v.action] || v.version !== API_VERSION) {
      fail('InvalidAction', `the action ${v.action} (version ${v.version}) does not exist here`);
    }
    if (!v.region) fail('MissingParameter', 'the Region parameter is missing');
    return v;
  }

  // ---- the actions

  function issue(v, requestId) {
    const spec = ACTIONS[v.action];
    const p = v.params;
    const rec = { action: v.action, region: v.region, signatureMethod: v.method, requestId };
    if (v.action === 'GetFederationToken') {
      if (typeof p.Name !== 'string' || !/^[\w+=,.@-]{1,128}$/.test(p.Name)) {
        fail(p.Name === undefined ? 'MissingParameter' : 'InvalidParameterValue', 'Name is missing or not [\\w+=,.@-]{1,128}');
      }
      if (p.Policy === undefined) fail('MissingParameter', 'the Policy parameter is missing');
      rec.name = p.Name;
    } else {
      if (typeof p.RoleArn !== 'string' || !/^qcs::cam::uin\/\d+:role(Name)?\/\S+$/.test(p.RoleArn)) {
        fail(p.RoleArn === undefined ? 'MissingParameter' : 'InvalidParameterValue', 'RoleArn is missing or malformed');
      }
      if (typeof p.RoleSessionName !== 'string' || !/^[\w+=,.@-]{2,128}$/.test(p.RoleSessionName)) {
        fail(p.RoleSessionName === undefined ? 'MissingParameter' : 'InvalidParameterValue',
          'RoleSessionName is missing or not [\\w+=,.@-]{2,128}');
      }
      rec.roleArn = p.RoleArn;
      rec.roleSessionName = p.RoleSessionName;
    }
    rec.policyRaw = p.Policy === undefined ? null : p.Policy;
    Object.assign(rec, p.Policy === undefined ? { policy: null, policyText: null } : decodePolicy(p.Policy));
    rec.durationSeconds = durationOf(p.DurationSeconds, spec);
    rec.startTime = now();
    rec.expiredTime = rec.startTime + rec.durationSeconds;
    rec.expiration = isoSeconds(rec.expiredTime);
    rec.tmpSecretId = 'AKID' + base62(32);
    rec.secretKey = crypto.randomBytes(32).toString('base64');
    rec.token = crypto.randomBytes(tokenBytes).toString('base64');
    credentials.set(rec.tmpSecretId, rec);
    // A long run (the benchmark) keeps only the newest ones.
    if (credentials.size > keep) credentials.delete(credentials.keys().next().value);
    state.issued++;
    state.lastPolicy = rec.policy;
    return {
      Response: {
        Credentials: { Token: rec.token, TmpSecretId: rec.tmpSecretId, TmpSecretKey: rec.secretKey },
        ExpiredTime: rec.expiredTime,
        Expiration: rec.expiration,
        RequestId: requestId,
      },
    };
  }

  // ---- HTTP

  const json = (res, status, obj) => {
    const text = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const errorBody = (code, message, requestId) => ({ Response: { Error: { Code: code, Message: message }, RequestId: requestId } });

  // Which fault, if any, answers this request (counting down `times`).
  function takeFault() {
    const f = state.fault;
    if (!f) return null;
    if (f.times !== undefined && --f.times <= 0) state.fault = null;
    return f;
  }

  async function handle(req, res, body) {
    const requestId = crypto.randomUUID();
    const entry = { action: req.headers['x-tc-action'] || null, signatureMethod: null, ok: false };
    state.requests.push(entry);
    if (state.requests.length > keep) state.requests.splice(0, state.requests.length - keep);
    if (state.delayMs > 0) await sleep(state.delayMs);
    if (res.destroyed || res.writableEnded) return;

    // Verified first so the log says whether the request was right even
    // when a fault answers it.
    let v = null;
    try {
      v = verify(req, body);
      entry.action = v.action;
      entry.signatureMethod = v.method;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      entry.code = e.code;
      entry.message = e.message;
    }

    const f = takeFault();
    if (f) {
      entry.fault = f.mode;
      switch (f.mode) {
        case 'error':
          return json(res, 200, errorBody(f.code || 'InternalError', f.message || 'An internal error occurred.', requestId));
        case 'http500':
          res.writeHead(500, { 'Content-Type': 'text/html' });
          return res.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
        case 'close':
          res.closedByFault = true;
          return req.socket.destroy();
        case 'reset':
          res.closedByFault = true;
          // The TCP socket under the TLS one can send the RST.
          return (req.socket._parent || req.socket).resetAndDestroy();
        case 'hang':
          return undefined;
        case 'badjson':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"Response":{"Credentials":{"Token":"abc","TmpSecretId":');
        case 'badshape':
          return json(res, 200, { Response: { RequestId: requestId } });
        default:
          throw new Error(`unknown fault ${f.mode}`);
      }
    }
    if (!v) return json(res, 200, errorBody(entry.code, entry.message, requestId));
    try {
      const out = issue(v, requestId);
      entry.ok = true;
      entry.policy = credentials.get(out.Response.Credentials.TmpSecretId).policy;
      entry.tmpSecretId = out.Response.Credentials.TmpSecretId;
      return json(res, 200, out);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      entry.code = e.code;
      entry.message = e.message;
      return json(res, 200, errorBody(e.code, e.message, requestId));
    }
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    state.calls++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => {
      state.inFlight--;
      if (!res.writableFinished && !res.closedByFault) state.aborted++;
    });
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { Connection: 'close' });
        res.end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      handle(req, res, Buffer.concat(chunks)).catch((e) => {
        console.error('sts double:', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  server.on('secureConnection', (sock) => {
    state.connections++;
    state.openConnections++;
    sock.on('close', () => { state.openConnections--; });
  });
  // A TLS handshake the client aborts (wrong CA, wrong name) is not an error here.
  server.on('tlsClientError', () => {});

  const listenHost = opts.host || '127.0.0.1';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port || 0, listenHost, () => { server.off('error', reject); resolve(); });
  });
  const port = server.address().port;
  const endpoint = `${listenHost}:${port}`;

  return {
    port,
    host: listenHost,
    endpoint,
    url: `https://${endpoint}`,
    caFile: tls.caFile,
    ca: tls.ca,
    env: () => ({ SGW_CA_FILE: tls.caFile, COS_STS_ENDPOINT: `https://${endpoint}` }),
    credentials,
    lookup: (tmpSecretId) => credentials.get(tmpSecretId),
    expire(tmpSecretId) {
      const rec = credentials.get(tmpSecretId);
      if (!rec) throw new Error(`no credential ${tmpSecretId}`);
      rec.expiredTime = now() - 1;
      rec.expiration = isoSeconds(rec.expiredTime);
    },
    get calls() { return state.calls; },
    get issued() { return state.issued; },
    get lastPolicy() { return state.lastPolicy; },
    get requests() { return state.requests; },
    get connections() { return state.connections; },
    get openConnections() { return state.openConnections; },
    get inFlight() { return state.inFlight; },
    get maxInFlight() { return state.maxInFlight; },
    get aborted() { return state.aborted; },
    get fault() { return state.fault && { ...state.fault }; },
    setFault(mode, { times, code, message } = {}) {
      if (mode === null || mode === undefined || mode === 'none') {
        state.fault = null;
        return;
      }
      if (!FAULTS.includes(mode)) throw new Error(`unknown fault ${mode}; one of ${FAULTS.join(', ')}`);
      if (times !== undefined && !(Number.isInteger(times) && times > 0)) throw new Error('times must be a positive integer');
      state.fault = { mode, times, code, message };
    },
    get delayMs() { return state.delayMs; },
    setDelay(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new Error('delay must be a number of ms >= 0');
      state.delayMs = ms;
    },
    resetStats() {
      Object.assign(state, { calls: 0, issued: 0, connections: 0, maxInFlight: state.inFlight, aborted: 0, requests: [] });
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        if (ownTls) fs.rmSync(tls.dir, { recursive: true, force: true });
        resolve();
      });
    }),
  };
}

module.exports = { createStsDouble, makeTls, decodePolicy, FAULTS, API_VERSION };

// ------------------------------------------------------------------ standalone
if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
  };
  createStsDouble({
    port: Number(opt('--port', 0)),
    host: opt('--host', '127.0.0.1'),
    delayMs: Number(opt('--delay-ms', 0)),
    secretId: opt('--secret-id'),
    secretKey: opt('--secret-key'),
    keep: Number(opt('--keep', 0)) || undefined,
  }).then((sts) => {
    const lookupPort = Number(opt('--lookup-port', 0));
    if (lookupPort) {
      require('node:http').createServer((req, res) => {
        const id = new URL(req.url, 'http://x').searchParams.get('id');
        const rec = id && sts.lookup(id);
        res.writeHead(rec ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(rec || { error: 'no such credential' }));
      }).listen(lookupPort, '127.0.0.1');
    }
    console.log(JSON.stringify({ port: sts.port, url: sts.url, caFile: sts.caFile }));
    const stop = () => sts.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (e) => {
    console.error(`sts double: ${e.message}`);
    process.exit(1);
  });
}
