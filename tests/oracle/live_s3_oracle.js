'use strict';
// Live oracle for S3 SigV4: random presigned URLs (PutObject/GetObject as
// a script builds them, and requests with arbitrary headers and query),
// header-signed requests and POST policies, answered by the AWS SDK for
// JavaScript v3 (see s3_refs.js) and by our C code (s3_tool), compared
// byte for byte. Keys with unicode, spaces, + ! ' ( ) * = & ~ %, slashes;
// session tokens; AWS, MinIO, R2, localhost, IPv4 and IPv6 endpoints with
// ports and base paths; virtual-hosted and path style; dates 1970..9999.
//
//   node live_s3_oracle.js path/to/s3_tool
//   env: SGW_ORACLE_SEED  (reproduce a run; printed at start)
//        SGW_ORACLE_CASES (default 400, at least 200)
//
// Prints every mismatch with its inputs and a final "N passed, N failed";
// exits 1 on any failure.
const crypto = require('node:crypto');
const { sdkCase, toolInput, complete, sdkVersion } = require('./s3_refs.js');
const tools = require('./tool.js');

const tool = tools.toolArg('live_s3_oracle.js', 's3_tool');
const seed = tools.seedFromEnv();
const nCases = Math.max(200, Number(process.env.SGW_ORACLE_CASES) || 400);
console.log(`seed ${seed} (rerun with SGW_ORACLE_SEED=${seed}); ${nCases} cases; ${sdkVersion}`);

// ---------------------------------------------------------------- random
const { rnd, int, pick, chance, swapCase, randChars } = tools.makeRandom(seed);
const utf8Len = (s) => Buffer.byteLength(s, 'utf8');

const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGIT = [...'0123456789'];
const ALNUM = [...LOWER, ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', ...DIGIT];
// The characters the issue names, and the rest of printable ASCII.
const KEY_SPECIAL = [...` +!'()*=&~%/`];
const ASCII_OTHER = [...'-_.?#[]@:;,$"\\<>^`{|}'];
// Valid UTF-16 only (no lone surrogates), no U+0000 (C strings).
const UNICODE = [
  ...'中文上传图片名值张三', ...'😀🎉👍🏽🇨🇳', '𠀀', '𪛖', '豈', ...'ＡａＺ！～',
  ...'éÉßİıΣσςЖж', 'e\u0301', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff', '\ue000',
  '\t', '\n', '\r', '\u0001', '\u001f', '\u007f', '\u0080', '\u00a0',
];
function randText(min, max) {
  let s = '';
  for (let n = int(min, max); n > 0; n--) {
    const r = rnd();
    s += pick(r < 0.5 ? ALNUM : r < 0.75 ? KEY_SPECIAL : r < 0.85 ? ASCII_OTHER : UNICODE);
  }
  return s;
}

// ---------------------------------------------------------------- inputs
const AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1',
  'ap-northeast-1', 'sa-east-1', 'ca-central-1', 'af-south-1', 'me-south-1', 'us-gov-west-1',
  'cn-north-1', 'cn-northwest-1'];
const OTHER_REGIONS = ['auto', 'us-east-1', 'ap-guangzhou', 'minio', 'local', 'garage'];

function randEndpointHost() {
  switch (int(0, 5)) {
    case 0: return '127.0.0.1';
    case 1: return 'localhost';
    case 2: return '[::1]';
    case 3: return `${randChars([...LOWER, ...DIGIT], 32, 32)}.r2.cloudflarestorage.com`;
    case 4: return [int(1, 223), int(0, 255), int(0, 255), int(1, 254)].join('.');
    default: {
      const labels = [];
      for (let n = int(1, 4); n > 0; n--) labels.push(randChars([...LOWER, ...DIGIT, '-', '_'], 1, 12));
      let h = labels.join('.');
      if (/^[\d.]+$/.test(h) || /(^|\.)(\d+|0x[0-9a-f]*)$/i.test(h) || /(^|\.)xn--/i.test(h)) h += 'z';
      return h;
    }
  }
}

function randEndpoint() {
  const https = chance(0.5);
  const host = randEndpointHost();
  let url = (https ? 'https' : 'http') + '://';
  url += /^[\d.[]/.test(host) ? host : chance(0.2) ? swapCase(host) : host;
  const r = rnd();
  if (r < 0.5) url += ':' + int(1, 65535);
  else if (r < 0.6) url += https ? ':443' : ':80';
  if (chance(0.25)) {
    const segs = [];
    for (let n = int(1, 3); n > 0; n--) segs.push(randChars([...ALNUM, '-', '_', '~'], 1, 8));
    url += '/' + segs.join('/');
  }
  if (chance(0.2)) url += '/';
  return url;
}

function randBucket() {
  const r = rnd();
  let b;
  if (r < 0.6) {
    b = randChars([...LOWER, ...DIGIT, '-'], 3, chance(0.1) ? 63 : 20);
  } else if (r < 0.7) {
    b = randChars([...LOWER, ...DIGIT], 1, 10) + '.' + randChars([...LOWER, ...DIGIT, '-', '.'], 1, 20);
  } else if (r < 0.8) {
    b = randChars([...ALNUM, '_', '-', '.'], 3, 30);
  } else if (r < 0.87) {
    b = randChars([...LOWER, ...DIGIT], 1, 2);
  } else if (r < 0.92) {
    b = [int(0, 255), int(0, 255), int(0, 255), int(0, 255)].join('.');
  } else {
    b = randChars([...LOWER, ...DIGIT, '-'], 64, 100);
  }
  // Names we refuse and the SDK sends elsewhere or rejects.
  if (b === '.' || b === '..' || /^xn--/i.test(b) || /--xa?-s3$/.test(b)) b = 'b' + b.replace(/-/g, 'x');
  return b;
}

function randKey() {
  let k;
  const r = rnd();
  if (r < 0.1) k = 'uploads/' + int(20000101, 20991231) + '/' + int(1e9, 2e9) + '_' + randChars([...'0123456789abcdef'], 32, 32) + '.jpg';
  else if (r < 0.15) k = randText(300, 700);
  else k = randText(1, 60);
  while (utf8Len(k) > 1024) k = k.slice(0, -1);
  if (k.length > 0 && /[\ud800-\udbff]$/.test(k)) k = k.slice(0, -1);
  return k.length ? k : 'k';
}

function randDate() {
  switch (int(0, 3)) {
    case 0: return int(0, 253402300799);
    case 1: return int(1.5e9, 2.1e9);
    case 2: return int(1, 2e6) * 86400 - pick([0, 1]); // day edges
    default: return pick([0, 86399, 86400, 951782400, 4107542400, 253402300799]);
  }
}

const HEADER_NAMES = ['content-type', 'content-md5', 'content-disposition', 'content-encoding', 'cache-control',
  'content-language', 'if-match', 'if-none-match', 'range', 'x-amz-acl', 'x-amz-storage-class',
  'x-amz-tagging', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-website-redirect-location', 'content-length'];

function headerValue(hoisted) {
  if (hoisted && chance(0.5)) return randText(0, 30).replace(/[\r\n]/g, ' ');
  let v = randChars([...ALNUM, ...' \t!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'], 0, 40);
  if (chance(0.2)) v = '  ' + v + ' \t';
  return v;
}

function randHeaders(kind, method) {
  const out = [];
  const seen = new Set();
  for (let n = int(0, 5); n > 0; n--) {
    let name = chance(0.7) ? pick(HEADER_NAMES)
      : chance(0.5) ? 'x-amz-meta-' + randChars([...LOWER, ...DIGIT, '-'], 1, 10)
        : 'x-sgw-' + randChars([...LOWER, ...DIGIT, '-'], 1, 10);
    if (name === 'content-length' && (kind !== 'presign' || method !== 'PUT')) continue;
    if (chance(0.3)) name = swapCase(name);
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    const hoisted = kind === 'presign' && /^x-amz-/i.test(name) && !/^x-amz-server-side-encryption/i.test(name);
    out.push([name, name.toLowerCase() === 'content-length' ? String(int(0, 2 ** 40)) : headerValue(hoisted)]);
  }
  return out;
}

const RESERVED_QUERY = /^x-amz-(algorithm|content-sha256|credential|date|expires|security-token|signature|signedheaders)$/i;

function randQuery(headers) {
  const out = [];
  const seen = new Set(headers.map(([n]) => n));
  for (let n = int(0, 5); n > 0; n--) {
    const name = chance(0.4) ? pick(['x-id', 'response-content-type', 'response-content-disposition', 'versionId',
      'partNumber', 'uploadId', 'list-type', 'prefix', 'x-amz-checksum-mode'])
      : randText(1, 12);
    if (seen.has(name) || RESERVED_QUERY.test(name) || name === '__proto__') continue;
    seen.add(name);
    out.push([name, chance(0.1) ? '' : randText(0, 30)]);
  }
  return out;
}

function randToken() {
  return randChars([...ALNUM, ...'+/=-_.~!*'], 1, chance(0.2) ? 4000 : 400);
}

function randSecret() {
  let k = chance(0.8) ? randChars([...ALNUM, '+', '/'], 40, 40) : randText(1, 60);
  while (utf8Len(k) > 256) k = k.slice(0, -1);
  if (/[\ud800-\udbff]$/.test(k)) k = k.slice(0, -1);
  return k || 'k';
}

function randCase(i) {
  const r = rnd();
  const kind = r < 0.5 ? 'presign' : r < 0.75 ? 'request' : 'post';
  const endpoint = chance(0.45) ? null : randEndpoint();
  const c = {
    kind,
    accessKeyId: chance(0.8) ? 'AKIA' + randChars(ALNUM, 16, 16)
      : randChars([...ALNUM, ...'!"#$%&\'()*+-.:;<=>?@[\\]^_`{|}~'], 1, 64),
    secretAccessKey: randSecret(),
    sessionToken: chance(0.3) ? randToken() : null,
    region: endpoint == null ? pick(AWS_REGIONS) : pick(OTHER_REGIONS.concat(AWS_REGIONS)),
    endpoint,
    forcePathStyle: chance(0.3),
    bucket: randBucket(),
    key: randKey(),
    date: randDate(),
    expires: chance(0.3) ? pick([1, 60, 900, 3600, 604800]) : int(1, 604800),
  };
  // The SDK puts dotted buckets in front of an IP address for http
  // endpoints, a URL nothing parses; we use path style there.
  if (endpoint != null && /^http:\/\/[\d[]/.test(endpoint) && c.bucket.includes('.')) c.forcePathStyle = true;
  if (kind === 'presign') {
    c.raw = chance(0.5);
    if (c.raw) {
      c.method = pick(['PUT', 'GET', 'DELETE', 'HEAD']);
      if (chance(0.05)) c.key = null;
      if (c.key == null && chance(0.3)) c.bucket = null;
      if (c.key == null) c.method = 'GET';
      c.headers = randHeaders('presign', c.method);
      c.query = randQuery(c.headers);
    } else {
      c.method = chance(0.6) ? 'PUT' : 'GET';
      c.headers = [];
      if (c.method === 'PUT' && chance(0.4)) c.headers.push(['content-type', pick(['image/jpeg', 'image/png', 'video/mp4', 'application/octet-stream', 'text/plain; charset=utf-8'])]);
      if (c.method === 'PUT' && chance(0.3)) c.headers.push(['content-length', String(int(0, 2 ** 33))]);
      c.query = [['x-id', c.method === 'PUT' ? 'PutObject' : 'GetObject']];
      if (c.method === 'GET' && chance(0.3)) {
        c.checksumMode = true;
        c.query.push(['x-amz-checksum-mode', 'ENABLED']);
      }
    }
  } else if (kind === 'request') {
    c.raw = true;
    c.method = pick(['PUT', 'GET', 'DELETE', 'HEAD']);
    if (chance(0.05)) c.key = null;
    if (c.key == null && chance(0.3)) c.bucket = null;
    if (c.key == null) c.method = 'GET';
    if (chance(0.15)) c.service = randChars([...ALNUM, '-', '_', '.'], 1, 20);
    c.headers = randHeaders('request', c.method);
    c.query = randQuery(c.headers);
    const body = Buffer.alloc(chance(0.3) ? 0 : int(1, 2048));
    for (let j = 0; j < body.length; j++) body[j] = int(0, 255);
    c.payloadB64 = body.toString('base64');
    if (chance(0.3)) c.payloadHash = chance(0.5) ? 'UNSIGNED-PAYLOAD' : crypto.createHash('sha256').update(String(i)).digest('hex');
  } else {
    if (chance(0.15)) c.key = [...c.key].slice(0, 40).join('') + '${filename}';
    while (c.date + c.expires > 253402300799) c.expires = int(1, 604800), c.date = randDate();
    c.fields = [];
    const seen = new Set(['key', 'bucket', 'file', 'policy', '__proto__']);
    for (let n = int(0, 3); n > 0; n--) {
      const name = chance(0.5) ? pick(['Content-Type', 'success_action_status', 'acl', 'Cache-Control',
        'x-amz-meta-name', 'success_action_redirect', 'Content-Disposition']) : randText(1, 12);
      if (seen.has(name.toLowerCase()) || RESERVED_QUERY.test(name) || /^(0|[1-9]\d{0,8})$/.test(name)) continue;
      seen.add(name.toLowerCase());
      c.fields.push([name, randText(0, 30)]);
    }
    c.conditions = [];
    for (let n = int(0, 4); n > 0; n--) {
      const min = int(0, 1e6);
      c.conditions.push(pick([
        ['content-length-range', min, min + int(0, 2 ** 40)],
        ['content-length-range', 0, 9007199254740991],
        ['starts-with', '$Content-Type', randText(0, 10)],
        ['eq', '$acl', 'private'],
        { acl: randText(1, 10) },
        { bucket: c.bucket }, // repeats the bucket's own condition
        { success_action_redirect: 'https://example.com/' + randText(0, 10) },
      ]));
    }
  }
  return complete(c);
}

// ---------------------------------------------------------------- run
(async () => {
  const cases = [];
  const wants = [];
  let skipped = 0;
  for (let i = 0; cases.length < nCases; i++) {
    const c = randCase(i);
    let want;
    try {
      want = await sdkCase(c);
    } catch (e) {
      // An input the SDK itself cannot sign (never expected): counted, and
      // a failure if it happens often.
      skipped++;
      if (skipped <= 5) console.log(`SDK refused case ${JSON.stringify(toolInput(c))}: ${e.message}`);
      continue;
    }
    cases.push(c);
    wants.push(JSON.stringify(want));
  }
  const lines = tools.runTool(tool, cases.map(toolInput));
  let passed = 0;
  let failed = 0;
  const kinds = {};
  cases.forEach((c, i) => {
    const got = tools.canonicalLine(lines[i]);
    // A short random secret could occur in a URL by chance; long ones not.
    const leaked = utf8Len(c.secretAccessKey) >= 16 && lines[i].includes(JSON.stringify(c.secretAccessKey).slice(1, -1));
    if (got === wants[i] && !leaked) {
      passed++;
      kinds[c.kind] = (kinds[c.kind] || 0) + 1;
    } else {
      failed++;
      const input = toolInput(c);
      if (input.payloadB64 && input.payloadB64.length > 200) input.payloadB64 = input.payloadB64.slice(0, 200) + '...';
      console.log(`MISMATCH #${i}${leaked ? ' (secret leaked)' : ''}\n  input: ${JSON.stringify(input)}\n   want: ${wants[i]}\n    got: ${got}`);
    }
  });
  if (skipped > nCases / 20) {
    console.log(`the SDK refused ${skipped} generated cases: the generator is off`);
    failed++;
  }
  console.log(`by kind: ${JSON.stringify(kinds)}; SDK refused ${skipped}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
