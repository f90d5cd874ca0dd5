'use strict';
// Seeded random inputs for the COS oracles (live_oracle.js, live_verify.js):
// makeGen(seed) returns the generators, all drawing from one seeded
// stream, so a printed seed reproduces a whole run.
const { stringValues } = require('./refs.js');
const { makeRandom } = require('./tool.js');

function makeGen(seed) {
  // ---------------------------------------------------------------- random
  const { rnd, int, pick, chance, swapCase, randChars } = makeRandom(seed);

  const ASCII_SPECIAL = [...` +!'()*=&%~/-_.?#[]@:;,$"\\<>^\`{|}`];
  const ASCII_ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
  // Valid UTF-16 only (no lone surrogates), and no U+0000 (cos_tool reads C
  // strings). Covers BMP below and above the surrogate block, astral
  // characters (surrogate pairs), line separators and control characters.
  const UNICODE = [
    ...'中文上传图片名值张三', ...'😀🎉👍🏽🇨🇳', '𠀀', '𪛖', '豈', '﨎', ...'ＡａＺ！～',
    ...'éÉßİıΣσςЖж', 'e\u0301', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff',
    '\t', '\n', '\r', '\u0001', '\u001f', '\u007f', '\u0080', '\u00a0',
  ];
  // Header and parameter NAMES: ASCII, or non-ASCII characters that have no
  // case mapping (CJK ideographs in the BMP, the compatibility block above the
  // surrogates and the astral Extension B, CJK and fullwidth punctuation).
  // The C code lower-cases ASCII only, while the SDK sorts and filters names
  // with JS toLowerCase(), which also maps É, Σ, İ...: cos.h documents the
  // ASCII-only choice, so cased non-ASCII names are out of the contract.
  const CASELESS = [...'中名图值上', '𠀀', '𪛖', '豈', '﨎', ...'、。「」！～'];

  function randText(min, max) {
    let s = '';
    for (let n = int(min, max); n > 0; n--) {
      const r = rnd();
      s += pick(r < 0.5 ? ASCII_ALNUM : r < 0.75 ? ASCII_SPECIAL : UNICODE);
    }
    return s;
  }
  function randName(min, max) {
    let s = '';
    for (let n = int(min, max); n > 0; n--) {
      const r = rnd();
      s += pick(r < 0.6 ? ASCII_ALNUM : r < 0.8 ? ASCII_SPECIAL : CASELESS);
    }
    return s === '__proto__' ? 'proto' : s; // clone() in the SDK would eat it
  }

  // ---------------------------------------------------------------- requests
  const SIGNED_FIXED = ['content-disposition', 'content-encoding', 'content-length', 'content-md5',
    'expect', 'expires', 'host', 'if-match', 'if-modified-since', 'if-none-match',
    'if-unmodified-since', 'origin', 'range', 'transfer-encoding', 'pic-operations'];
  const DROPPED = ['content-type', 'user-agent', 'cache-control', 'accept', 'authorization',
    'x-cos', 'x-ci', 'xcos-meta', 'content-language', 'date', 'cookie'];

  function randHeaderName() {
    switch (int(0, 6)) {
      case 0: return swapCase(pick(SIGNED_FIXED));
      case 1: case 2: return swapCase('x-cos-') + randName(0, 8);
      case 3: return swapCase('x-ci-') + randName(0, 6);
      case 4: return randName(1, 4) + swapCase(pick(['x-cos-', 'x-ci-'])) + randName(0, 4);
      case 5: return swapCase(pick(DROPPED));
      default: return randName(0, 10);
    }
  }

  // Adds n random members; sometimes a second member differing only in case,
  // which the SDK keeps apart and orders by insertion (stable sort).
  function randObject(n, nameFn, valueFn) {
    const o = {};
    for (let i = 0; i < n; i++) {
      const name = nameFn();
      o[name] = valueFn();
      if (chance(0.1)) o[swapCase(name)] = valueFn();
    }
    return o;
  }

  function randValue() {
    const r = rnd();
    if (r < 0.1) return '';
    if (r < 0.15) return int(0, 1e9); // the SDK stringifies numbers
    return randText(1, 20);
  }

  function randKeyTime() {
    const start = chance(0.1) ? int(0, 1000) : int(1e9, chance(0.2) ? 1e11 : 4e9);
    const end = chance(0.1) ? start : start + int(1, chance(0.2) ? 1e9 : 86400);
    return start + ';' + end;
  }

  function randPath() {
    if (chance(0.05)) return '';
    let p = chance(0.5) ? '/' : '';
    for (let n = int(1, 4); n > 0; n--) p += randText(0, 12) + (n > 1 ? '/' : '');
    return p;
  }

  // cos_tool signs every line through one signer, which keeps the last
  // SignKey: a few keys and key times recur so that it is reused and replaced
  // in every order. 127 characters is the longest key a signer keeps; 128
  // and 150 are used without being kept; two keys differ only in content.
  const KEY_POOL = [randChars(ASCII_ALNUM, 32, 32), randChars(ASCII_ALNUM, 32, 32),
    randChars(ASCII_ALNUM, 127, 127),
    randChars(ASCII_ALNUM, 128, 128), randChars(ASCII_ALNUM, 150, 150)];
  const KEY_TIME_POOL = ['1700000000;1700000900', '1700000001;1700000900', '1700000000;1700000901'];

  function randAuthCase() {
    return {
      secretId: chance(0.9) ? 'AKID' + randChars(ASCII_ALNUM, 8, 32) : 'AKID-' + randText(1, 8),
      secretKey: chance(0.5) ? pick(KEY_POOL)
        : randChars(ASCII_ALNUM, 24, 40) + (chance(0.2) ? randText(1, 5) : ''),
      method: swapCase(pick(['get', 'put', 'post', 'delete', 'head', 'options', 'patch'])),
      path: randPath(),
      usePathname: chance(0.2),
      keyTime: chance(0.5) ? pick(KEY_TIME_POOL) : randKeyTime(),
      headers: randObject(int(0, 8), randHeaderName, randValue),
      query: randObject(chance(0.3) ? 0 : int(1, 8), () => (chance(0.05) ? '' : randName(1, 10)), randValue),
    };
  }

  // ---------------------------------------------------------------- policies
  const JS_DATE_MAX_S = 8.64e12;

  function randExtra() {
    switch (int(0, 3)) {
      case 0: return JSON.stringify(['starts-with', '$Content-Type', randText(0, 8)]);
      case 1: return JSON.stringify({ success_action_status: pick(['200', '201', '204']) });
      case 2: return JSON.stringify({ ['x-cos-meta-' + randChars(ASCII_ALNUM, 1, 8)]: randText(0, 10) });
      default: return JSON.stringify(['eq', '$key', randText(1, 10)]);
    }
  }

  function randPolicyCase() {
    let start = chance(0.1) ? int(-1e10, 0) : int(0, chance(0.1) ? 3e11 : 4e9);
    let end = Math.min(start + int(0, chance(0.1) ? 1e12 : 86400), JS_DATE_MAX_S);
    if (chance(0.5)) [start, end] = pick(KEY_TIME_POOL).split(';').map(Number);
    const maxSize = chance(0.5) ? int(1, 2 ** 40) : 0;
    const extra = [];
    for (let n = chance(0.5) ? int(1, 3) : 0; n > 0; n--) extra.push(randExtra());
    return {
      secretId: 'AKID' + randChars(ASCII_ALNUM, 8, 32) + (chance(0.1) ? '"\\' : ''),
      secretKey: chance(0.5) ? pick(KEY_POOL) : randChars(ASCII_ALNUM, 24, 40),
      bucket: randChars([...'abcdefghijklmnopqrstuvwxyz0123456789-'], 1, 20) + '-125' + int(1e6, 9999999),
      key: randText(1, 30),
      start,
      end,
      minSize: maxSize ? int(0, maxSize) : 0,
      maxSize,
      securityToken: chance(0.3) ? randText(1, 40) : null,
      extra,
    };
  }

  // What cos_tool reads: the same object with every value as the SDK's
  // string ('' + v), members in the object's own order.
  function toolInput(c) {
    return Object.assign({}, c, { headers: stringValues(c.headers), query: stringValues(c.query) });
  }

  return {
    rnd, int, pick, chance, swapCase, randChars, randText, randName, randHeaderName,
    randObject, randValue, randKeyTime, randPath, randAuthCase, randPolicyCase, toolInput,
    ASCII_ALNUM, KEY_POOL, KEY_TIME_POOL, JS_DATE_MAX_S,
  };
}

module.exports = { makeGen };
