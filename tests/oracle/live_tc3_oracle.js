'use strict';
// Live oracle for TC3-HMAC-SHA256: random requests (actions, services,
// hosts with ports and upper case, regions, timestamps from 1970 to 9999,
// content types, JSON bodies with unicode, raw binary bodies, tokens,
// unicode secret keys) signed by the official SDK's Sign.sign3 (see
// tc3_refs.js) and by our C code (tc3_tool), compared header by header.
//
//   node live_tc3_oracle.js path/to/tc3_tool
//   env: SGW_ORACLE_SEED  (reproduce a run; printed at start)
//        SGW_ORACLE_CASES (default 500)
//
// Prints every mismatch with its inputs and a final "N passed, N failed";
// exits 1 on any failure.
const { sdkTc3, toolInput, sdkVersion } = require('./tc3_refs.js');
const tools = require('./tool.js');

const tool = tools.toolArg('live_tc3_oracle.js', 'tc3_tool');
const seed = tools.seedFromEnv();
const nCases = Math.max(100, Number(process.env.SGW_ORACLE_CASES) || 500);
console.log(`seed ${seed} (rerun with SGW_ORACLE_SEED=${seed}); ${nCases} requests; ` +
  `tencentcloud-sdk-nodejs-common ${sdkVersion}`);

// ---------------------------------------------------------------- random
const { rnd, int, pick, chance, swapCase, randChars } = tools.makeRandom(seed);
function randBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(0, 255);
  return b;
}

const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const LOWER_DIGIT = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const NAME = [...ALNUM, '_', '.', '-'];
// Visible ASCII but ' ', ',' and '/': what a SecretId may hold.
const ID_CHARS = [...'!"#$%&\'()*+-.:;<=>?@[\\]^_`{|}~', ...ALNUM];
const TOKEN_CHARS = [...ALNUM, ...'+/=-_.~!*'];
// Valid UTF-16 only (no lone surrogates), no U+0000 (C strings).
const UNICODE = [
  ...'中文上传图片名值张三', ...'😀🎉👍🏽🇨🇳', '𠀀', '𪛖', '豈', ...'ＡａＺ！～',
  ...'éÉßİıΣσςЖж', 'e\u0301', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff',
  '\t', '\n', '\r', '\u0001', '\u001f', '\u007f', '\u0080', '\u00a0', '"', '\\', '/',
];
function randText(min, max) {
  let s = '';
  for (let n = int(min, max); n > 0; n--) s += pick(chance(0.6) ? ALNUM : UNICODE);
  return s;
}

// ---------------------------------------------------------------- inputs
const ACTIONS = ['GetFederationToken', 'AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity',
  'DescribeInstances', 'GetUserAppId', 'QueryApiKey'];
const SERVICES = ['sts', 'cvm', 'cam', 'cos', 'scf', 'vpc'];
const VERSIONS = ['2018-08-13', '2017-03-12', '2019-01-16', '2021-01-01'];
const REGIONS = ['ap-guangzhou', 'ap-beijing', 'ap-shanghai', 'ap-chengdu', 'na-siliconvalley',
  'eu-frankfurt', 'ap-hongkong', 'ap-singapore'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain',
  'application/octet-stream; charset=utf-8', 'application/x-www-form-urlencoded'];

function randLabel() {
  let l = randChars([...LOWER_DIGIT, '-', '_'], 1, 12);
  if (/^xn--/i.test(l)) l = 'x' + l; // IDNA labels must be valid punycode
  if (/^\d+$|^0x[0-9a-f]*$/i.test(l)) l += 'z'; // last label: not a number
  return l;
}

function randHost() {
  let name;
  switch (int(0, 5)) {
    case 0: name = 'sts.tencentcloudapi.com'; break;
    case 1: name = `sts.${pick(REGIONS)}.tencentcloudapi.com`; break;
    case 2: name = [int(0, 255), int(0, 255), int(0, 255), int(0, 255)].join('.'); break;
    case 3: name = 'localhost'; break;
    default: {
      const labels = [];
      for (let n = int(1, 4); n > 0; n--) labels.push(randLabel());
      name = labels.join('.');
    }
  }
  if (!/^[\d.]+$/.test(name)) {
    if (chance(0.3)) name = swapCase(name);
    if (chance(0.1)) name += '.';
  }
  if (chance(0.4)) name += ':' + int(1, 65535);
  return name;
}

function randTimestamp() {
  switch (int(0, 4)) {
    case 0: return int(0, 253402300799);
    case 1: return int(1.5e9, 2e9);
    case 2: return int(1e4, 1e5) * 86400 + pick([0, 1, 86399]); // day edges
    case 3: return pick([0, 1, 86399, 86400, 951782400, 4107542400, 253402300799]);
    default: return int(0, 4294967295);
  }
}

function randJsonValue(depth) {
  const r = rnd();
  if (depth > 2 || r < 0.4) return randText(0, 20);
  if (r < 0.55) return int(-1e9, 1e9);
  if (r < 0.6) return pick([true, false, null]);
  if (r < 0.8) {
    const a = [];
    for (let n = int(0, 4); n > 0; n--) a.push(randJsonValue(depth + 1));
    return a;
  }
  const o = {};
  for (let n = int(0, 5); n > 0; n--) o[randText(1, 8)] = randJsonValue(depth + 1);
  return o;
}

function randPayload() {
  const r = rnd();
  if (r < 0.05) return Buffer.alloc(0);
  if (r < 0.15) return randBytes(int(1, 2048)); // not UTF-8: hashed as bytes
  if (r < 0.2) return Buffer.from(JSON.stringify({ Policy: randText(20000, 40000) }), 'utf8');
  const body = {
    Name: randText(1, 16),
    Policy: encodeURIComponent(JSON.stringify(randJsonValue(0))),
    DurationSeconds: int(1, 7200),
  };
  if (chance(0.5)) body.Extra = randJsonValue(0);
  return Buffer.from(chance(0.2) ? JSON.stringify(body, null, int(1, 4)) : JSON.stringify(body), 'utf8');
}

function randContentType() {
  if (chance(0.3)) return null;
  let ct = chance(0.8) ? pick(CONTENT_TYPES) : randChars([...ALNUM, ...'/;=-+. '], 1, 40).trim() || 'x';
  if (chance(0.4)) ct = swapCase(ct);
  if (chance(0.2)) ct = randChars([' ', '\t'], 1, 3) + ct + randChars([' ', '\t'], 0, 3);
  return ct;
}

function randSecretKey() {
  let k = chance(0.8) ? randChars(ALNUM, 24, 40) : randChars([...ALNUM, ...'+/= '], 1, 60);
  if (chance(0.2)) k += randText(1, 10);
  return k;
}

function randCase() {
  return {
    secretId: chance(0.8) ? 'AKID' + randChars(ALNUM, 8, 36) : randChars(ID_CHARS, 1, 64),
    secretKey: randSecretKey(),
    token: chance(0.3) ? randChars(TOKEN_CHARS, 1, chance(0.2) ? 4000 : 300) : null,
    service: chance(0.8) ? pick(SERVICES) : randChars(NAME, 1, 20),
    host: randHost(),
    action: chance(0.8) ? pick(ACTIONS) : randChars(NAME, 1, 40),
    version: chance(0.8) ? pick(VERSIONS) : randChars(NAME, 1, 20),
    region: chance(0.15) ? null : chance(0.8) ? pick(REGIONS) : randChars(NAME, 1, 30),
    timestamp: randTimestamp(),
    contentType: randContentType(),
    payload: randPayload(),
  };
}

// ---------------------------------------------------------------- run
const cases = Array.from({ length: nCases }, randCase);
const lines = tools.runTool(tool, cases.map(toolInput));

let passed = 0;
let failed = 0;
cases.forEach((c, i) => {
  const want = JSON.stringify(sdkTc3(c));
  const got = tools.canonicalLine(lines[i]);
  // A short random key could occur in a header by chance; long ones not.
  const leaked = c.secretKey.length >= 16 && lines[i].includes(JSON.stringify(c.secretKey).slice(1, -1));
  if (got === want && !leaked) {
    passed++;
  } else {
    failed++;
    const input = toolInput(c);
    if (input.payloadB64.length > 400) input.payloadB64 = input.payloadB64.slice(0, 400) + '...';
    console.log(`MISMATCH #${i}\n  input: ${JSON.stringify(input)}\n   want: ${want}\n    got: ${got}`);
  }
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
