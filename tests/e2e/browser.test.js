'use strict';
// The upload page (examples/web/) in a real browser: Debian's chromium
// driven headless by playwright-core (never a browser download), against
// signgw in dev mode with no COS credentials.
// - The page at GET / uploads a generated 3 MB file by PUT and by POST;
//   the progress bar moves during the upload (uploads are throttled to
//   4 MB/s so the browser reports progress on the way) and ends at its
//   max; the link it shows downloads the very same bytes (in the page,
//   across origins to the dev bucket, and from Node).
// - A disallowed extension shows the gateway's error as text.
// - The same page served from another origin (another port) uploads only
//   when that origin is in SGW_CORS_ORIGINS; otherwise it says why.
// - Screenshots go to $SGW_ARTIFACT_DIR (build/test-artifacts).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { chromium } = require('playwright-core');
const h = require('./lib/harness.js');
const { startDev } = require('./lib/devbucket.js');

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.SGW_ARTIFACT_DIR || path.join(os.tmpdir(), 'sgw-test-artifacts');
const WEB = path.join(h.ROOT, 'examples', 'web');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

async function browser(t) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  return ctx;
}

// A page with uploads throttled, and a record of the progress bar's values.
async function openPage(ctx, url) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024,
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.evaluate(() => {
    const p = document.getElementById('progress');
    window.progressSeen = [];
    new MutationObserver(() => window.progressSeen.push([p.value, p.max]))
      .observe(p, { attributes: true, attributeFilter: ['value', 'max'] });
  });
  return { page, errors };
}

// Picks the file, chooses the method, uploads; returns what the page shows.
async function upload(page, file, method) {
  await page.evaluate(() => {
    window.progressSeen = [];
    document.querySelector('a.uploaded').hidden = true;
    document.getElementById('error').textContent = '';
  });
  await page.setInputFiles('input[type=file]', file);
  await page.selectOption('select[name=method]', method);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('a.uploaded').hidden ||
    document.getElementById('error').textContent !== '', null, { timeout: 30000 });
  return page.evaluate(() => ({
    href: document.querySelector('a.uploaded').hidden ? null : document.querySelector('a.uploaded').href,
    key: document.querySelector('a.uploaded').textContent,
    error: document.getElementById('error').textContent,
    status: document.getElementById('status').textContent,
    value: document.getElementById('progress').value,
    max: document.getElementById('progress').max,
    seen: window.progressSeen,
  }));
}

test('the page uploads 3 MB by PUT and by POST, shows progress, and its link gives the bytes back', async (t) => {
  const dev = await startDev(t, { creds: 'none' });
  const ctx = await browser(t);
  const { page, errors } = await openPage(ctx, dev.gw.base + '/');
  const data = crypto.randomBytes(3 * 1024 * 1024);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const method of ['put', 'post']) {
    const r = await upload(page, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: data }, method);
    assert.equal(r.error, '', `${method}: ${JSON.stringify(r)}`);
    assert.ok(r.max >= data.length, `${method}: the bar's max is the upload's size (${r.max})`);
    assert.equal(r.value, r.max, `${method}: the bar ends at its max`);
    const moving = r.seen.filter(([v, m]) => v > 0 && v < m);
    assert.ok(moving.length > 0, `${method}: the bar moved during the upload: ${JSON.stringify(r.seen)}`);
    // The link: a presigned GET of the dev bucket, good from the page
    // (a cross-origin fetch) and from Node.
    const inPage = await page.evaluate(async (u) => {
      const res = await fetch(u);
      const d = await crypto.subtle.digest('SHA-256', await res.arrayBuffer());
      return [res.status, Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('')];
    }, r.href);
    assert.deepEqual(inPage, [200, sha256(data)], `${method}: downloaded in the page`);
    const res = await fetch(r.href);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data), `${method}: downloaded from Node`);
    assert.ok(dev.object(r.key).equals(data), `${method}: stored as ${r.key}`);
    await page.screenshot({ path: path.join(ARTIFACTS, `upload-page-${method}.png`), fullPage: true });
  }
  assert.equal(dev.objects().length, 2);
  assert.deepEqual(dev.temps(), []);

  // A file type the gateway does not sign: its error, as text.
  const bad = await upload(page, { name: 'shell.php', mimeType: 'text/plain', buffer: Buffer.from('<?php') }, 'put');
  assert.equal(bad.href, null);
  assert.match(bad.error, /file type not allowed/);
  assert.match(bad.error, /ext_not_allowed/);
  assert.match(bad.error, /HTTP 400/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'upload-page-error.png'), fullPage: true });
  assert.equal(dev.objects().length, 2, 'nothing stored for it');
  assert.deepEqual(errors, [], 'no script errors on the page');
});

// examples/web/ served by a plain static server on its own port, with the
// gateway URL filled in: the one change a real deployment makes.
async function otherOrigin(t, gatewayBase) {
  const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const js = fs.readFileSync(path.join(WEB, 'upload.js'));
  const page = () => html.replace('<meta name="signgw-gateway" content="">',
    `<meta name="signgw-gateway" content="${server.gateway}">`);
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page());
    } else if (req.url === '/upload.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(js);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.gateway = gatewayBase;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => {
    server.close(r);
    server.closeAllConnections(); // the browser's kept-alive ones too
  }));
  server.origin = `http://127.0.0.1:${server.address().port}`;
  return server;
}

test('a page on another origin uploads only when its origin is in SGW_CORS_ORIGINS', async (t) => {
  const site = await otherOrigin(t, '');
  const ctx = await browser(t);
  const data = crypto.randomBytes(256 * 1024);
  for (const listed of [true, false]) {
    const dev = await startDev(t, { creds: 'none', env: listed ? { SGW_CORS_ORIGINS: site.origin } : {} });
    site.gateway = dev.gw.base;
    const { page } = await openPage(ctx, site.origin + '/');
    const r = await upload(page, { name: 'photo.png', mimeType: 'image/png', buffer: data }, listed ? 'post' : 'put');
    if (listed) {
      assert.equal(r.error, '', JSON.stringify(r));
      assert.ok(dev.object(r.key).equals(data), 'stored');
    } else {
      assert.equal(r.href, null);
      assert.match(r.error, /Cannot reach the gateway .*SGW_CORS_ORIGINS/, r.error);
      assert.deepEqual(dev.objects(), [], 'nothing stored');
      await page.screenshot({ path: path.join(ARTIFACTS, 'upload-page-cors-refused.png'), fullPage: true });
    }
    await page.close();
  }
});
