'use strict';
// SGW_RATE_LIMIT=R with the shipped config, two workers: a client sending
// at 5x the limit for a few seconds gets about R per second through (the
// leaky bucket's bound: 1 + burst plus R per second since its first
// request, counted from the wall clock here, never from the server), every
// refusal is 429 {"error":"rate_limited"} with Retry-After; another client
// (another source address, 127.0.0.2) sending at half the limit meanwhile
// is not refused (a burst of 2 absorbs its timers' jitter: with burst 0 a
// bucket refuses any two requests closer than 1/R); SGW_RATE_LIMIT_BURST
// lets that many more through at once; the same bucket guards /get-sign
// and S3 mode's routes.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('./lib/harness.js');
const { sleep } = require('./lib/redis_server.js');

const RATE = 20;
const BURST = 2;

function get(gw, from, route = '/put-sign?ext=jpg') {
  return new Promise((resolve, reject) => {
    const req = http.request(gw.base + route, { agent: false, localAddress: from }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// Sends `perSecond` requests a second, evenly, for `seconds`; every answer.
async function drive(gw, from, perSecond, seconds) {
  const out = [];
  const start = Date.now();
  const total = Math.round(perSecond * seconds);
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(get(gw, from).then((r) => out.push({ ...r, at: Date.now() - start })));
  }
  await Promise.all(pending);
  return { out, elapsed: (Date.now() - start) / 1000 };
}

test('SGW_RATE_LIMIT: a leaky bucket per client address across workers', async (t) => {
  const gw = await h.start({ workers: 2, env: { SGW_RATE_LIMIT: String(RATE), SGW_RATE_LIMIT_BURST: String(BURST) } });
  t.after(() => gw.stop());

  const [hot, calm] = await Promise.all([
    drive(gw, '127.0.0.1', RATE * 5, 3),
    drive(gw, '127.0.0.2', RATE * 0.5, 3),
  ]);
  const ok = hot.out.filter((r) => r.status === 200).length;
  const refused = hot.out.filter((r) => r.status === 429);
  assert.equal(ok + refused.length, hot.out.length, 'only 200 and 429');
  // At most 1 + burst + R x (the time it sent for), at least most of it.
  const max = 1 + BURST + RATE * hot.elapsed;
  assert.ok(ok <= max + 1, `${ok} allowed in ${hot.elapsed} s, at most ${max}`);
  assert.ok(ok >= RATE * 3 * 0.75, `${ok} allowed in ${hot.elapsed} s, expected about ${RATE * 3}`);
  for (const r of refused) {
    assert.equal(r.json.error, 'rate_limited');
    assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
    assert.equal(r.json.authorization, undefined);
  }
  // The other address was never refused.
  assert.deepEqual([...new Set(calm.out.map((r) => r.status))], [200]);
});

test('SGW_RATE_LIMIT_BURST: that many more at once', async (t) => {
  const gw = await h.start({ workers: 2, env: { SGW_RATE_LIMIT: '1', SGW_RATE_LIMIT_BURST: '4' } });
  t.after(() => gw.stop());
  const all = await Promise.all(Array.from({ length: 10 }, () => get(gw, '127.0.0.1')));
  assert.equal(all.filter((r) => r.status === 200).length, 5, 'burst 4 + 1');
  const other = await get(gw, '127.0.0.2');
  assert.equal(other.status, 200);
});

test('one bucket per address for every signing route, in COS and in S3 mode', async (t) => {
  const env = { SGW_RATE_LIMIT: '0.2', SGW_RATE_LIMIT_BURST: '2' }; // 3 at once, then one per 5 s
  const s3 = { ...env, SGW_STORAGE: 's3', S3_BUCKET: 'bench-bucket', S3_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  for (const [mode, e] of [['COS', env], ['S3', s3]]) {
    const gw = await h.start({ workers: 2, env: e });
    try {
      const routes = ['/put-sign?ext=jpg', '/post-policy?ext=png', '/get-sign?key=uploads/20260101/1_ab.jpg', '/put-sign?ext=jpg'];
      const got = [];
      for (const r of routes) got.push((await get(gw, '127.0.0.1', r)).status);
      assert.deepEqual(got.slice(0, 3).map((x) => x !== 429), [true, true, true], `${mode}: ${got}`);
      assert.equal(got[3], 429, `${mode}: the 4th request of the address: ${got}`);
      assert.notEqual((await get(gw, '127.0.0.2', '/get-sign?key=uploads/20260101/1_ab.jpg')).status, 429, `${mode}: another address`);
    } finally {
      await gw.stop();
    }
  }
});
