'use strict';
// The seed's two Mini Program snippets (examples/miniprogram/put.js and
// post.js, unchanged) on the wx shim against signgw in dev mode with no
// COS credentials at all: they reach the dev bucket the way they reach the
// COS stand-in in seed_put/seed_post (https://<cosHost> goes to a local
// port over plain HTTP, Host kept), and their files end up in its data
// directory byte for byte.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness.js');
const { createWx, runSeed } = require('./lib/wx_shim.js');
const { startDev } = require('./lib/devbucket.js');

for (const name of ['put', 'post']) {
  test(`the seed's ${name}.js uploads to the dev bucket`, async (t) => {
    const dev = await startDev(t, { creds: 'none' });
    assert.match(dev.gw.log(), /dev mode: no COS credentials/);
    const media = { name: 'photo.jpg', data: crypto.randomBytes(64 * 1024) };
    const shim = createWx({ gateway: dev.gw.base, cos: { port: dev.bucketPort }, media });
    const modal = await runSeed(path.join(h.ROOT, 'examples', 'miniprogram', `${name}.js`), shim);
    const auth = JSON.parse(shim.requests[0].response.toString('utf8'));
    const why = JSON.stringify({ modal, auth, requests: shim.requests.map((r) => [r.method, r.url, r.status]) });
    assert.equal(modal.title, 'Upload successful', why);
    assert.equal(auth.cosHost, dev.bucketHost, 'cosHost names the dev bucket');
    assert.equal(modal.content, `https://${auth.cosHost}/${auth.cosKey}`);
    const stored = dev.object(auth.cosKey);
    assert.ok(stored && stored.equals(media.data), 'stored bytes equal the chosen file; ' + why);
    assert.deepEqual(dev.objects(), [auth.cosKey]);
    assert.deepEqual(dev.temps(), []);
    const errors = shim.scriptErrors.map(String).filter((e) => !/onProgressUpdate/.test(e));
    assert.deepEqual(errors, []);
  });
}

test('the shipped config, as `./dev run` starts it: dev mode, the page at /, one clear log line', async (t) => {
  const dev = await startDev(t, { creds: 'none', config: path.join(h.ROOT, 'lua', 'config.lua') });
  const lines = dev.gw.log().split('\n').filter((l) => /dev mode|placeholder/.test(l));
  assert.equal(lines.length, 1, 'one line says it: ' + dev.gw.log());
  assert.match(lines[0], /dev mode: no COS credentials, so uploads go to the local dev bucket at http:\/\/127\.0\.0\.1:\d+ /);
  assert.match(lines[0], new RegExp(`open ${dev.gw.base}/ to upload`));
  const page = await h.request(dev.gw.base, '/');
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.match(page.text, /<select name="method"/);
  const js = await h.request(dev.gw.base, '/upload.js');
  assert.match(js.headers['content-type'], /^text\/javascript/);
  assert.match(js.text, /\/put-sign/);
  const auth = (await h.request(dev.gw.base, '/put-sign?ext=jpg')).json;
  assert.equal(auth.cosHost, dev.bucketHost);
});
