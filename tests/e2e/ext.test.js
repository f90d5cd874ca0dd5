'use strict';
// `ext` is attacker-controlled: anything off the allowlist must get a 400
// ext_not_allowed JSON error and never a signature, on both routes.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const ROUTES = ['/put-sign', '/post-policy'];
const SIGNATURE_FIELDS = ['authorization', 'qSignature', 'policy', 'cosKey', 'securityToken'];
// Raw query strings, sent as written (percent escapes included).
const BAD = {
  exe: '?ext=exe',
  php: '?ext=php',
  'path traversal': '?ext=../x',
  'NUL byte': '?ext=jpg%00.php',
  'double extension': '?ext=jpg.php',
  slash: '?ext=jpg/x',
  empty: '?ext=',
  missing: '',
  'other parameter only': '?type=jpg',
  '300 characters': '?ext=' + 'j'.repeat(300),
  'non-ASCII': '?ext=%E5%9B%BE',
  'encoded dots': '?ext=%2e%2e',
  'encoded slash': '?ext=jpg%2F..',
  'leading space': '?ext=%20jpg',
  'trailing newline': '?ext=jpg%0A',
  'allowed ext with suffix': '?ext=jpgx',
};

let gw;
test.before(async () => { gw = await h.start(); });
test.after(() => gw && gw.stop());

for (const route of ROUTES) {
  for (const [name, query] of Object.entries(BAD)) {
    test(`${route} refuses ${name}`, async () => {
      const r = await h.request(gw.base, route + query);
      assert.equal(r.status, 400, r.text);
      assert.match(r.headers['content-type'] || '', /^application\/json/);
      assert.equal(r.json && r.json.error, 'ext_not_allowed', r.text);
      assert.equal(typeof r.json.message, 'string');
      for (const f of SIGNATURE_FIELDS) assert.equal(r.json[f], undefined, `${f} in ${r.text}`);
      assert.doesNotMatch(r.text, /q-signature|q-sign-algorithm/i);
    });
  }

  test(`${route} accepts JPG and lower-cases it`, async () => {
    const r = await h.request(gw.base, route + '?ext=JPG');
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.cosKey, /\.jpg$/);
    assert.ok(r.json.authorization || r.json.qSignature, r.text);
  });
}
