'use strict';
// Live oracle for verification and presigned URLs: what the official SDK
// signs, the C verifier (through cos_tool) accepts, and every single
// change to it is refused for the right reason.
//
//   1. Requests signed by COS.getAuthorization (random methods, paths,
//      headers, query parameters, key times) arrive with that
//      Authorization header: accepted; then one change each: method, path,
//      a signed header changed or gone, an unsigned header changed, a
//      parameter changed or gone, the time before or after the window, an
//      unknown key id, another key.
//   2. Presigned URLs: cos.getObjectUrl({Sign: true}) and cos_tool's
//      presign, given the SDK's key time, must be the same text; the SDK's
//      URL then verifies as a request, and changes to it are refused.
//   3. POST forms with policies from the independent Node reference in
//      refs.js (the SDK has no POST policy function), with conditions the
//      form meets: accepted, and the length range checked at both ends;
//      then changes to the key, the bucket, a field a condition names, the
//      time, the key id, the key, the token, the policy text.
//
//   node live_verify.js path/to/cos_tool
//   env: SGW_ORACLE_SEED, SGW_ORACLE_CASES as for live_oracle.js
//
// Prints every mismatch and a final "N passed, N failed"; exits 1 on any.
const COS = require('cos-nodejs-sdk-v5');
const { sdkAuthorization, postPolicy, stringValues, sdkVersion } = require('./refs.js');
const tools = require('./tool.js');

const tool = tools.toolArg('live_verify.js', 'cos_tool');
const seed = tools.seedFromEnv();
const nAuth = Math.max(100, (Number(process.env.SGW_ORACLE_CASES) || 400) >> 1);
console.log(`seed ${seed} (rerun with SGW_ORACLE_SEED=${seed}); ${nAuth} requests, ` +
  `${nAuth} presigned URLs, ${nAuth} forms; SDK ${sdkVersion}`);
const g = require('./gen.js').makeGen(seed);
const { int, pick, chance, randChars, randText, randName, randValue, ASCII_ALNUM } = g;

// The reasons of signgw/cos_verify.h.
const R = {
  OK: 0, MISSING: 1, MALFORMED: 2, ALGORITHM: 3, UNKNOWN_ID: 4, TOKEN: 5, NOT_YET: 6,
  EXPIRED: 7, HEADER_LIST: 8, PARAM_LIST: 9, SIGNATURE: 10, FORM: 11, POLICY: 12,
  POLICY_UNKNOWN: 13, POLICY_EXPIRED: 14, CONDITION: 15, TOO_SMALL: 16, TOO_LARGE: 17,
};
const reasonName = (rc) => Object.keys(R).find((k) => R[k] === rc) || String(rc);

const camSafe = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
  (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const listName = (name) => camSafe(name).toLowerCase();

let passed = 0;
let failed = 0;
// checks: [{what, input, want}] answered line by line by the tool.
function run(checks) {
  const lines = tools.runTool(tool, checks.map((c) => c.input));
  checks.forEach((c, i) => {
    const got = tools.parseLine(lines[i]);
    const ok = typeof c.want === 'function' ? c.want(got) : got.rc === c.want;
    if (ok) {
      passed++;
      return;
    }
    failed++;
    console.log(`MISMATCH ${c.what}\n  input: ${JSON.stringify(c.input)}\n` +
      `   want: ${typeof c.want === 'function' ? c.wantText : reasonName(c.want)}\n` +
      `    got: ${got.rc !== undefined ? reasonName(got.rc) : JSON.stringify(got)}`);
  });
}

// A changed copy of a string that is still a string of the same kind.
const changed = (s) => s + 'x';

// ---------------------------------------------------------------- requests
function verifyInput(req) {
  return { verify: req };
}

function requestChecks(i) {
  const c = g.randAuthCase();
  // A single parameter named "" is listed as "", which is also the empty
  // list: the format cannot say it, so no signer's request can carry it.
  const qnames = Object.keys(c.query);
  if (qnames.length === 1 && qnames[0] === '') delete c.query[''];
  c.secretId = 'AKID' + randChars(ASCII_ALNUM, 8, 24); // fits q-ak as sent
  const auth = sdkAuthorization(c);
  const headers = Object.entries(stringValues(c.headers))
    .filter(([k]) => k.toLowerCase() !== 'authorization');
  const params = Object.entries(stringValues(c.query));
  const query = (ps) => ps.map(([k, v]) => camSafe(k) + '=' + camSafe(v)).join('&');
  const [start, end] = c.keyTime.split(';').map(Number);
  const headerList = /q-header-list=([^&]*)/.exec(auth)[1];
  const signed = new Set(headerList === '' ? [] : headerList.split(';'));
  const base = {
    method: c.method,
    path: c.path.startsWith('/') ? c.path : '/' + c.path,
    query: query(params),
    headers: [...headers, ['Authorization', auth]],
    now: start,
    ids: { [c.secretId]: { key: c.secretKey } },
  };
  const checks = [];
  const add = (what, change, want) => {
    const req = JSON.parse(JSON.stringify(base));
    change(req);
    checks.push({ what: `request #${i} ${what}`, input: verifyInput(req), want });
  };
  add('as signed', () => {}, R.OK);
  add('at the end of the window', (r) => { r.now = end; }, R.OK);
  add('other method', (r) => { r.method = changed(r.method); }, R.SIGNATURE);
  add('other path', (r) => { r.path = changed(r.path); }, R.SIGNATURE);
  add('before the window', (r) => { r.now = start - 1; }, R.NOT_YET);
  add('after the window', (r) => { r.now = end + 1; }, R.EXPIRED);
  add('unknown key id', (r) => { r.ids = { AKIDsomeoneElse: { key: c.secretKey } }; }, R.UNKNOWN_ID);
  add('other key', (r) => { r.ids[c.secretId].key = changed(c.secretKey); }, R.SIGNATURE);
  add('an unsigned parameter added', (r) => {
    r.query += (r.query ? '&' : '') + 'extra-' + int(0, 1e6) + '=1';
  }, R.OK);
  if (headers.length) {
    const h = int(0, headers.length - 1);
    const isSigned = signed.has(listName(headers[h][0]));
    add(`header ${JSON.stringify(headers[h][0])} changed`,
      (r) => { r.headers[h][1] = changed(r.headers[h][1]); }, isSigned ? R.SIGNATURE : R.OK);
    add(`header ${JSON.stringify(headers[h][0])} gone`,
      (r) => { r.headers.splice(h, 1); }, isSigned ? R.HEADER_LIST : R.OK);
  }
  if (params.length) {
    const p = int(0, params.length - 1);
    add(`param ${JSON.stringify(params[p][0])} changed`, (r) => {
      r.query = query(params.map(([k, v], j) => [k, j === p ? changed(v) : v]));
    }, R.SIGNATURE);
    add(`param ${JSON.stringify(params[p][0])} gone`, (r) => {
      r.query = query(params.filter((_, j) => j !== p));
    }, R.PARAM_LIST);
  }
  return checks;
}

// ---------------------------------------------------------------- presign
const REGIONS = ['ap-guangzhou', 'ap-beijing', 'ap-shanghai', 'ap-singapore'];
const UNRESERVED = [...ASCII_ALNUM, '-', '_', '.', '~'];

function randPresignCase() {
  const headers = {};
  for (let n = int(0, 4); n > 0; n--) {
    const name = pick(['x-cos-meta-' + randChars(ASCII_ALNUM, 1, 6), 'Range', 'If-Match',
      'Content-Type', 'Cache-Control', 'x-cos-traffic-limit']);
    headers[name] = chance(0.2) ? '' : randValue();
  }
  const query = {};
  for (let n = chance(0.4) ? 0 : int(1, 5); n > 0; n--) {
    query[chance(0.3) ? pick(['response-content-type', 'response-content-disposition', 'versionId'])
      : randName(1, 8)] = randValue();
  }
  return {
    secretId: 'AKID' + randChars(ASCII_ALNUM, 8, 24),
    secretKey: randChars(ASCII_ALNUM, 24, 40),
    token: chance(0.3) ? randChars(UNRESERVED, 10, 60) : null,
    bucket: randChars([...'abcdefghijklmnopqrstuvwxyz0123456789'], 1, 12) + '-125' + int(1e6, 9999999),
    region: pick(REGIONS),
    key: chance(0.1) ? '/' + randText(1, 20) : randText(1, 30),
    method: pick(['get', 'GET', 'put', 'head', 'delete']),
    expires: int(1, 86400),
    headers,
    query,
  };
}

function sdkPresign(c) {
  const cos = new COS({ SecretId: c.secretId, SecretKey: c.secretKey,
    SecurityToken: c.token || undefined });
  return new Promise((resolve, reject) => {
    cos.getObjectUrl({ Bucket: c.bucket, Region: c.region, Key: c.key, Method: c.method,
      Expires: c.expires, Query: c.query, Headers: c.headers, Sign: true },
    (err, data) => (err ? reject(err) : resolve(data.Url)));
  });
}

async function presignChecks(i) {
  const c = randPresignCase();
  const url = await sdkPresign(c);
  const host = `${c.bucket}.cos.${c.region}.myqcloud.com`;
  const [start, end] = /q-sign-time=(-?\d+);(-?\d+)/.exec(url).slice(1).map(Number);
  const q = url.indexOf('?');
  const path = decodeURIComponent(url.slice(url.indexOf('/', 'https://'.length), q));
  // What a client sends with the URL: the headers the SDK signed.
  const headers = Object.entries(stringValues(c.headers)).filter(([, v]) => v !== '');
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) headers.push(['Host', host]);
  const ids = { [c.secretId]: c.token ? { key: c.secretKey, token: c.token } : { key: c.secretKey } };
  const base = { method: c.method, path, query: url.slice(q + 1), headers, now: start, ids };
  const checks = [{
    what: `presign #${i} same URL as getObjectUrl`,
    input: { presign: { secretId: c.secretId, secretKey: c.secretKey, securityToken: c.token,
      scheme: 'https', host, method: c.method, key: c.key, start, end,
      headers: stringValues(c.headers), query: stringValues(c.query) } },
    want: (got) => got === url,
    wantText: JSON.stringify(url),
  }];
  const add = (what, change, want) => {
    const req = JSON.parse(JSON.stringify(base));
    change(req);
    checks.push({ what: `presign #${i} ${what}`, input: verifyInput(req), want });
  };
  add("the SDK's URL verifies", () => {}, R.OK);
  add('other method', (r) => { r.method = changed(r.method); }, R.SIGNATURE);
  add('other key', (r) => { r.path = changed(r.path); }, R.SIGNATURE);
  add('other host', (r) => {
    const h = r.headers.find(([k]) => k.toLowerCase() === 'host');
    h[1] = changed(h[1]);
  }, R.SIGNATURE);
  add('expired', (r) => { r.now = end + 1; }, R.EXPIRED);
  add('signature changed', (r) => {
    r.query = r.query.replace(/q-signature=(.)/, (m, ch) => 'q-signature=' + (ch === '0' ? '1' : '0'));
  }, R.SIGNATURE);
  add('the query cut before the parameters', (r) => {
    const at = r.query.indexOf('&', r.query.indexOf('q-signature='));
    if (at >= 0) r.query = r.query.slice(0, at);
  }, c.token ? R.TOKEN : (Object.keys(c.query).length ? R.PARAM_LIST : R.OK));
  if (c.token) {
    add('token missing', (r) => {
      r.query = r.query.replace(/&x-cos-security-token=[^&]*/, '');
    }, R.TOKEN);
  }
  return checks;
}

// ---------------------------------------------------------------- forms
// A policy whose extra conditions the form meets, and that form.
function randFormCase() {
  const p = g.randPolicyCase();
  p.secretId = 'AKID' + randChars(ASCII_ALNUM, 8, 24);
  p.end = Math.max(p.end, p.start);
  const fields = { success_action_status: '200', 'Content-Type': 'image/' + randChars(ASCII_ALNUM, 1, 8) };
  const named = []; // fields a condition names: [field, value that fails]
  p.extra = [];
  for (let n = int(0, 3); n > 0; n--) {
    switch (int(0, 4)) {
      case 0: {
        const prefix = fields['Content-Type'].slice(0, int(0, fields['Content-Type'].length));
        p.extra.push(JSON.stringify(['starts-with', '$Content-Type', prefix]));
        if (prefix) named.push(['Content-Type', 'x' + fields['Content-Type']]);
        break;
      }
      case 1:
        p.extra.push(JSON.stringify({ success_action_status: '200' }));
        named.push(['success_action_status', '201']);
        break;
      case 2: {
        let name;
        do name = 'x-cos-meta-' + randChars(ASCII_ALNUM, 1, 8); while (name in fields);
        fields[name] = randText(0, 10);
        p.extra.push(JSON.stringify({ [name]: fields[name] }));
        named.push([name, changed(fields[name])]);
        break;
      }
      case 3:
        p.extra.push(JSON.stringify(['eq', '$key', p.key]));
        break;
      default:
        p.extra.push(JSON.stringify(['starts-with', '$key', [...p.key].slice(0, int(0, [...p.key].length)).join('')]));
    }
  }
  return { p, fields, named };
}

function formChecks(i) {
  const { p, fields, named } = randFormCase();
  const ref = postPolicy(p);
  const form = [
    ['key', p.key], ['policy', ref.policyB64], ['q-sign-algorithm', 'sha1'],
    ['q-ak', p.secretId], ['q-key-time', ref.keyTime], ['q-signature', ref.signature],
    ...Object.entries(fields),
  ];
  if (p.securityToken != null) form.push(['x-cos-security-token', p.securityToken]);
  const ids = { [p.secretId]: p.securityToken != null
    ? { key: p.secretKey, token: p.securityToken } : { key: p.secretKey } };
  const lengths = p.maxSize > 0 ? [p.minSize, p.maxSize, p.minSize - 1, p.maxSize + 1] : [0, 1e15];
  const lengthWant = p.maxSize > 0 ? [0, 0, R.TOO_SMALL, R.TOO_LARGE] : [0, 0];
  const base = { bucket: p.bucket, fields: form, now: p.start, ids, lengths };
  const checks = [{
    what: `form #${i} as signed, lengths ${JSON.stringify(lengths)}`,
    input: { verifyPost: base },
    want: (got) => got.rc === 0 && JSON.stringify(got.lengths) === JSON.stringify(lengthWant),
    wantText: `OK with lengths ${JSON.stringify(lengthWant)}`,
  }];
  const add = (what, change, want) => {
    const f = JSON.parse(JSON.stringify(base));
    change(f);
    checks.push({ what: `form #${i} ${what}`, input: { verifyPost: f }, want });
  };
  const field = (f, name) => f.fields.find(([k]) => k === name);
  add('at the end', (f) => { f.now = p.end; }, R.OK);
  add('other key', (f) => { field(f, 'key')[1] = changed(p.key); }, R.CONDITION);
  add('other bucket', (f) => { f.bucket = changed(p.bucket); }, R.CONDITION);
  add('expired', (f) => { f.now = p.end + 1; }, R.EXPIRED);
  add('not yet', (f) => { f.now = p.start - 1; }, R.NOT_YET);
  add('unknown key id', (f) => { f.ids = { AKIDsomeoneElse: { key: p.secretKey } }; }, R.UNKNOWN_ID);
  add('other secret key', (f) => { f.ids[p.secretId].key = changed(p.secretKey); }, R.SIGNATURE);
  add('policy text changed', (f) => {
    const text = Buffer.from(ref.policy.replace('"conditions"', '"conditions" '), 'utf8');
    field(f, 'policy')[1] = text.toString('base64');
  }, R.SIGNATURE);
  add('a field twice', (f) => { f.fields.push(['KEY', p.key]); }, R.FORM);
  for (const [name, bad] of named) {
    add(`field ${name} not as the policy says`, (f) => { field(f, name)[1] = bad; }, R.CONDITION);
  }
  if (p.securityToken != null) {
    add('token missing', (f) => {
      f.fields = f.fields.filter(([k]) => k !== 'x-cos-security-token');
    }, R.TOKEN);
  }
  return checks;
}

// ---------------------------------------------------------------- run
(async () => {
  const checks = [];
  for (let i = 0; i < nAuth; i++) checks.push(...requestChecks(i));
  for (let i = 0; i < nAuth; i++) checks.push(...await presignChecks(i));
  for (let i = 0; i < nAuth; i++) checks.push(...formChecks(i));
  run(checks);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
