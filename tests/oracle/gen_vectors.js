'use strict';
// Writes vectors.json: fixed inputs signed by the official SDK
// (COS.getAuthorization), presigned URLs from the SDK's getObjectUrl, and
// POST policies signed by the independent Node reference in refs.js.
// test_cos_vectors.c replays them against the C code.
//
//   node tests/oracle/gen_vectors.js        (rewrites tests/oracle/vectors.json)
//
// The file is committed with this script; regenerate only on purpose (for
// example after an SDK upgrade) and review the diff.
const fs = require('node:fs');
const path = require('node:path');
const COS = require('cos-nodejs-sdk-v5');
const { sdkAuthorization, postPolicy, stringValues, sdkVersion } = require('./refs.js');

const ID = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE';
const KEY = 'gHfUkFLx8ZzVlnC8xDdEXAMPLEsecretKEY42';
const KT = '1700000000;1700000900';

// Each case: name + the fields that differ from the defaults.
const authCases = [
  { name: 'minimal get', path: 'a.jpg' },
  { name: 'leading slash', path: '/a.jpg' },
  { name: 'empty key signs "/"', path: '' },
  { name: 'only slash', path: '/' },
  { name: 'double slash kept', path: '//a//b/' },
  { name: 'nested path', path: 'dir/sub/file.tar.gz' },
  { name: 'chinese key', path: '上传/图片/照片.jpg' },
  { name: 'emoji key', path: '/😀/🎉 party.png' },
  { name: 'spaces in key', path: 'my file name.txt' },
  { name: 'plus in key', path: 'a+b+c.txt' },
  { name: "sub-delims !'()* in key", path: "x!'()*.txt" },
  { name: 'equals and ampersand in key', path: 'a=b&c=d.txt' },
  { name: 'percent and tilde in key', path: '100%~done%20.txt' },
  { name: 'question and hash in key', path: 'q?x=1#frag' },
  { name: 'control chars in key', path: 'tab\there\nnewline' },
  { name: 'Pathname option', path: '/via/pathname.bin', usePathname: true },
  { name: 'Pathname option without slash', path: 'via/pathname.bin', usePathname: true },
  { name: 'method PUT upper', method: 'PUT', path: 'u.bin' },
  { name: 'method Post mixed', method: 'Post', path: '' },
  { name: 'method delete lower', method: 'delete', path: 'd.bin' },
  { name: 'method HeAd', method: 'HeAd', path: 'h.bin' },
  { name: 'method options', method: 'OPTIONS', path: 'o.bin' },
  { name: 'key time zero', keyTime: '0;0', path: 'z' },
  { name: 'key time equal', keyTime: '1700000000;1700000000', path: 'z' },
  { name: 'key time far future', keyTime: '4102444800;253402300799', path: 'z' },
  { name: 'key time long window', keyTime: '1;9999999999', path: 'z' },
  { name: 'host header', method: 'put', path: 'k.jpg',
    headers: { host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com' } },
  { name: 'Host header capitalised', method: 'put', path: 'k.jpg',
    headers: { Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com' } },
  { name: 'x-cos headers mixed case', method: 'put', path: 'k',
    headers: { 'X-Cos-Meta-Author': 'Zoë', 'x-cos-acl': 'private', 'X-COS-STORAGE-CLASS': 'STANDARD_IA' } },
  { name: 'dropped headers', method: 'put', path: 'k',
    headers: { 'Content-Type': 'image/jpeg', 'User-Agent': 'wx/8.0', 'Cache-Control': 'no-cache',
      Authorization: 'x', Accept: '*/*', 'Content-Language': 'zh', host: 'h.example' } },
  { name: 'all fixed signed headers', method: 'put', path: 'k',
    headers: { 'Content-Disposition': 'attachment; filename="a b.txt"', 'Content-Encoding': 'gzip',
      'Content-Length': 1024, 'Content-MD5': 'rL0Y20zC+Fzt72VPzMSk2A==', Expect: '100-continue',
      Expires: 'Wed, 21 Oct 2026 07:28:00 GMT', 'If-Match': '"etag"', 'If-Modified-Since': 'x',
      'If-None-Match': '*', 'If-Unmodified-Since': 'y', Origin: 'https://servicewechat.com',
      Range: 'bytes=0-99', 'Transfer-Encoding': 'chunked', 'Pic-Operations': '{"is_pic_info":1}' } },
  { name: 'x-cos- anywhere in the name is signed', path: 'k',
    headers: { 'my-x-cos-thing': '1', 'X-CI-Process': 'imageMogr2', 'pre-x-ci-post': '2',
      'x-cos': 'no dash, dropped', 'x-ci': 'dropped', 'xcos-meta': 'dropped' } },
  { name: 'header names differing only in case keep input order', path: 'k',
    headers: { 'x-cos-meta-b': '1', 'X-Cos-Meta-A': 'upper', 'x-cos-meta-a': 'lower' } },
  { name: 'unicode header values', path: 'k',
    headers: { 'x-cos-meta-名字': '张三 😀', 'x-cos-meta-sym': "!'()*~ +=&%/" } },
  { name: 'empty header value', path: 'k', headers: { 'x-cos-meta-empty': '', host: 'h' } },
  { name: 'numeric header value', path: 'k', headers: { 'content-length': 0, 'x-cos-meta-n': 3.5 } },
  { name: 'query simple', path: 'k', query: { uploads: '', partNumber: '1', uploadId: 'abc' } },
  { name: 'query empty and null values', path: 'k', query: { acl: '', tagging: null, versionId: undefined } },
  { name: 'query uppercase names', path: 'k', query: { 'Response-Content-Type': 'text/plain', A: '1', b: '2' } },
  { name: 'query names needing encoding', path: 'k',
    query: { 'a b': '1', 'x+y': '2', "it's": '3', '(p)': '4', 'st*r': '5', 'e=q': '6', 'am&p': '7', 'pc%': '8', '~t': '9' } },
  { name: 'query values needing encoding', path: 'k',
    query: { v: "a b+c!'()*=&%~/?#", w: '中文', x: '😀' } },
  { name: 'query numeric names (JS orders them first)', path: 'k',
    query: { z: '1', 10: 'ten', 2: 'two', a: 'x' } },
  { name: 'raw order differs from encoded order', path: 'k',
    query: { 'a~': '1', 'a中': '2', az: '3', 'a_': '4', 'A-': '5' } },
  { name: 'UTF-16 order differs from code point order', path: 'k',
    query: { '𠀀': 'ext-b', '豈': 'compat', '中': 'bmp', 'ａ': 'fullwidth', '！': 'bang' } },
  { name: 'UTF-16 order in header names', path: 'k',
    headers: { 'x-cos-meta-𠀀': '1', 'x-cos-meta-豈': '2', 'x-cos-meta-中': '3' } },
  { name: 'case-variant query names', path: 'k', query: { Key: 'upper', key: 'lower', KEY: 'caps' } },
  { name: 'punctuation-only names', path: 'k', query: { '[': '1', '_': '2', '`': '3', '^': '4', a: '5' } },
  { name: 'empty query name', path: 'k', query: { '': 'empty-name', a: '1' } },
  { name: 'everything together', method: 'PUT', path: '/上传/a b+c!(1).jpg', keyTime: '1732852800;1732853700',
    headers: { Host: 'b-1250000000.cos.ap-shanghai.myqcloud.com', 'Content-Type': 'image/png',
      'x-cos-security-token': 'tok+en/==', 'x-cos-meta-备注': 'ok' },
    query: { 'x-cos-traffic-limit': '819200', Versioning: '', '名': '值' } },
  { name: 'secret id with symbols', secretId: 'AKID-with_under.score~', path: 'k' },
  { name: 'other secret key', secretKey: 'Another-Secret/Key+With=Symbols', path: 'k' },
];

// POST policy cases. Extra conditions are JSON texts in JSON.stringify form.
const policyBase = {
  secretId: ID, secretKey: KEY, bucket: 'examplebucket-1250000000',
  key: 'uploads/2026/abc123.jpg', start: 1764388800, end: 1764389700,
  minSize: 0, maxSize: 0, securityToken: null, extra: [],
};
const policyCases = [
  { name: 'minimal' },
  { name: 'expiration from the brief', end: 1795924800 },
  { name: 'content-length-range', minSize: 0, maxSize: 10485760 },
  { name: 'content-length-range min', minSize: 1, maxSize: 1 },
  { name: 'security token', securityToken: 'aVeryLongSessionToken+/==' },
  { name: 'extra conditions', extra: ['["starts-with","$Content-Type","image/"]', '{"success_action_status":"200"}'] },
  { name: 'range token and extras', maxSize: 5242880, securityToken: 'tok',
    extra: ['{"x-cos-meta-uid":"42"}', '["eq","$x-cos-storage-class","STANDARD"]'] },
  { name: 'unicode key', key: '上传/图片 😀.jpg' },
  { name: 'quote and backslash in key', key: 'a"b\\c/d.txt' },
  { name: 'control chars in key', key: 'tab\tnl\ncr\rbs\bff\fx\u0001y\u001fz\u007f' },
  { name: 'line separators in key', key: 'ls\u2028ps\u2029end' },
  { name: 'slash not escaped', key: 'a/b/</script>' },
  { name: 'epoch expiration', start: 0, end: 0 },
  { name: 'year 9999', start: 253402300000, end: 253402300799 },
  { name: 'year 10000 (six-digit ISO year)', start: 253402300800, end: 253402300800 },
  { name: 'negative year', start: -62198755200, end: -62198755200 },
  { name: 'leap day', start: 1709164800, end: 1709208000 },
  { name: 'unicode token and extras', securityToken: '令牌', extra: ['{"x-cos-meta-名":"值\\"q\\""}'] },
];

// Presigned URLs: cos.getObjectUrl({Sign: true}) with the clock held at
// PRESIGN_NOW, so the key time is fixed (the SDK starts it a second
// before now). Tokens are letters, digits and "-_.~" (the SDK does not
// encode them; cos.h says why the C code does).
const PRESIGN_NOW = 1700000000500;
const presignBase = {
  secretId: ID, secretKey: KEY, securityToken: null, bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou', method: 'get', key: 'uploads/a.jpg', expires: 900, headers: {}, query: {},
};
const presignCases = [
  { name: 'minimal get' },
  { name: 'put' , method: 'PUT' },
  { name: 'key needing encoding', key: "上传/a b+c!'()*?#&=%.jpg" },
  { name: 'leading slash dropped', key: '/lead/slash.txt' },
  { name: 'two leading slashes', key: '//two.txt' },
  { name: 'token', securityToken: 'tok-en_0123.~abc' },
  { name: 'query parameters', query: { 'response-content-type': 'text/plain; charset=utf-8',
    'response-content-disposition': 'attachment; filename="a b.txt"', versionId: '' } },
  { name: 'unicode and case-variant parameter names', query: { '名': '值', Key: 'u', key: 'l' } },
  { name: 'signed headers, empty and unsigned ones dropped',
    headers: { 'x-cos-meta-a': '1', Range: 'bytes=0-9', 'Content-Type': 'image/png',
      'Cache-Control': 'no-cache', 'x-cos-meta-empty': '' } },
  { name: 'explicit host header', headers: { host: 'cdn.example.com' } },
  { name: 'everything together', method: 'head', key: '目录/文件 1.png', securityToken: 'T0k3n',
    expires: 86400, query: { 'response-expires': 'Wed, 21 Oct 2026 07:28:00 GMT' },
    headers: { 'x-cos-traffic-limit': '819200', 'If-None-Match': '*' } },
];

function presignVector(c) {
  const p = Object.assign({}, presignBase, c);
  const cos = new COS({ SecretId: p.secretId, SecretKey: p.secretKey,
    SecurityToken: p.securityToken || undefined });
  const realNow = Date.now;
  Date.now = () => PRESIGN_NOW;
  return new Promise((resolve, reject) => {
    cos.getObjectUrl({ Bucket: p.bucket, Region: p.region, Key: p.key, Method: p.method,
      Expires: p.expires, Query: p.query, Headers: p.headers, Sign: true }, (err, data) => {
      Date.now = realNow;
      if (err) return reject(err);
      const [start, end] = /q-sign-time=(\d+);(\d+)/.exec(data.Url).slice(1).map(Number);
      resolve(Object.assign({ name: p.name }, p, {
        host: `${p.bucket}.cos.${p.region}.myqcloud.com`,
        headers: stringValues(p.headers), query: stringValues(p.query), start, end, url: data.Url,
      }));
    });
  });
}

function authVector(c) {
  const input = {
    secretId: c.secretId || ID,
    secretKey: c.secretKey || KEY,
    method: c.method || 'get',
    path: c.path,
    usePathname: !!c.usePathname,
    keyTime: c.keyTime || KT,
    headers: c.headers || {},
    query: c.query || {},
  };
  const [start, end] = input.keyTime.split(';').map(Number);
  return {
    name: c.name,
    secretId: input.secretId,
    secretKey: input.secretKey,
    method: input.method,
    path: input.path,
    usePathname: input.usePathname,
    start,
    end,
    keyTime: input.keyTime,
    headers: stringValues(input.headers),
    query: stringValues(input.query),
    authorization: sdkAuthorization(input),
  };
}

function policyVector(c) {
  const p = Object.assign({}, policyBase, c);
  for (const t of p.extra)
    if (JSON.stringify(JSON.parse(t)) !== t) throw new Error('extra not canonical: ' + t);
  return Object.assign(p, postPolicy(p));
}

(async () => {
  const out = {
    comment: 'Generated by gen_vectors.js; do not edit by hand.',
    sdk: 'cos-nodejs-sdk-v5 ' + sdkVersion,
    auth: authCases.map(authVector),
    policy: policyCases.map(policyVector),
    presign: [],
  };
  for (const c of presignCases) out.presign.push(await presignVector(c));
  const file = path.join(__dirname, 'vectors.json');
  fs.writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${out.auth.length} auth + ${out.policy.length} policy + ` +
    `${out.presign.length} presign vectors to ${file}`);
})();
