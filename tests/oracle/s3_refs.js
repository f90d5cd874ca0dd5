'use strict';
// The references SigV4 for S3 is checked against: the AWS SDK for
// JavaScript v3 itself, driven through its public entry points.
//   presign  getSignedUrl (@aws-sdk/s3-request-presigner) of the S3 client
//            command for the case (PutObject, GetObject, DeleteObject,
//            HeadObject, ListObjectsV2, ListBuckets)
//   request  the same command through the client's own middleware stack
//            (endpoint rules, serialisation), signed where the client
//            signs by @smithy/signature-v4's SignatureV4 configured as the
//            S3 client configures it (no path escaping, payload checksum)
//   post     createPresignedPost (@aws-sdk/s3-presigned-post)
//
// A case c (the same object, with conditions as JSON text, is what
// s3_tool and test_s3_vectors read; see s3_json.h):
//   kind            'presign' | 'request' | 'post'
//   accessKeyId, secretAccessKey, sessionToken (null: none)
//   region, service (null: "s3"; request only), endpoint (null: AWS's),
//   forcePathStyle
//   bucket (null: the service), key (null: the bucket)
//   method          PUT GET DELETE HEAD (object); GET otherwise
//   date            unix seconds (signingDate; Date.now for post)
//   expires         X-Amz-Expires / createPresignedPost Expires
//   raw             false: the command as a script would build it: only
//                   content-type / content-length headers (ContentType,
//                   ContentLength), the SDK adds its own query (x-id=...;
//                   the case's `query` must list it for our side);
//                   true: the request's headers and query are replaced by
//                   exactly the case's before signing
//   checksumMode    presign GET, not raw: the client keeps its default
//                   response checksum validation (x-amz-checksum-mode)
//   headers, query  [[name, value], ...]
//   payloadB64, payloadHash (request), fields, conditions (post)
const sdk = {};
try {
  Object.assign(sdk, require('@aws-sdk/client-s3'));
  sdk.getSignedUrl = require('@aws-sdk/s3-request-presigner').getSignedUrl;
  sdk.createPresignedPost = require('@aws-sdk/s3-presigned-post').createPresignedPost;
  sdk.SignatureV4 = require('@smithy/signature-v4').SignatureV4;
  sdk.formatUrl = require('@aws-sdk/core/util').formatUrl;
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  console.error('the AWS SDK is not installed: run `npm ci` in tests/');
  process.exit(1);
}
// The SDK warns once about Node versions it will drop; not our concern.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const sdkVersion = ['client-s3', 's3-request-presigner', 's3-presigned-post']
  .map((p) => `@aws-sdk/${p} ${require(`@aws-sdk/${p}/package.json`).version}`)
  .concat(`@smithy/signature-v4 ${require('@smithy/signature-v4/package.json').version}`)
  .join(', ');

function client(c) {
  const credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  if (c.sessionToken != null) credentials.sessionToken = c.sessionToken;
  const cfg = {
    region: c.region,
    credentials,
    forcePathStyle: !!c.forcePathStyle,
    // Without this every presigned PUT carries the checksum of an empty
    // body, which breaks real uploads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  };
  if (!c.checksumMode) cfg.responseChecksumValidation = 'WHEN_REQUIRED';
  if (c.endpoint != null) cfg.endpoint = c.endpoint;
  return new sdk.S3Client(cfg);
}

function header(c, name) {
  const h = c.headers.find(([n]) => n.toLowerCase() === name);
  return h ? h[1] : undefined;
}

function command(c) {
  if (c.bucket == null) return new sdk.ListBucketsCommand({});
  if (c.key == null) return new sdk.ListObjectsV2Command({ Bucket: c.bucket });
  const input = { Bucket: c.bucket, Key: c.key };
  if (!c.raw) {
    const ct = header(c, 'content-type');
    const cl = header(c, 'content-length');
    if (ct !== undefined) input.ContentType = ct;
    if (cl !== undefined) input.ContentLength = Number(cl);
  }
  switch (c.method) {
    case 'PUT': return new sdk.PutObjectCommand(input);
    case 'GET': return new sdk.GetObjectCommand(input);
    case 'DELETE': return new sdk.DeleteObjectCommand(input);
    case 'HEAD': return new sdk.HeadObjectCommand(input);
    default: throw new Error(`no command for method ${c.method}`);
  }
}

// Replaces the serialised request's headers and query with the case's
// (raw cases), after the SDK has chosen host, port and path.
function exactMiddleware(c) {
  return (next) => async (args) => {
    const host = args.request.headers.host;
    args.request.headers = Object.fromEntries(c.headers);
    if (host !== undefined) args.request.headers.host = host;
    args.request.query = Object.fromEntries(c.query);
    return next(args);
  };
}

const signable = (c) => new Set(c.headers.map(([n]) => n.toLowerCase()));

async function sdkPresign(c) {
  const cl = client(c);
  if (c.raw) cl.middlewareStack.add(exactMiddleware(c), { step: 'build', priority: 'low', name: 'sgwExact' });
  const url = await sdk.getSignedUrl(cl, command(c), {
    expiresIn: c.expires,
    signingDate: new Date(c.date * 1000),
    signableHeaders: signable(c),
  });
  return { url };
}

async function sdkRequest(c) {
  const cl = client(c);
  const signer = new sdk.SignatureV4({
    credentials: cl.config.credentials,
    region: c.region,
    service: c.service == null ? 's3' : c.service,
    sha256: cl.config.sha256,
    uriEscapePath: false, // S3 signs the path as it is sent
    applyChecksum: true,  // and sends x-amz-content-sha256
  });
  const payload = Buffer.from(c.payloadB64, 'base64');
  const sign = () => async (args) => {
    const req = args.request;
    req.headers = Object.fromEntries(c.headers);
    req.headers.host = req.hostname + (req.port ? `:${req.port}` : '');
    if (c.payloadHash != null) req.headers['x-amz-content-sha256'] = c.payloadHash;
    req.query = Object.fromEntries(c.query);
    req.body = payload;
    const signed = await signer.sign(req, {
      signingDate: new Date(c.date * 1000),
      signableHeaders: signable(c),
    });
    return { response: {}, output: { $metadata: {}, signed } };
  };
  const stack = cl.middlewareStack.clone();
  stack.addRelativeTo(sign, { name: 'sgwSign', relation: 'before', toMiddleware: 'awsAuthMiddleware', override: true });
  const cmd = command(c);
  const { output } = await cmd.resolveMiddleware(stack, cl.config, {})({ input: cmd.input });
  const s = output.signed;
  return {
    url: sdk.formatUrl(s),
    authorization: s.headers.authorization,
    host: s.headers.host,
    'x-amz-date': s.headers['x-amz-date'],
    'x-amz-content-sha256': s.headers['x-amz-content-sha256'],
  };
}

async function sdkPost(c) {
  const cl = client(c);
  const realNow = Date.now;
  // createPresignedPost reads the clock once, before its first await.
  Date.now = () => c.date * 1000;
  let p;
  try {
    p = sdk.createPresignedPost(cl, {
      Bucket: c.bucket,
      Key: c.key,
      Conditions: c.conditions,
      Fields: Object.fromEntries(c.fields),
      Expires: c.expires,
    });
  } finally {
    Date.now = realNow;
  }
  const r = await p;
  return { url: r.url, fields: r.fields };
}

function sdkCase(c) {
  if (c.kind === 'presign') return sdkPresign(c);
  if (c.kind === 'request') return sdkRequest(c);
  if (c.kind === 'post') return sdkPost(c);
  throw new Error(`unknown kind ${c.kind}`);
}

// What s3_tool and the vector test read.
function toolInput(c) {
  const o = {
    kind: c.kind,
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken ?? null,
    region: c.region,
    service: c.service ?? null,
    endpoint: c.endpoint ?? null,
    forcePathStyle: !!c.forcePathStyle,
    bucket: c.bucket ?? null,
    key: c.key ?? null,
    method: c.method ?? 'GET',
    date: c.date,
    expires: c.expires ?? 900,
    headers: c.headers ?? [],
    query: c.query ?? [],
  };
  if (c.kind === 'request') {
    o.payloadB64 = c.payloadB64 ?? '';
    o.payloadHash = c.payloadHash ?? null;
  }
  if (c.kind === 'post') {
    o.fields = c.fields ?? [];
    o.conditions = (c.conditions ?? []).map((v) => JSON.stringify(v));
  }
  return o;
}

// Defaults for the optional members, so a case can be written short.
function complete(c) {
  return Object.assign({
    sessionToken: null, service: null, endpoint: null, forcePathStyle: false,
    bucket: null, key: null, method: 'GET', expires: 900, raw: false, checksumMode: false,
    headers: [], query: [], payloadB64: '', payloadHash: null, fields: [], conditions: [],
  }, c);
}

module.exports = { sdkCase, toolInput, complete, sdkVersion };
