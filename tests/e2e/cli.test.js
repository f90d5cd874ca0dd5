'use strict';
// The command line: -h, -V, -t (config and route script check, like
// nginx -t) and starting without credentials.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

test('-h prints usage and exits 0', () => {
  const r = h.runCli(['-h']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /usage/i);
  for (const opt of ['-c', '-l', '-w', '-t', '-h', '-V']) assert.ok(r.output.includes(opt), `${opt} in usage`);
});

test('-V prints the version and exits 0', () => {
  const r = h.runCli(['-V']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /\d+\.\d+\.\d+/);
});

test('an unknown option exits non-zero', () => {
  const r = h.runCli(['-Z']);
  assert.notEqual(r.status, 0, r.output);
});

test('-t accepts the shipped config and the test configs', () => {
  for (const args of [['-t'], ['-t', '-c', path.join(h.ROOT, 'lua', 'config.lua')],
    ...['test.lua', 'bearer.lua', 'envelope.lua'].map((f) => ['-t', '-c', path.join(h.CONFIGS, f)])]) {
    const r = h.runCli(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.output}`);
  }
});

// A throw-away config in a temp dir: the test config plus one route whose
// script is `source`, and `extra` config lines (or all of `configText`).
function brokenSetup(t, source, { extra = [], configText } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config.lua');
  const script = path.join(dir, 'broken_route.lua');
  fs.writeFileSync(script, source);
  fs.writeFileSync(config, configText || [
    'local dir = ...',
    `local c = loadfile(${JSON.stringify(path.join(h.CONFIGS, 'test.lua'))})(${JSON.stringify(h.CONFIGS)})`,
    'c.paths[#c.paths + 1] = dir',
    'c.routes["GET /broken"] = "broken_route"',
    ...extra,
    'return c',
    '',
  ].join('\n'));
  return { config };
}

test('-t on a route script with a syntax error exits 1 and names file:line', (t) => {
  const { config } = brokenSetup(t, 'return function(req, ctx)\n  local x = = 1\nend\n');
  const r = h.runCli(['-t', '-c', config]);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /broken_route\.lua:2\b/, r.output);
});

test('-t on a route script that fails while loading exits 1 and names file:line', (t) => {
  const { config } = brokenSetup(t, '-- fails at load time\nerror("route-load-failure")\n');
  const r = h.runCli(['-t', '-c', config]);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /broken_route\.lua:2\b/, r.output);
});

test('-t on a route whose module does not exist exits 1 and names it', (t) => {
  const { config } = brokenSetup(t, 'return function() end\n', { extra: ['c.routes["GET /gone"] = "no_such_module"'] });
  const r = h.runCli(['-t', '-c', config]);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /no_such_module/, r.output);
});

test('-t on a config with a syntax error exits 1 and names file:line', (t) => {
  const { config } = brokenSetup(t, 'return function() end\n', { configText: 'local dir = ...\nreturn {\n  listen = = 1,\n}\n' });
  const r = h.runCli(['-t', '-c', config]);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /config\.lua:3\b/, r.output);
});

test('without COS_SECRET_ID/COS_SECRET_KEY it starts with placeholder credentials and says so', async (t) => {
  const gw = await h.start({ env: { COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined } });
  t.after(() => gw.stop());
  assert.match(gw.log(), /placeholder/, gw.log());
  const r = await h.request(gw.base, '/put-sign?ext=jpg');
  assert.equal(r.status, 200, r.text);
  assert.ok(!r.json.authorization.includes(h.CREDS.COS_SECRET_ID), 'not signed with the test id');
});
