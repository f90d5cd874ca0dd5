'use strict';
// Writes s3_vectors.json: fixed S3 SigV4 cases answered by the AWS SDK for
// JavaScript v3 (getSignedUrl, SignatureV4 as the S3 client configures it,
// createPresignedPost; see s3_refs.js). test_s3_vectors.c replays them.
//
//   node tests/oracle/gen_s3_vectors.js   (rewrites the file)
//
// The file is committed with this script; regenerate only on purpose (for
// example after an SDK upgrade) and review the diff.
const fs = require('node:fs');
const path = require('node:path');
const { sdkCase, toolInput, complete, sdkVersion } = require('./s3_refs.js');
const { luaStr } = require('./tool.js');

const base = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  date: 1764388800, // 2025-11-29T04:00:00Z
  bucket: 'examplebucket',
};
const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token==';
const put = (key, extra) => Object.assign({ kind: 'presign', method: 'PUT', key, query: [['x-id', 'PutObject']] }, extra);
const get = (key, extra) => Object.assign({ kind: 'presign', method: 'GET', key, query: [['x-id', 'GetObject']] }, extra);

// Each case: name + the fields that differ from `base`.
const cases = [
  // ---- presigned PUT / GET as a script builds them (getSignedUrl of the
  //      commands, x-id as the SDK adds it)
  put('uploads/20251129/1764388800_0123456789abcdef.jpg', { name: 'PUT, plain key' }),
  get('uploads/a.jpg', { name: 'GET, plain key' }),
  put('上传/图片 😀.jpg', { name: 'unicode key with a space' }),
  put('a b  c.txt', { name: 'spaces' }),
  put('a+b+c.jpg', { name: 'plus' }),
  put("!'()*.txt", { name: "!'()*" }),
  put('k=v&x=y', { name: '= and &' }),
  put('~tilde~.txt', { name: 'tilde' }),
  put('100%.txt', { name: 'percent' }),
  put('%2F%20.txt', { name: 'percent escapes stay text' }),
  put("dir/sub dir/ä ö ü+!'()*=&~%.bin", { name: 'everything at once' }),
  put('/leading-slash', { name: 'leading slash' }),
  put('a//b', { name: 'double slash' }),
  put('dir/', { name: 'trailing slash' }),
  put('?#[]@:;,$"\\<>^`{|}', { name: 'reserved ASCII' }),
  put('\u2028\u00a0\ufeff\uffff𠀀', { name: 'separators, BOM, U+FFFF, astral' }),
  put('k', { name: 'one byte key' }),
  put('x'.repeat(1024), { name: 'key of 1024 bytes' }),
  put('uploads/a.jpg', { name: 'session token', sessionToken: TOKEN }),
  get('uploads/a.jpg', { name: 'GET with session token', sessionToken: TOKEN }),
  put('uploads/a.png', { name: 'signed content-type', headers: [['content-type', 'image/png']] }),
  put('uploads/a.png', { name: 'signed content-length', headers: [['content-length', '12345']] }),
  put('uploads/a.png', { name: 'content-type and content-length',
    headers: [['content-type', 'image/png'], ['content-length', '104857600']] }),
  put('uploads/a.txt', { name: 'content-type with blanks',
    headers: [['content-type', 'text/plain;  charset=utf-8']] }),
  get('uploads/a.jpg', { name: 'GET with the default checksum mode', checksumMode: true,
    query: [['x-id', 'GetObject'], ['x-amz-checksum-mode', 'ENABLED']] }),
  put('a.jpg', { name: 'expires 1 s', expires: 1 }),
  put('a.jpg', { name: 'expires a week', expires: 604800 }),
  put('a.jpg', { name: 'date 1970-01-01', date: 0 }),
  put('a.jpg', { name: 'date 9999-12-31T23:59:59', date: 253402300799 }),
  put('a.jpg', { name: 'leap day 2024', date: 1709208000 }),
  put('a.jpg', { name: 'other region', region: 'ap-southeast-2' }),
  put('a.jpg', { name: 'China region', region: 'cn-north-1' }),
  put('a.jpg', { name: 'bucket with dots: path style on AWS', bucket: 'my.example.bucket' }),
  put('a.jpg', { name: 'legacy bucket name: path style', bucket: 'Legacy_Bucket' }),
  put('a.jpg', { name: 'two-letter bucket: path style', bucket: 'ab' }),
  put('a.jpg', { name: '63-letter bucket: virtual host', bucket: 'b'.repeat(63) }),
  put('a.jpg', { name: 'forced path style on AWS', forcePathStyle: true }),
  put('a b.jpg', { name: 'MinIO on loopback', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
    bucket: 'uploads' }),
  put('a b.jpg', { name: 'loopback without forcing: an IP is path style', endpoint: 'http://127.0.0.1:9000' }),
  put('a.jpg', { name: 'localhost: virtual host', endpoint: 'http://localhost:9000' }),
  put('a.jpg', { name: 'IPv6 loopback', endpoint: 'http://[::1]:9000' }),
  put('a.jpg', { name: 'dotted bucket over plain http: virtual host', endpoint: 'http://minio.internal:9000',
    bucket: 'photos.example.net' }),
  put('a.jpg', { name: 'dotted bucket over https: path style', endpoint: 'https://minio.internal:9000',
    bucket: 'photos.example.net' }),
  put('a.jpg', { name: 'bucket with an IPv4-like run: path style', endpoint: 'http://minio.internal:9000',
    bucket: 'abc.192.168.100.200' }),
  put('a.jpg', { name: 'dotted bucket with a short label: path style', endpoint: 'http://minio.internal:9000',
    bucket: 'abc.de' }),
  put('a.jpg', { name: 'MinIO over https with a port and a base path',
    endpoint: 'https://MinIO.Example.COM:9443/s3', forcePathStyle: true }),
  put('a.jpg', { name: 'base path with trailing slash, virtual', endpoint: 'https://minio.example.com/base/' }),
  put('a.jpg', { name: 'explicit default port', endpoint: 'https://minio.example.com:443' }),
  put('photos/a.jpg', { name: 'Cloudflare R2', region: 'auto',
    endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com', bucket: 'photos' }),
  put('a.jpg', { name: "COS's S3 endpoint", region: 'ap-guangzhou',
    endpoint: 'https://cos.ap-guangzhou.myqcloud.com', bucket: 'examplebucket-1250000000' }),

  // ---- presigned, the request's headers and query given exactly
  { name: 'x-amz-* headers travel in the query (case kept), SSE stays a header', kind: 'presign',
    raw: true, method: 'PUT', key: 'a.jpg',
    headers: [['X-Amz-Meta-Name', 'Zoë 😀'], ['x-amz-acl', 'private'],
      ['x-amz-server-side-encryption', 'AES256'], ['Content-Disposition', 'attachment']] },
  { name: 'query names sorted two ways (by encoded name, by raw UTF-16)', kind: 'presign',
    raw: true, method: 'GET', key: 'a.jpg',
    query: [['z', '1'], ['{', '2'], ['a b', '3'], ['é', '4'], ['😀', '5'], ['\ue000', '6'], ['empty', '']] },
  { name: 'response overrides', kind: 'presign', raw: true, method: 'GET', key: 'a.pdf',
    query: [['response-content-disposition', 'attachment; filename="a b.pdf"'],
      ['response-content-type', 'application/pdf'], ['x-id', 'GetObject']] },
  { name: 'DELETE', kind: 'presign', raw: true, method: 'DELETE', key: 'a.jpg', query: [['x-id', 'DeleteObject']] },
  { name: 'HEAD', kind: 'presign', raw: true, method: 'HEAD', key: 'a.jpg' },
  { name: 'bucket listing', kind: 'presign', raw: true, method: 'GET', key: null,
    query: [['list-type', '2'], ['prefix', 'uploads/']] },
  { name: 'bucket listing, path style', kind: 'presign', raw: true, method: 'GET', key: null,
    forcePathStyle: true, query: [['list-type', '2']] },
  { name: 'service: list buckets', kind: 'presign', raw: true, method: 'GET', bucket: null, key: null },

  // ---- header-signed requests
  { name: "AWS's GET Object example", kind: 'request', raw: true, method: 'GET', key: 'test.txt',
    endpoint: 'https://s3.amazonaws.com', date: 1369353600, headers: [['Range', 'bytes=0-9']] },
  // AWS's PUT Object example also signs a Date header, which the SDK
  // drops (test_s3.c checks the example itself).
  { name: "AWS's PUT Object example without its Date header", kind: 'request', raw: true, method: 'PUT',
    key: 'test$file.text', endpoint: 'https://s3.amazonaws.com', date: 1369353600,
    headers: [['x-amz-storage-class', 'REDUCED_REDUNDANCY']],
    payloadB64: Buffer.from('Welcome to Amazon S3.').toString('base64') },
  { name: "AWS's list objects example", kind: 'request', raw: true, method: 'GET', key: null,
    endpoint: 'https://s3.amazonaws.com', date: 1369353600, query: [['max-keys', '2'], ['prefix', 'J']] },
  { name: 'request with a session token and UNSIGNED-PAYLOAD', kind: 'request', raw: true,
    method: 'PUT', key: 'a b/c.jpg', sessionToken: TOKEN, payloadHash: 'UNSIGNED-PAYLOAD',
    headers: [['content-type', 'image/jpeg'], ['x-amz-meta-a', '1']] },
  { name: 'request with a binary body to MinIO', kind: 'request', raw: true, method: 'PUT',
    key: 'bin/ä.dat', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
    payloadB64: Buffer.from([0, 1, 2, 255, 254, 10, 13]).toString('base64') },
  { name: 'request, ListBuckets', kind: 'request', raw: true, method: 'GET', bucket: null, key: null },
  { name: 'request, other service name', kind: 'request', raw: true, method: 'GET', key: 'a',
    service: 's3-object-lambda' },
  { name: 'request, blanks folded in a signed header', kind: 'request', raw: true, method: 'GET',
    key: 'a', headers: [['x-custom', '  a \t b   c  ']] },

  // ---- POST policies
  { name: 'POST, the gateway shape', kind: 'post', key: 'uploads/20251129/a.jpg', expires: 900,
    conditions: [['content-length-range', 0, 104857600]] },
  { name: 'POST with a session token', kind: 'post', key: 'uploads/a.jpg', sessionToken: TOKEN,
    conditions: [['content-length-range', 1, 1024]] },
  { name: 'POST with fields and extra conditions', kind: 'post', key: 'uploads/a.png',
    fields: [['Content-Type', 'image/png'], ['success_action_status', '201']],
    conditions: [['content-length-range', 0, 5242880], ['starts-with', '$Content-Type', 'image/'],
      { acl: 'private' }] },
  { name: 'POST, a repeated condition is dropped', kind: 'post', key: 'k',
    conditions: [{ bucket: 'examplebucket' }, ['eq', '$key', 'k'], ['eq', '$key', 'k']] },
  { name: 'POST ${filename}', kind: 'post', key: 'uploads/user1/${filename}' },
  { name: 'POST unicode key and escapes', kind: 'post', key: '上传/"q"\\/\u2028\t😀.jpg' },
  { name: 'POST to MinIO (path style)', kind: 'post', key: 'a.jpg', endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true, bucket: 'uploads' },
  { name: 'POST to R2', kind: 'post', key: 'a.jpg', region: 'auto',
    endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com' },
  { name: 'POST expiring in a week', kind: 'post', key: 'a.jpg', expires: 604800 },
];

// The Lua spec's vectors (tests/lua/s3_vectors.lua): signed with the
// S3 credential tests/lua/run.test.js starts signgw with, as gw.s3 options
// next to what the SDK answers.
const LUA_CRED = {
  accessKeyId: 'AKIASGWLUASPEC000001',
  secretAccessKey: 'sgwS3SpecSecretNeverLeaves/0123456789+ab',
  sessionToken: 'FwoGZXIvYXdzSgwSpecSessionToken+/=',
};
const luaCases = [
  { name: 'presigned PUT with a signed content-type', kind: 'presign', method: 'PUT', bucket: 'uploads-bucket',
    key: 'uploads/20251129/上传 a+b.jpg', headers: [['content-type', 'image/jpeg']], query: [['x-id', 'PutObject']],
    lua: { method: 'PUT', bucket: 'uploads-bucket', key: 'uploads/20251129/上传 a+b.jpg',
      headers: { 'content-type': 'image/jpeg' }, query: { 'x-id': 'PutObject' } } },
  { name: 'presigned GET from MinIO on loopback', kind: 'presign', method: 'GET', bucket: 'uploads',
    key: 'u/a.jpg', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, expires: 60,
    query: [['x-id', 'GetObject']],
    lua: { method: 'GET', bucket: 'uploads', key: 'u/a.jpg', endpoint: 'http://127.0.0.1:9000',
      path_style: true, expires: 60, query: { 'x-id': 'GetObject' } } },
  { name: 'POST policy for R2', kind: 'post', bucket: 'photos', key: 'uploads/a.png', region: 'auto',
    endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
    fields: [['Content-Type', 'image/png']],
    conditions: [['content-length-range', 0, 10485760], ['starts-with', '$Content-Type', 'image/']],
    lua: { bucket: 'photos', key: 'uploads/a.png', region: 'auto',
      endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
      fields: { 'Content-Type': 'image/png' }, min_size: 0, max_size: 10485760,
      conditions: [['starts-with', '$Content-Type', 'image/']] } },
  { name: 'header-signed PUT with a body', kind: 'request', raw: true, method: 'PUT', bucket: 'uploads-bucket',
    key: 'reports/r 1.json', region: 'eu-west-1', headers: [['content-type', 'application/json']],
    payloadB64: Buffer.from('{"ok":true}').toString('base64'),
    lua: { method: 'PUT', bucket: 'uploads-bucket', key: 'reports/r 1.json', region: 'eu-west-1',
      headers: { 'content-type': 'application/json' }, body: '{"ok":true}' } },
];

function luaValue(v, indent) {
  if (typeof v === 'string') return luaStr(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const pad = '  '.repeat(indent + 1);
  if (Array.isArray(v)) return `{ ${v.map((x) => luaValue(x, indent + 1)).join(', ')} }`;
  const items = Object.entries(v).map(([k, x]) => `${pad}[${luaStr(k)}] = ${luaValue(x, indent + 1)},`);
  return `{\n${items.join('\n')}\n${'  '.repeat(indent)}}`;
}

async function writeLuaVectors() {
  const out = [];
  for (const c of luaCases) {
    const full = complete(Object.assign({}, base, LUA_CRED, c, { date: 1764388800 }));
    const want = await sdkCase(full);
    const lua = Object.assign({ date: 1764388800 }, c.lua);
    out.push(`  {\n    name = ${luaStr(c.name)},\n    kind = ${luaStr(c.kind)},\n` +
      `    opts = ${luaValue(lua, 2)},\n    expected = ${luaValue(want, 2)},\n  },`);
  }
  const text = [
    '-- Generated by tests/oracle/gen_s3_vectors.js; do not edit by hand.',
    `-- Answered by ${sdkVersion}.`,
    'return {',
    `  access_key_id = ${luaStr(LUA_CRED.accessKeyId)},`,
    `  session_token = ${luaStr(LUA_CRED.sessionToken)},`,
    '  cases = {',
    ...out,
    '  },',
    '}',
    '',
  ].join('\n');
  const file = path.join(__dirname, '..', 'lua', 's3_vectors.lua');
  fs.writeFileSync(file, text);
  console.log(`wrote ${out.length} Lua spec vectors to ${file}`);
}

(async () => {
  await writeLuaVectors();
  const vectors = [];
  for (const c of cases) {
    const full = complete(Object.assign({}, base, c));
    vectors.push({ name: c.name, input: toolInput(full), expected: await sdkCase(full) });
  }
  const out = {
    comment: 'Generated by gen_s3_vectors.js; do not edit by hand.',
    sdk: sdkVersion,
    vectors,
  };
  const file = path.join(__dirname, 's3_vectors.json');
  fs.writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${vectors.length} vectors to ${file}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
