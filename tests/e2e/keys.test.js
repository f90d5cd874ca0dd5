'use strict';
// The gateway picks every object key: 2000 of them must all have the
// documented shape, be unique, and use only characters the PUT client can
// put in a URL without encoding.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('./lib/harness.js');

const N = 2000;
const EXTS = ['jpg', 'png', 'mp4', 'heic'];
// uploads/YYYYMMDD/<unix time>_<at least 16 hex>.<ext>
const SHAPE = /^uploads\/(\d{8})\/(\d+)_([0-9a-fA-F]{16,})\.([a-z0-9]+)$/;

function yyyymmdd(unix, utc) {
  const d = new Date(unix * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return utc ? `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`
    : `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
}

test(`${N} keys are well-formed, unique and URL-safe`, async (t) => {
  const gw = await h.start();
  t.after(() => gw.stop());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  t.after(() => agent.destroy());
  const get = (p) => new Promise((resolve, reject) => {
    http.get(gw.base + p, { agent }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => { h.assertNoSecret(text, p); resolve({ status: res.statusCode, text }); });
    }).on('error', reject);
  });

  const t0 = Math.floor(Date.now() / 1000);
  const jobs = [];
  for (let i = 0; i < N; i++) {
    const route = i % 2 ? '/post-policy' : '/put-sign';
    const ext = EXTS[i % EXTS.length];
    jobs.push(get(`${route}?ext=${ext}`).then((r) => ({ ...r, ext })));
  }
  const results = await Promise.all(jobs);
  const t1 = Math.floor(Date.now() / 1000);

  const seen = new Set();
  for (const r of results) {
    assert.equal(r.status, 200, r.text);
    const key = JSON.parse(r.text).cosKey;
    assert.match(key, /^[A-Za-z0-9/_.-]+$/, `only [A-Za-z0-9/_.-]: ${key}`);
    assert.ok(!key.startsWith('/'), key);
    const m = SHAPE.exec(key);
    assert.ok(m, `shape: ${key}`);
    const [, day, unix, , ext] = m;
    assert.equal(ext, r.ext, key);
    assert.ok(Number(unix) >= t0 - 1 && Number(unix) <= t1 + 1, `time ${unix} within the run: ${key}`);
    assert.ok([yyyymmdd(Number(unix), true), yyyymmdd(Number(unix), false)].includes(day), `date matches time: ${key}`);
    assert.ok(!seen.has(key), `duplicate key ${key}`);
    seen.add(key);
  }
  assert.equal(seen.size, N);
});
