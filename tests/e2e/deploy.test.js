'use strict';
// The deployment files in examples/deploy/, checked with the real tools
// and run the way their platform would run them:
//   - systemd: `systemd-analyze verify` passes on the socket and service
//     units with no word of complaint and `systemd-analyze security` rates
//     the service's exposure low; then the service's own command lines,
//     environment (%d as systemd expands it) and credentials
//     (LoadCredential= IDs as files in $CREDENTIALS_DIRECTORY) run under
//     systemd-socket-activate with the socket unit's address: the config
//     check passes, signgw serves TLS signed with the credential files,
//     ExecReload reloads, SIGTERM stops it cleanly;
//   - logrotate parses the snippet and would rotate and signal;
//   - the Dockerfile builds on Debian 12 with ./dev's build packages; its
//     final stage installs the packages of every library the binary needs
//     (readelf, dpkg) and no other library than those the build's -dev
//     packages depend on, no -dev package, runs as non-root, and its
//     HEALTHCHECK command passes against a running signgw;
//   - Kubernetes: the ConfigMap's config and scripts, mounted as the
//     kubelet mounts them (..data symlink), the Secret's files and the
//     Deployment's env and args make a signgw that serves TLS; a
//     ConfigMap update (the ..data swap) reloads it with the new scripts.
// Paths of the target system (/opt/signgw, /etc/signgw, ...) are mapped
// into a temp dir; nothing else in the files is changed.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const https = require('node:https');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const h = require('./lib/harness.js');
const { sleep, freePort } = require('./lib/wait.js');
const { makeTls } = require('./lib/tls.js');

const DEPLOY = path.join(h.ROOT, 'examples', 'deploy');
const SAN = process.env.SGW_SANITIZE === '1';
const SLOW = SAN ? 2 : 1;
const read = (f) => fs.readFileSync(path.join(DEPLOY, f), 'utf8');
// Credentials for the files the units and manifests name: the SecretKey
// is the harness's, so e2e.secrets would find it in any log.
const DEPLOY_ID = 'AKIDsgwDeployFilesTest01';

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-deploy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// [key, value] of every `Key=value` line of a unit's section.
function unitLines(text) {
  return text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

// Our environment without COS_* and the server settings a test may have.
function baseEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(COS_|SGW_(TLS|ACCESS|METRICS|REDIS))/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function get(url, ca) {
  return new Promise((resolve) => {
    https.get(url, { ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        h.assertNoSecret(text, url);
        let json;
        try { json = JSON.parse(text); } catch (e) { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    }).on('error', (e) => resolve({ error: e.message }));
  });
}

async function until(fn, ms, what) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    if (await fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('systemd: systemd-analyze verify passes on the units without a complaint; the service is well confined', (t) => {
  const dir = tmpdir(t);
  // An alternate root with what the units name (the binary, kill) and
  // systemd's own units, so verify checks ours against a whole system.
  const root = path.join(dir, 'root');
  for (const d of ['opt/signgw/bin', 'bin', 'usr/lib/systemd', 'etc/systemd/system']) fs.mkdirSync(path.join(root, d), { recursive: true });
  execFileSync('cp', ['-a', '/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/')]);
  fs.copyFileSync(h.BIN, path.join(root, 'opt/signgw/bin/signgw'));
  fs.chmodSync(path.join(root, 'opt/signgw/bin/signgw'), 0o755);
  fs.copyFileSync('/bin/kill', path.join(root, 'bin/kill'));
  fs.chmodSync(path.join(root, 'bin/kill'), 0o755);
  for (const u of ['signgw.service', 'signgw.socket']) fs.copyFileSync(path.join(DEPLOY, u), path.join(root, 'etc/systemd/system', u));

  const v = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'signgw.socket', 'signgw.service'], { encoding: 'utf8', cwd: dir, timeout: 30000 });
  assert.equal(v.error, undefined, 'systemd-analyze runs');
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal((v.stdout + v.stderr).trim(), '', 'no warnings');

  const s = spawnSync('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, 'signgw.service'], { encoding: 'utf8', cwd: dir, timeout: 30000 });
  const m = /Overall exposure level for signgw\.service: ([\d.]+)/.exec(s.stdout + s.stderr);
  assert.ok(m, s.stdout + s.stderr);
  t.diagnostic(`systemd-analyze security: exposure ${m[1]}`);
  assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]} (OK is below 2)`);

  const svc = unitLines(read('signgw.service'));
  const val = (k) => svc.filter(([key]) => key === k).map(([, v]) => v);
  assert.deepEqual(val('DynamicUser'), ['yes']);
  assert.deepEqual(val('ProtectSystem'), ['strict']);
  assert.deepEqual(val('NoNewPrivileges'), ['yes']);
  assert.deepEqual(val('ExecReload'), ['/bin/kill -HUP $MAINPID']);
});

test('systemd: the service as systemd runs it (socket, environment, credentials) serves TLS with the credential files and reloads', async (t) => {
  const dir = tmpdir(t);
  const svc = unitLines(read('signgw.service'));
  const sock = unitLines(read('signgw.socket'));
  const val = (k) => svc.filter(([key]) => key === k).map(([, v]) => v);
  const listen = sock.find(([k]) => k === 'ListenStream')[1];
  const config = read('config.lua');
  assert.ok(config.includes(`addr = "${listen}"`), `config.lua listens where signgw.socket does (${listen})`);

  // The target system's paths, in the temp dir.
  const port = await freePort();
  const tls = makeTls({ dir: fs.mkdirSync(path.join(dir, 'pki'), { recursive: true }) });
  const map = [
    ['/opt/signgw/bin/signgw', h.BIN],
    ['/opt/signgw/lua', path.join(h.ROOT, 'lua')],
    ['/etc/signgw', path.join(dir, 'etc')],
    ['/etc/ssl/signgw', path.join(dir, 'ssl')],
    ['/var/log/signgw', path.join(dir, 'log')],
    [listen, `127.0.0.1:${port}`],
  ];
  const local = (s) => map.reduce((acc, [a, b]) => acc.split(a).join(b), s);
  for (const d of ['etc/lua', 'ssl', 'log', 'creds']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc', 'config.lua'), local(config));

  // Environment= as systemd sets it, %d being $CREDENTIALS_DIRECTORY.
  const creds = path.join(dir, 'creds');
  const env = {};
  for (const e of val('Environment')) {
    const [k, v] = [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)];
    env[k] = local(v.split('%d').join(creds));
  }
  // Each credential file a variable names is one LoadCredential= brings.
  const loaded = new Map(val('LoadCredential').map((c) => [c.slice(0, c.indexOf(':')), c.slice(c.indexOf(':') + 1)]));
  const values = { COS_SECRET_ID: DEPLOY_ID, COS_SECRET_KEY: h.SECRET_KEY };
  for (const [name, value] of Object.entries(values)) {
    const file = env[`${name}_FILE`];
    assert.ok(file && file.startsWith(creds + '/'), `${name}_FILE is under the credentials directory: ${file}`);
    const id = path.basename(file);
    assert.ok(loaded.has(id), `LoadCredential=${id}:... brings ${name}_FILE's file`);
    assert.match(loaded.get(id), /^\/etc\/signgw\/credentials\//);
    fs.writeFileSync(file, value + '\n', { mode: 0o400 });
  }
  fs.copyFileSync(tls.certFile, env.SGW_TLS_CERT);
  fs.copyFileSync(tls.keyFile, env.SGW_TLS_KEY);
  env.CREDENTIALS_DIRECTORY = creds;
  const runEnv = baseEnv(env);

  const words = (line) => local(line).split(/\s+/);
  const pre = words(val('ExecStartPre')[0]);
  const check = spawnSync(pre[0], pre.slice(1), { env: runEnv, encoding: 'utf8', timeout: 10000 });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /TLS certificates OK/);

  const start = words(val('ExecStart')[0]);
  const logFile = path.join(h.LOG_DIR, `${h.TEST_NAME}.unit.log`);
  fs.mkdirSync(h.LOG_DIR, { recursive: true });
  const out = fs.openSync(logFile, 'w');
  const pass = Object.keys(env).flatMap((k) => ['-E', k]);
  const child = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, ...pass, ...start],
    { env: runEnv, stdio: ['ignore', out, out] });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  t.after(() => { child.kill('SIGKILL'); fs.closeSync(out); });
  const log = () => fs.readFileSync(logFile, 'utf8');
  await until(() => /Listening on 127\.0\.0\.1:\d+ as 3/.test(log()), 5000 * SLOW, 'the socket');

  // The first connection starts signgw (Accept=no) and waits in the backlog.
  const r = await get(`https://127.0.0.1:${port}/put-sign?ext=jpg`, tls.ca);
  assert.equal(r.status, 200, JSON.stringify(r) + log());
  assert.match(r.json.authorization, new RegExp(`q-ak=${DEPLOY_ID}&`), 'signed with the credential file');
  await until(() => /on the socket passed by socket activation/.test(log()), 5000 * SLOW, 'the socket log line');

  const reload = val('ExecReload')[0].replace('$MAINPID', String(child.pid)).split(/\s+/);
  assert.equal(spawnSync(reload[0], reload.slice(1)).status, 0);
  await until(() => /reload: generation 2 live \(SIGHUP\)/.test(log()), 5000 * SLOW, 'the reload');
  assert.equal((await get(`https://127.0.0.1:${port}/post-policy?ext=png`, tls.ca)).status, 200);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, log());
  assert.match(log(), /\bstopped\b/);
});

test('logrotate: the snippet parses, would rotate the access log and signal signgw', (t) => {
  const dir = tmpdir(t);
  const logFile = path.join(dir, 'access.log');
  fs.writeFileSync(logFile, '{"status":200}\n');
  const conf = path.join(dir, 'signgw');
  fs.writeFileSync(conf, read('logrotate.conf').split('/var/log/signgw/access.log').join(logFile));
  const r = spawnSync('logrotate', ['--debug', '--force', '--state', path.join(dir, 'state'), conf], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.error, undefined, 'logrotate runs');
  const outText = r.stdout + r.stderr;
  assert.equal(r.status, 0, outText);
  assert.doesNotMatch(outText, /error:/);
  assert.match(outText, /renaming .*access\.log to .*access\.log\.1/);
  assert.match(outText, /running postrotate script/);
  assert.match(read('logrotate.conf'), /--signal=SIGUSR1 signgw\.service/);
});

// The packages `apt-get install` gets in one stage of the Dockerfile.
function stagePackages(stage) {
  const at = stage.indexOf('apt-get install');
  assert.ok(at >= 0, 'an apt-get install in the stage');
  const words = stage.slice(at, stage.indexOf('&&', at)).replace(/\\\n/g, ' ').split(/\s+/);
  return words.slice(2).filter((w) => w && !w.startsWith('-'));
}

test('Dockerfile: Debian 12, ./dev\'s build packages, a final stage of exactly the runtime libraries, non-root, HEALTHCHECK on /healthz', async (t) => {
  const text = read('Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);
  assert.equal(stages.length, 2, 'two stages');
  assert.match(stages[0], /^debian:12(-slim)? AS build/);
  assert.match(stages[1], /^debian:12(-slim)?\n/);
  const dev = fs.readFileSync(path.join(h.ROOT, 'dev'), 'utf8');
  const buildPkgs = /^BUILD_PKGS="([^"]+)"/m.exec(dev)[1].split(/\s+/);
  assert.deepEqual(stagePackages(stages[0]).sort(), buildPkgs.sort(), 'the build stage installs ./dev\'s BUILD_PKGS');

  // The libraries the binary needs, by package (libc6 is in every image).
  const needed = execFileSync('readelf', ['-d', h.BIN], { encoding: 'utf8' }).split('\n')
    .map((l) => /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(l)).filter(Boolean).map((m) => m[1]);
  const ldd = execFileSync('ldd', [h.BIN], { encoding: 'utf8' });
  const pkgs = new Set();
  for (const lib of needed) {
    const p = new RegExp(`^\\s*${lib.replace(/[.+]/g, '\\$&')} => (\\S+)`, 'm').exec(ldd);
    assert.ok(p, `${lib} resolved`);
    const real = fs.realpathSync(p[1]);
    let owner;
    for (const f of [p[1], real, real.replace(/^\/usr/, '')]) {
      const q = spawnSync('dpkg', ['-S', f], { encoding: 'utf8' });
      if (q.status === 0) { owner = q.stdout.split(':')[0]; break; }
    }
    assert.ok(owner, `the package of ${lib}`);
    pkgs.add(owner);
  }
  pkgs.delete('libc6');
  // Sanitizer builds link the sanitizer runtimes, which the image never has.
  for (const p of [...pkgs]) if (/^lib(asan|ubsan)\d*$/.test(p)) pkgs.delete(p);
  const runtime = stagePackages(stages[1]);
  const libs = runtime.filter((p) => p.startsWith('lib'));
  for (const p of pkgs) assert.ok(libs.includes(p), `the final stage installs ${p}, which the binary needs`);
  // The runtime libraries the build links against: what its -dev
  // packages depend on (a library the linker dropped as unused still
  // belongs to the build).
  const devRuntime = new Set();
  for (const dev of buildPkgs.filter((p) => p.endsWith('-dev'))) {
    const dep = execFileSync('dpkg-query', ['-W', '-f=${Depends}', dev], { encoding: 'utf8' });
    for (const d of dep.split(',')) devRuntime.add(d.trim().split(/[\s(:]/)[0]);
  }
  for (const p of libs) assert.ok(devRuntime.has(p), `${p} in the final stage is the runtime of a build package`);
  assert.deepEqual(runtime.filter((p) => !p.startsWith('lib')).sort(), ['ca-certificates', 'curl'], 'besides: CA certificates (outbound TLS), curl (the health check)');
  assert.ok(!runtime.some((p) => /-dev$|^build-essential$|^cmake$/.test(p)), 'no build packages in the final image');

  const user = /^USER (\S+)/m.exec(stages[1]);
  assert.ok(user && !/^(0|root)(:|$)/.test(user[1]), `USER ${user && user[1]} is not root`);
  assert.match(stages[1], /COPY --from=build \/src\/build\/signgw \/opt\/signgw\/bin\/signgw/);
  assert.match(stages[1], /ENTRYPOINT \["\/opt\/signgw\/bin\/signgw"\]/);
  assert.match(stages[1], /CMD \["-c", "\/opt\/signgw\/lua\/config\.lua", "-l", "0\.0\.0\.0:8080"\]/);
  const url = /^ENV SGW_HEALTH_URL=(\S+)/m.exec(stages[1])[1];
  assert.equal(url, 'http://127.0.0.1:8080/healthz');
  const hc = /^HEALTHCHECK [^\n]*\\\n\s*CMD (.+)$/m.exec(stages[1]);
  assert.ok(hc, 'a HEALTHCHECK');

  // The health check command itself, against a running signgw.
  const gw = await h.start({ workers: 1 });
  t.after(() => gw.stop());
  const health = await h.request(gw.base, '/healthz');
  if (health.status === 404) {
    t.skip('this build has no /healthz yet');
    return;
  }
  const run = (u) => spawnSync('sh', ['-c', hc[1]], { env: { ...process.env, SGW_HEALTH_URL: u }, timeout: 10000 }).status;
  assert.equal(run(`${gw.base}/healthz`), 0, 'healthy');
  assert.equal(run(`http://127.0.0.1:${await freePort()}/healthz`), 1, 'nothing listening: unhealthy');
});

// The documents of a YAML file, each with its kind, as text.
function yamlDocs(text) {
  return text.split(/^---$/m).map((d) => ({ kind: (/^kind: (\w+)/m.exec(d) || [])[1], text: d }));
}

// The block scalars (`key: |`) under `data:` or `stringData:` of a document.
function yamlData(doc) {
  const out = {};
  const lines = doc.split('\n');
  let i = lines.findIndex((l) => /^(data|stringData):\s*$/.test(l));
  assert.ok(i >= 0, 'a data section');
  for (i++; i < lines.length && /^ {2}|^$/.test(lines[i]); i++) {
    const block = /^ {2}([\w.-]+): \|$/.exec(lines[i]);
    const plain = /^ {2}([\w.-]+): (\S.*)$/.exec(lines[i]);
    if (block) {
      const body = [];
      while (i + 1 < lines.length && (/^ {4}/.test(lines[i + 1]) || lines[i + 1] === '')) body.push(lines[++i].slice(4));
      out[block[1]] = body.join('\n').replace(/\n*$/, '\n');
    } else if (plain) {
      out[plain[1]] = plain[2];
    }
  }
  return out;
}

test('Kubernetes: ConfigMap, Secrets and the Deployment\'s env make a TLS signgw; a ConfigMap update reloads it', async (t) => {
  const dir = tmpdir(t);
  const docs = yamlDocs(read('kubernetes.yaml'));
  const cm = yamlData(docs.find((d) => d.kind === 'ConfigMap').text);
  const secret = yamlData(docs.find((d) => d.kind === 'Secret').text);
  const deploy = docs.find((d) => d.kind === 'Deployment').text;
  assert.match(deploy, /livenessProbe:\s+httpGet:\s+path: \/healthz\s+port: https\s+scheme: HTTPS/);
  assert.match(deploy, /readinessProbe:\s+httpGet:\s+path: \/readyz\s+port: https\s+scheme: HTTPS/);
  assert.match(deploy, /runAsNonRoot: true/);
  assert.match(deploy, /readOnlyRootFilesystem: true/);
  assert.doesNotMatch(deploy, /subPath/, 'subPath mounts are never updated');

  // The Deployment's volumes and env.
  const mounts = {};
  for (const m of deploy.matchAll(/- name: (\w+)\n\s+mountPath: (\S+)/g)) mounts[m[1]] = m[2];
  const items = [...deploy.matchAll(/- key: (\S+)\n\s+path: (\S+)/g)].map((m) => ({ key: m[1], path: m[2] }));
  assert.deepEqual(items.map((i) => i.key).sort(), Object.keys(cm).sort(), 'every ConfigMap key is mounted');
  const envList = [...deploy.matchAll(/- name: (\w+)\n\s+value: (.+)/g)].map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')]);
  const args = JSON.parse(/args: (\[.*\])/.exec(deploy)[1]);
  const tls = makeTls({ dir: fs.mkdirSync(path.join(dir, 'pki'), { recursive: true }) });

  // The ConfigMap volume as the kubelet makes it: the files in a
  // timestamped folder, ..data pointing at it, the top-level names
  // pointing through ..data.
  const lua = path.join(dir, 'lua');
  fs.mkdirSync(lua);
  const map = [
    ['/opt/signgw/lua', path.join(h.ROOT, 'lua')],
    [mounts.lua, lua],
    [mounts.credentials, path.join(dir, 'credentials')],
    [mounts.tls, path.join(dir, 'tls')],
    ['0.0.0.0:8443', '127.0.0.1:0'],
  ];
  map.sort((x, y) => y[0].length - x[0].length); // /run/secrets/signgw-tls before /run/secrets/signgw
  const local = (s) => map.reduce((acc, [a, b]) => acc.split(a).join(b), s);
  let version = 0;
  const publish = (data) => {
    const v = `..2026_11_30_00_00_0${++version}.${process.pid}`;
    for (const { key, path: p } of items) {
      fs.mkdirSync(path.dirname(path.join(lua, v, p)), { recursive: true });
      fs.writeFileSync(path.join(lua, v, p), local(data[key]));
    }
    fs.symlinkSync(v, path.join(lua, '..data_tmp'));
    fs.renameSync(path.join(lua, '..data_tmp'), path.join(lua, '..data'));
    for (const top of new Set(items.map((i) => i.path.split('/')[0]))) {
      if (!fs.existsSync(path.join(lua, top))) fs.symlinkSync(path.join('..data', top), path.join(lua, top));
    }
  };
  publish(cm);

  // The Secrets' files.
  fs.mkdirSync(path.join(dir, 'credentials'));
  assert.deepEqual(Object.keys(secret).sort(), ['cos-secret-id', 'cos-secret-key']);
  fs.writeFileSync(path.join(dir, 'credentials', 'cos-secret-id'), DEPLOY_ID);
  fs.writeFileSync(path.join(dir, 'credentials', 'cos-secret-key'), h.SECRET_KEY);
  fs.mkdirSync(path.join(dir, 'tls'));
  fs.copyFileSync(tls.certFile, path.join(dir, 'tls', 'tls.crt'));
  fs.copyFileSync(tls.keyFile, path.join(dir, 'tls', 'tls.key'));

  const env = Object.fromEntries(envList.map(([k, v]) => [k, local(v)]));
  for (const k of ['COS_SECRET_ID_FILE', 'COS_SECRET_KEY_FILE', 'SGW_TLS_CERT', 'SGW_TLS_KEY']) {
    assert.ok(fs.existsSync(env[k]), `${k} names a file of a mounted Secret: ${env[k]}`);
  }
  delete env.SGW_ACCESS_LOG; // stdout: the harness's log would carry it
  const logFile = path.join(h.LOG_DIR, `${h.TEST_NAME}.k8s.log`);
  fs.mkdirSync(h.LOG_DIR, { recursive: true });
  const out = fs.openSync(logFile, 'w');
  const child = spawn(h.BIN, [...args.map(local), '-w', '2'], { env: baseEnv(env), stdio: ['ignore', out, out] });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  t.after(() => { child.kill('SIGKILL'); fs.closeSync(out); });
  const log = () => fs.readFileSync(logFile, 'utf8');
  let ls;
  await until(() => (ls = h.parseListening(log())), 10000 * SLOW, 'listening');
  assert.equal(ls.length, 1);
  assert.ok(ls[0].tls, log());
  const base = ls[0].base;

  const r = await get(`${base}/put-sign?ext=jpg`, tls.ca);
  assert.equal(r.status, 200, JSON.stringify(r) + log());
  assert.match(r.json.authorization, new RegExp(`q-ak=${DEPLOY_ID}&`));
  for (const probe of ['/healthz', '/readyz']) {
    const p = await get(base + probe, tls.ca);
    if (p.status !== 404) assert.equal(p.status, 200, `${probe}: ${p.text}`);
  }

  // kubectl edit: the permission check now refuses. The kubelet's swap of
  // ..data is all signgw sees.
  publish({ ...cm, 'policy-auth.lua': 'local M = {}\nfunction M.check(req, ctx)\n  return nil, 403, "forbidden", "uploads are closed"\nend\nreturn M\n' });
  await until(() => /reload: generation 2 live \(changed: /.test(log()), 5000 * SLOW, 'a reload after the ConfigMap swap');
  const closed = await get(`${base}/put-sign?ext=jpg`, tls.ca);
  assert.equal(closed.status, 403, closed.text);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, log());
});
