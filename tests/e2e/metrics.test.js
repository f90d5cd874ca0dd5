'use strict';
// GET /metrics, checked by the real Prometheus tools (Debian's prometheus
// package): promtool accepts the exposition; a Prometheus server started
// here on loopback, scraping every second, sees up == 1 and, through its
// query API, signgw_requests_total equal to exactly the requests this test
// sent, split by route and status. Also: metrics.allow (403 for others),
// SGW_METRICS=off, script error kinds, reload counters, connection states,
// script metrics from gw.metrics surviving a reload, and gw.http calls
// counted as outbound requests (against a local HTTP server).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep, freePort } = require('./lib/wait.js');

const CONFIG = path.join(h.CONFIGS, 'observe.lua');
const SLOW = process.env.SGW_SANITIZE === '1' ? 2 : 1;
// The default limits.lua idle timeout (500 ms) would close a scraper's
// keep-alive connection between scrapes; that is fine, but these tests
// hold idle connections on purpose.
const LIMITS = 'idle_timeout_ms=20000,header_timeout_ms=20000,max_connections=500';

// GET on a keep-alive agent (or a fresh connection), from `localAddress`.
function get(base, p, { agent = false, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(base + p, { agent, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        h.assertNoSecret(text, p);
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
  });
}

// Parses the text exposition into { 'name{labels}': value }.
function parse(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

async function scrape(gw) {
  const r = await get(gw.base, '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return { text: r.text, m: parse(r.text) };
}

function promtool(text) {
  return spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
}

test('promtool check metrics accepts /metrics after traffic of every kind; the values count it exactly', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_TEST_LIMITS: LIMITS } });
  t.after(() => gw.stop());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const sent = { ok: 0, bad: 0 };
  for (let i = 0; i < 40; i++) {
    const good = i % 4 !== 0;
    const r = await get(gw.base, `/put-sign?ext=${good ? 'jpg' : 'exe'}`, { agent });
    assert.equal(r.status, good ? 200 : 400);
    sent[good ? 'ok' : 'bad']++;
  }
  assert.equal((await get(gw.base, '/nowhere', { agent })).status, 404);
  assert.equal((await get(gw.base, '/boom', { agent })).status, 500);
  for (const label of ['a', 'b', 'a', 'quote"back\\slash']) {
    assert.equal((await get(gw.base, `/obs/metric?label=${encodeURIComponent(label)}&size=50`, { agent })).status, 200);
  }
  assert.equal((await get(gw.base, '/obs/metric?label=a&level=-2.5&size=5000', { agent })).status, 200);
  agent.destroy();

  const { text, m } = await scrape(gw);
  const check = promtool(text);
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}\n${text}`);
  assert.equal(check.stdout + check.stderr, '', 'no lint remarks');

  assert.equal(m['signgw_requests_total{route="GET /put-sign",status="200"}'], sent.ok);
  assert.equal(m['signgw_requests_total{route="GET /put-sign",status="400"}'], sent.bad);
  assert.equal(m['signgw_requests_total{route="none",status="404"}'], 1);
  assert.equal(m['signgw_requests_total{route="GET /boom",status="500"}'], 1);
  assert.equal(m['signgw_request_duration_seconds_count{route="GET /put-sign"}'], sent.ok + sent.bad);
  assert.equal(m['signgw_script_errors_total{kind="error"}'], 1);
  assert.equal(m['signgw_build_info{version="0.1.0"}'], 1);
  const start = m.signgw_process_start_time_seconds;
  assert.ok(start > Date.now() / 1000 - 120 && start <= Date.now() / 1000, `start time ${start}`);
  assert.equal(m.signgw_generation, 1);
  // Script metrics: the counter by label (escaped), the gauge, the histogram.
  assert.equal(m['e2e_hits_total{label="a"}'], 3);
  assert.equal(m['e2e_hits_total{label="b"}'], 1);
  assert.equal(m['e2e_hits_total{label="quote\\"back\\\\slash"}'], 1);
  assert.equal(m.e2e_level, -2.5);
  assert.equal(m['e2e_size_bytes_bucket{le="10"}'], 0);
  assert.equal(m['e2e_size_bytes_bucket{le="100"}'], 4);
  assert.equal(m['e2e_size_bytes_bucket{le="1000"}'], 4);
  assert.equal(m['e2e_size_bytes_bucket{le="+Inf"}'], 5);
  assert.equal(m.e2e_size_bytes_sum, 4 * 50 + 5000);

  // Defining a metric inside a request is refused.
  const late = await get(gw.base, '/obs/metric?define=1');
  assert.equal(late.json.ok, false);
  assert.match(late.json.err, /define metrics at load time/);
  // Wrong calls raise errors that say what is wrong.
  const mis = (await get(gw.base, '/obs/metric?misuse=1')).json;
  assert.match(mis['counter down'], /a counter only goes up/);
  assert.match(mis['missing labels'], /one value per label/);
  assert.match(mis['too many labels'], /one value per label/);
  assert.match(mis['label not text'], /strings or numbers/);
  assert.match(mis['labels on an unlabelled metric'], /has no labels/);
  assert.match(mis['set on a counter'], /set is not for a counter/);
  assert.match(mis['observe on a gauge'], /observe is not for a gauge/);
  assert.match(mis['inc on a histogram'], /inc is not for a histogram/);
  assert.match(mis['not finite'], /finite/);
  assert.match(mis.infinite, /finite/);
  assert.match(mis['no value'], /number expected/);
  // None of that changed a value.
  const after = parse((await get(gw.base, '/metrics')).text);
  assert.equal(after['e2e_hits_total{label="x"}'], undefined);
  assert.equal(after.e2e_level, -2.5);
});

test('a real Prometheus scraping every second: up == 1 and signgw_requests_total is exactly what was sent', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_TEST_LIMITS: LIMITS } });
  t.after(() => gw.stop());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-prom-'));
  const promPort = await freePort();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    'scrape_configs:',
    '  - job_name: signgw',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${gw.port}']`,
    '',
  ].join('\n'));
  const logFd = fs.openSync(path.join(h.LOG_DIR, 'metrics.prometheus.log'), 'w');
  const prom = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ], { stdio: ['ignore', logFd, logFd] });
  t.after(async () => {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode !== null ? r() : prom.on('exit', r)));
    fs.closeSync(logFd);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const promBase = `http://127.0.0.1:${promPort}`;
  const query = async (q) => {
    const r = await get(promBase, `/api/v1/query?query=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'success', r.text);
    return r.json.data.result;
  };
  const until = async (what, fn, ms) => {
    const t0 = Date.now();
    let last;
    while (Date.now() - t0 < ms) {
      try { last = await fn(); if (last === true) return; } catch (e) { last = e.message; }
      await sleep(250);
    }
    assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
  };

  await until('Prometheus ready', async () => (await get(promBase, '/-/ready')).status === 200, 30000 * SLOW);
  await until('up == 1', async () => {
    const r = await query('up{job="signgw"}');
    return r.length === 1 && r[0].value[1] === '1' ? true : r;
  }, 15000 * SLOW);

  // 1000 good signatures and 37 refused for a bad ext, on a few keep-alive
  // connections spread over both workers.
  const GOOD = 1000, BAD = 37;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const jobs = [];
  for (let i = 0; i < GOOD + BAD; i++) jobs.push(i < GOOD ? 'jpg' : 'php');
  const statuses = { 200: 0, 400: 0 };
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (jobs.length) {
      const ext = jobs.shift();
      const r = await get(gw.base, `/post-policy?ext=${ext}`, { agent });
      statuses[r.status] = (statuses[r.status] || 0) + 1;
    }
  }));
  agent.destroy();
  assert.deepEqual(statuses, { 200: GOOD, 400: BAD });

  await until('Prometheus has the exact counts', async () => {
    const r = await query('sum by (route, status) (signgw_requests_total{route="GET /post-policy"})');
    const got = Object.fromEntries(r.map((s) => [s.metric.status, Number(s.value[1])]));
    return got['200'] === GOOD && got['400'] === BAD && r.length === 2 ? true : got;
  }, 15000 * SLOW);
  const hist = await query('sum(signgw_request_duration_seconds_count{route="GET /post-policy"})');
  assert.equal(Number(hist[0].value[1]), GOOD + BAD);
  const up = await query('up{job="signgw"}');
  assert.equal(up[0].value[1], '1');
  // The scrapes count themselves (each shows the ones before it).
  const scrapes = await query('sum(signgw_requests_total{route="GET /metrics",status="200"})');
  assert.ok(Number(scrapes[0].value[1]) >= 1, JSON.stringify(scrapes));
});

test('metrics.allow: a client outside it gets 403 (shaped by the error policy), one inside gets the metrics', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_TEST_METRICS_ALLOW: '127.0.0.2/32,10.0.0.0/8' } });
  t.after(() => gw.stop());
  const denied = await get(gw.base, '/metrics');
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json.error, 'forbidden');
  const allowed = await get(gw.base, '/metrics', { localAddress: '127.0.0.2' });
  assert.equal(allowed.status, 200);
  const m = parse(allowed.text);
  assert.equal(m['signgw_requests_total{route="GET /metrics",status="403"}'], 1);
  // HEAD: the same headers, no body.
  const head = await new Promise((resolve, reject) => {
    const req = http.request(gw.base + '/metrics', { method: 'HEAD', agent: false, localAddress: '127.0.0.2' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(head.statusCode, 200);
  assert.ok(Number(head.headers['content-length']) > 1000);
});

test('SGW_METRICS=off: no /metrics (404), nothing counted; gw.metrics still works and says so', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_METRICS: 'off' } });
  t.after(() => gw.stop());
  assert.equal((await get(gw.base, '/metrics')).status, 404);
  const r = await get(gw.base, '/obs/metric?label=x&level=1&size=1');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ok: true, enabled: false });
  assert.match(gw.log(), /metrics off/);
  assert.equal((await get(gw.base, '/healthz')).status, 200);
});

test('script errors by kind, reloads and the generation, and script metrics across a reload', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 1, env: { SGW_TEST_LIMITS: LIMITS } });
  t.after(() => gw.stop());
  for (let i = 0; i < 3; i++) assert.equal((await get(gw.base, '/boom')).status, 500);
  for (let i = 0; i < 2; i++) assert.equal((await get(gw.base, '/hard/spin')).status, 500);
  assert.equal((await get(gw.base, '/hard/membomb')).status, 500);
  for (let i = 0; i < 4; i++) await get(gw.base, '/obs/metric?label=r');
  let { m } = await scrape(gw);
  assert.equal(m['signgw_script_errors_total{kind="error"}'], 3);
  assert.equal(m['signgw_script_errors_total{kind="time_budget"}'], 2);
  assert.equal(m['signgw_script_errors_total{kind="memory"}'], 1);
  assert.equal(m['signgw_reloads_total{result="ok"}'], 0);

  gw.child.kill('SIGHUP');
  for (let i = 0; i < 100 && !/generation 2 live/.test(gw.log()); i++) await sleep(50);
  assert.match(gw.log(), /generation 2 live/);
  for (let i = 0; i < 3; i++) await get(gw.base, '/obs/metric?label=r');
  ({ m } = await scrape(gw));
  assert.equal(m['signgw_reloads_total{result="ok"}'], 1);
  assert.equal(m['signgw_reloads_total{result="failed"}'], 0);
  assert.equal(m.signgw_generation, 2);
  assert.equal(m['e2e_hits_total{label="r"}'], 7, 'the counter survived the reload');
  assert.equal(m['signgw_requests_total{route="GET /obs/metric",status="200"}'], 7);
});

test('signgw_connections: idle keep-alive connections and requests in a handler, per state', async (t) => {
  const gw = await h.start({ config: CONFIG, workers: 2, env: { SGW_TEST_LIMITS: LIMITS } });
  t.after(() => gw.stop());
  const idle = [];
  for (let i = 0; i < 3; i++) {
    const c = await h.RawConn.open(gw.port);
    c.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.equal((await c.next()).status, 200);
    idle.push(c);
  }
  const busy = await h.RawConn.open(gw.port);
  busy.write('GET /sleep?ms=2500 HTTP/1.1\r\nHost: t\r\n\r\n');
  const reading = await h.RawConn.open(gw.port);
  reading.write('GET /put-sign?ext=jpg HTTP/1.1\r\nHo');
  await sleep(1500); // every worker has counted its connections since
  const { m } = await scrape(gw);
  assert.equal(m['signgw_connections{state="idle"}'], 3);
  assert.equal(m['signgw_connections{state="reading"}'], 1);
  // The sleeping request and the scrape itself.
  assert.equal(m['signgw_connections{state="active"}'], 2);
  for (const c of [...idle, busy, reading]) c.close();
});

test('gw.http calls are counted and timed as outbound requests, by target and result', async (t) => {
  const seen = [];
  const up = http.createServer((req, res) => {
    seen.push(req.url);
    res.writeHead(req.url.startsWith('/ok') ? 200 : 404);
    res.end('x');
  });
  await new Promise((r) => up.listen(0, '127.0.0.1', r));
  t.after(() => up.close());
  const closed = await freePort();
  const gw = await h.start({ config: path.join(h.CONFIGS, 'outbound.lua'), workers: 2 });
  t.after(() => gw.stop());
  const target = `127.0.0.1:${up.address().port}`;
  const fetch = (url, n = 1) => get(gw.base, `/http/fetch?n=${n}&url=${encodeURIComponent(url)}`);
  assert.equal((await fetch(`http://${target}/ok?token=secret`, 3)).json.status, 200);
  assert.equal((await fetch(`http://user:pw@${target}/missing`)).json.status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${closed}/ok`)).json.kind, 'connect');
  assert.equal(seen.length, 4);
  const { text, m } = await scrape(gw);
  assert.equal(m[`signgw_outbound_requests_total{target="${target}",result="2xx"}`], 3);
  assert.equal(m[`signgw_outbound_requests_total{target="${target}",result="4xx"}`], 1);
  assert.equal(m[`signgw_outbound_requests_total{target="127.0.0.1:${closed}",result="connect"}`], 1);
  assert.equal(m[`signgw_outbound_request_duration_seconds_count{target="${target}"}`], 4);
  assert.ok(m[`signgw_outbound_request_duration_seconds_sum{target="${target}"}`] > 0);
  assert.ok(!text.includes('user:pw') && !text.includes('pw@') && !text.includes('token=secret'), 'no user information or query in the labels');
  const check = promtool(text);
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('signgw -t refuses bad metrics, access_log and health settings with a message naming them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-obs-cfg-'));
  const cases = [
    ['c.metrics = { allow = { "10.0.0.0/33" } }', /metrics\.allow\[1\] must be an address or CIDR block/],
    ['c.metrics = { allow = "127.0.0.1" }', /metrics\.allow must be a list/],
    ['c.metrics = 1', /metrics must be a table/],
    ['c.access_log = 42', /access_log must be "-" \(stdout\), "off" or a file path/],
    ['c.health = { drain_delay_ms = -1 }', /health\.drain_delay_ms must be an integer from 0 to 3600000/],
    ['c.health = { drain_delay_ms = "5" }', /health\.drain_delay_ms must be an integer/],
  ];
  try {
    for (const [line, re] of cases) {
      const config = path.join(dir, 'config.lua');
      fs.writeFileSync(config, h.configOver('test.lua', [line]));
      const r = h.runCli(['-t', '-c', config]);
      assert.equal(r.status, 1, `${line}: ${r.output}`);
      assert.match(r.output, re, line);
    }
    const ok = path.join(dir, 'config.lua');
    fs.writeFileSync(ok, h.configOver('test.lua', ['c.metrics = false', 'c.access_log = "-"', 'c.health = { drain_delay_ms = 5000 }']));
    const r = h.runCli(['-t', '-c', ok]);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gw.redis calls are counted as outbound requests to target "redis", by result (a real redis-server)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-obs-redis-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stopped = new Promise((r) => redis.on('exit', r));
  let out = '';
  redis.stdout.on('data', (d) => { out += d; });
  for (let i = 0; i < 100 && !/Ready to accept connections/.test(out); i++) await sleep(50);
  assert.match(out, /Ready to accept connections/);
  const gw = await h.start({ config: path.join(h.CONFIGS, 'redis.lua'), workers: 1,
    env: { SGW_REDIS_URL: `redis://127.0.0.1:${port}/0` } });
  t.after(async () => {
    await gw.stop();
    if (redis.exitCode === null) { redis.kill('SIGTERM'); await stopped; }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const op = (q) => new Promise((resolve, reject) => {
    const body = JSON.stringify(q);
    const req = http.request(gw.base + '/redis', { method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.equal((await op({ op: 'call', args: ['SET', 'k', 'v'] })).json.value, 'OK');
  assert.equal((await op({ op: 'call', args: ['GET', 'k'] })).json.value, 'v');
  assert.deepEqual((await op({ op: 'pipeline', args: [['INCR', 'n'], ['INCR', 'n']] })).json.value, [1, 2]);
  assert.equal((await op({ op: 'call', args: ['INCR', 'k'] })).json.kind, 'redis'); // not an integer
  redis.kill('SIGTERM');
  await stopped;
  assert.equal((await op({ op: 'call', args: ['GET', 'k'] })).json.kind, 'unavailable');
  const { m } = await scrape(gw);
  assert.equal(m['signgw_outbound_requests_total{target="redis",result="ok"}'], 3);
  assert.equal(m['signgw_outbound_requests_total{target="redis",result="redis"}'], 1);
  assert.equal(m['signgw_outbound_requests_total{target="redis",result="unavailable"}'], 1);
  assert.equal(m['signgw_outbound_request_duration_seconds_count{target="redis"}'], 5);
});
