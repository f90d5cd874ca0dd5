'use strict';
// An S3 stand-in on loopback: the object calls the gateway's clients make
// against a path-style S3-compatible store (as MinIO serves them), checked
// the way S3 checks them, with the AWS SDK's own code deciding signatures:
//
//   PUT /<bucket>/<key>   presigned (query authentication) or header-signed
//   GET /<bucket>/<key>   presigned or header-signed; the stored bytes
//   POST /<bucket>        browser form upload with a SigV4 POST policy
//
// Signatures are recomputed by @smithy/signature-v4 (SignatureV4.presign
// for query authentication, SignatureV4.sign for the Authorization header,
// getSigningKey for POST policies) from what arrived: the raw path, the
// decoded query, the signed headers' values. POST policies are decoded
// and every condition enforced (exact, eq, starts-with,
// content-length-range, bucket), and every form field must be covered by
// a condition, as S3 requires. Presigned URLs expire after X-Amz-Expires;
// with a session token the request must carry it.
//
// Refusals are S3-like XML errors whose <Code> says which check failed:
// SignatureDoesNotMatch, AccessDenied (expired, not yet valid, policy
// condition failed, token missing), InvalidAccessKeyId,
// AuthorizationQueryParametersError, EntityTooLarge, EntityTooSmall,
// NoSuchKey, NoSuchBucket, MalformedPOSTRequest.
const http = require('node:http');
const crypto = require('node:crypto');
const { SignatureV4, getSigningKey } = require('@smithy/signature-v4');
const { S3Client } = require('@aws-sdk/client-s3');
const { multipartParts } = require('./multipart.js');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

class Refused extends Error {
  constructor(code, message, status = 403) {
    super(message);
    this.code = code;
    this.status = status;
  }
}
const refuse = (code, message, status) => { throw new Refused(code, message, status); };

// The hash the S3 client itself signs with.
const Sha256 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  .config.sha256;

// "YYYYMMDDTHHMMSSZ" -> Date, or null.
function amzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

// Raw query string -> [[name, value], ...] decoded (SigV4 clients encode
// spaces as %20; a '+' is a plus).
function parseQuery(q) {
  if (!q) return [];
  return q.split('&').filter((p) => p !== '').map((p) => {
    const i = p.indexOf('=');
    const dec = (s) => { try { return decodeURIComponent(s); } catch (e) { refuse('InvalidArgument', 'bad query encoding', 400); } return ''; };
    return i < 0 ? [dec(p), ''] : [dec(p.slice(0, i)), dec(p.slice(i + 1))];
  });
}

// Splits a multipart/form-data body into { fields (original names), file }.
function parseMultipart(body, contentType) {
  const parts = multipartParts(body, contentType);
  if (!parts) return null;
  const fields = [];
  let file = null;
  for (const p of parts) {
    if (file) return null; // S3 ignores fields after the file; refuse them here
    if (p.filename !== undefined) file = { filename: p.filename, type: p.type, data: p.data };
    else fields.push([p.name, p.data.toString('utf8')]);
  }
  return { fields, file };
}

const xmlEscape = (s) => String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' }[c]));

// opts: { accessKeyId, secretAccessKey, sessionToken (required from
//         clients when set), region, buckets: [name, ...],
//         now () -> ms (default Date.now) }
// standin.log: { method, path, status, code, message, auth }
function createS3Standin(opts) {
  const region = opts.region || 'us-east-1';
  const buckets = new Set(opts.buckets);
  const now = opts.now || (() => Date.now());
  const objects = new Map(); // "<bucket>/<key>" -> { data, contentType }
  const log = [];
  const credentials = { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey };
  if (opts.sessionToken) credentials.sessionToken = opts.sessionToken;
  const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256,
    uriEscapePath: false, applyChecksum: true });

  function checkScope(credential, date) {
    const parts = String(credential || '').split('/');
    if (parts.length !== 5) refuse('AuthorizationQueryParametersError', 'malformed credential');
    const [ak, day, reg, service, term] = parts;
    if (ak !== opts.accessKeyId) refuse('InvalidAccessKeyId', `unknown access key ${ak}`);
    if (!date) refuse('AuthorizationQueryParametersError', 'malformed X-Amz-Date');
    if (day !== date.toISOString().slice(0, 10).replace(/-/g, '')) refuse('SignatureDoesNotMatch', 'scope date differs from X-Amz-Date');
    if (reg !== region) refuse('AuthorizationHeaderMalformed', `region ${reg}, expected ${region}`);
    if (service !== 's3' || term !== 'aws4_request') refuse('AuthorizationQueryParametersError', 'bad credential scope');
  }

  function checkToken(token) {
    if (opts.sessionToken && token !== opts.sessionToken) {
      refuse('InvalidToken', token === undefined ? 'the session token is missing' : 'wrong session token');
    }
  }

  // Query authentication: recomputed by SignatureV4.presign from the
  // request as it arrived.
  async function verifyPresigned(req, rawPath, query) {
    const q = Object.fromEntries(query);
    if (query.length !== Object.keys(q).length) refuse('InvalidArgument', 'repeated query parameter', 400);
    if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') refuse('AuthorizationQueryParametersError', 'X-Amz-Algorithm');
    const date = amzDate(q['X-Amz-Date']);
    checkScope(q['X-Amz-Credential'], date);
    const expires = Number(q['X-Amz-Expires']);
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) refuse('AuthorizationQueryParametersError', 'X-Amz-Expires');
    if (q['X-Amz-Content-Sha256'] !== 'UNSIGNED-PAYLOAD') refuse('AuthorizationQueryParametersError', 'X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD');
    checkToken(q['X-Amz-Security-Token']);
    const t = now();
    if (t > date.getTime() + expires * 1000) refuse('AccessDenied', 'Request has expired');
    if (date.getTime() > t + 15 * 60 * 1000) refuse('AccessDenied', 'Request is not valid yet');
    const signedNames = String(q['X-Amz-SignedHeaders'] || '').split(';');
    if (!signedNames.includes('host')) refuse('AuthorizationQueryParametersError', 'host must be signed');
    const headers = { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' };
    for (const n of signedNames) {
      if (req.headers[n] === undefined) refuse('SignatureDoesNotMatch', `signed header ${n} was not sent`);
      headers[n] = req.headers[n];
    }
    const rest = {};
    for (const [k, v] of query) {
      if (!/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token|Content-Sha256)$/.test(k)) rest[k] = v;
    }
    const [host, port] = String(req.headers.host).split(':');
    // Signed x-amz-* headers stay headers (the presigner moves the others
    // into the query, where they then are).
    const unhoistable = new Set(signedNames.filter((n) => n.startsWith('x-amz-')));
    const signed = await signer.presign({
      method: req.method, protocol: 'http:', hostname: host, port: port ? Number(port) : undefined,
      path: rawPath, query: rest, headers,
    }, { signingDate: date, expiresIn: expires, signableHeaders: new Set(signedNames),
      unhoistableHeaders: unhoistable });
    if (signed.query['X-Amz-SignedHeaders'] !== q['X-Amz-SignedHeaders']) refuse('SignatureDoesNotMatch', 'signed header list differs');
    if (signed.query['X-Amz-Signature'] !== q['X-Amz-Signature']) refuse('SignatureDoesNotMatch', 'signature does not match');
    return q['X-Amz-Credential'].split('/')[0];
  }

  // Authorization header: recomputed by SignatureV4.sign.
  async function verifyHeaderSigned(req, rawPath, query, body) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization);
    if (!m) refuse('AuthorizationHeaderMalformed', 'malformed Authorization', 400);
    const date = amzDate(req.headers['x-amz-date']);
    checkScope(m[1], date);
    checkToken(req.headers['x-amz-security-token']);
    if (Math.abs(now() - date.getTime()) > 15 * 60 * 1000) refuse('RequestTimeTooSkewed', 'x-amz-date too far from now');
    const hash = req.headers['x-amz-content-sha256'];
    if (hash !== 'UNSIGNED-PAYLOAD' && hash !== crypto.createHash('sha256').update(body).digest('hex')) {
      refuse('XAmzContentSHA256Mismatch', 'x-amz-content-sha256 does not match the body', 400);
    }
    const names = m[2].split(';');
    for (const n of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
      if (!names.includes(n)) refuse('AccessDenied', `${n} must be signed`);
    }
    const headers = {};
    for (const n of names) {
      if (req.headers[n] === undefined) refuse('SignatureDoesNotMatch', `signed header ${n} was not sent`);
      headers[n] = req.headers[n];
    }
    const [host, port] = String(req.headers.host).split(':');
    const signed = await signer.sign({
      method: req.method, protocol: 'http:', hostname: host, port: port ? Number(port) : undefined,
      path: rawPath, query: Object.fromEntries(query), headers,
    }, { signingDate: date, signableHeaders: new Set(names) });
    if (signed.headers.authorization !== req.headers.authorization) refuse('SignatureDoesNotMatch', 'signature does not match');
    return m[1].split('/')[0];
  }

  // POST policy: signature by getSigningKey + HMAC, then every condition.
  async function verifyPost(bucket, form) {
    const f = {};
    for (const [k, v] of form.fields) {
      if (f[k.toLowerCase()] !== undefined) refuse('InvalidArgument', `field ${k} repeated`, 400);
      f[k.toLowerCase()] = v;
    }
    const policyB64 = f.policy;
    if (!policyB64) refuse('AccessDenied', 'no Policy field');
    if (f['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256') refuse('InvalidArgument', 'X-Amz-Algorithm', 400);
    const date = amzDate(f['x-amz-date']);
    checkScope(f['x-amz-credential'], date);
    checkToken(f['x-amz-security-token']);
    const day = f['x-amz-credential'].split('/')[1];
    const key = await getSigningKey(Sha256, credentials, day, region, 's3');
    const h = new Sha256(key);
    h.update(Buffer.from(policyB64, 'utf8'));
    const want = Buffer.from(await h.digest()).toString('hex');
    if (want !== f['x-amz-signature']) refuse('SignatureDoesNotMatch', 'policy signature does not match');

    let policy;
    try {
      policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
    } catch (e) {
      refuse('MalformedPOSTRequest', 'policy is not JSON', 400);
    }
    const exp = Date.parse(policy.expiration);
    if (!(exp > now())) refuse('AccessDenied', 'Invalid according to Policy: Policy expired.');
    const covered = new Set();
    let range = null;
    for (const c of policy.conditions || []) {
      if (Array.isArray(c)) {
        const [op, a, b] = c;
        if (op === 'content-length-range') { range = [a, b]; continue; }
        const field = String(a).replace(/^\$/, '').toLowerCase();
        covered.add(field);
        const v = field === 'bucket' ? bucket : f[field];
        if (op === 'eq' && v !== b) refuse('AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "${a}", "${b}"]`);
        if (op === 'starts-with' && !(typeof v === 'string' && v.startsWith(b))) refuse('AccessDenied', `Invalid according to Policy: Policy Condition failed: ["starts-with", "${a}", "${b}"]`);
        if (op !== 'eq' && op !== 'starts-with') refuse('InvalidPolicyDocument', `unknown condition ${op}`, 400);
      } else {
        const [[k, v]] = Object.entries(c);
        const field = k.toLowerCase();
        covered.add(field);
        const got = field === 'bucket' ? bucket : f[field];
        if (got !== v) refuse('AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$${k}", "${v}"]`);
      }
    }
    for (const k of Object.keys(f)) {
      if (k === 'policy' || k === 'x-amz-signature' || k.startsWith('x-ignore-')) continue;
      if (!covered.has(k)) refuse('AccessDenied', `Invalid according to Policy: Extra input fields: ${k}`);
    }
    if (!covered.has('bucket')) refuse('AccessDenied', 'the policy does not name the bucket');
    if (f.bucket !== undefined && f.bucket !== bucket) refuse('AccessDenied', 'the bucket field names another bucket');
    if (!covered.has('key')) refuse('AccessDenied', 'the policy does not name the key');
    const size = form.file.data.length;
    if (range) {
      if (size > range[1]) refuse('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
      if (size < range[0]) refuse('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400);
    }
    return { key: f.key, contentType: f['content-type'], status: f.success_action_status };
  }

  async function handle(req, body) {
    const url = req.url;
    const qi = url.indexOf('?');
    const rawPath = qi < 0 ? url : url.slice(0, qi);
    const query = parseQuery(qi < 0 ? '' : url.slice(qi + 1));
    const slash = rawPath.indexOf('/', 1);
    const bucket = decodeURIComponent(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const key = slash < 0 ? '' : decodeURIComponent(rawPath.slice(slash + 1));
    if (!buckets.has(bucket)) refuse('NoSuchBucket', `no bucket ${bucket}`, 404);

    if (req.method === 'POST' && key === '') {
      const form = parseMultipart(body, req.headers['content-type']);
      if (!form || !form.file) refuse('MalformedPOSTRequest', 'not a multipart form with a file', 400);
      const r = await verifyPost(bucket, form);
      objects.set(`${bucket}/${r.key}`, { data: form.file.data, contentType: r.contentType || 'binary/octet-stream' });
      const status = ['200', '201'].includes(r.status) ? Number(r.status) : 204;
      return { status, body: status === 201 ? `<PostResponse><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(r.key)}</Key></PostResponse>` : '', auth: 'post' };
    }
    if (req.method !== 'PUT' && req.method !== 'GET') refuse('MethodNotAllowed', req.method, 405);
    if (key === '') refuse('InvalidRequest', 'no key', 400);
    let auth;
    if (req.headers.authorization !== undefined) auth = 'header', await verifyHeaderSigned(req, rawPath, query, body);
    else if (query.some(([k]) => k === 'X-Amz-Signature')) auth = 'query', await verifyPresigned(req, rawPath, query);
    else refuse('AccessDenied', 'anonymous access is not allowed');
    if (req.method === 'PUT') {
      objects.set(`${bucket}/${key}`, { data: body, contentType: req.headers['content-type'] || 'binary/octet-stream' });
      return { status: 200, body: '', auth, etag: crypto.createHash('md5').update(body).digest('hex') };
    }
    const o = objects.get(`${bucket}/${key}`);
    if (!o) refuse('NoSuchKey', `no object ${key}`, 404);
    return { status: 200, body: o.data, contentType: o.contentType, auth };
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, path: req.url, headers: req.headers };
      try {
        const r = await handle(req, body);
        Object.assign(entry, { status: r.status, auth: r.auth });
        const headers = {};
        if (r.contentType) headers['Content-Type'] = r.contentType;
        if (r.etag) headers.ETag = `"${r.etag}"`;
        res.writeHead(r.status, headers);
        res.end(r.body);
      } catch (e) {
        if (!(e instanceof Refused)) e = new Refused('InternalError', e.stack || String(e), 500);
        Object.assign(entry, { status: e.status, code: e.code, message: e.message });
        res.writeHead(e.status, { 'Content-Type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error>`);
      }
      log.push(entry);
    });
  });

  return {
    log,
    objects,
    listen() {
      return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
        this.port = server.address().port;
        this.endpoint = `http://127.0.0.1:${this.port}`;
        resolve(this);
      }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { createS3Standin };
