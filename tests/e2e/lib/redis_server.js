'use strict';
// A real redis-server (the Debian package) for one test, on a free
// loopback port, without persistence; redis-cli, an independent client,
// to look at and change its state. Stopped when the test process exits.
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const { sleep, freePort } = require('./wait.js');

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

const all = new Set();
process.on('exit', () => { for (const r of all) if (r.child) r.child.kill('SIGKILL'); });

class RedisServer {
  // password: --requirepass; the port is chosen once and kept over restarts.
  static async start({ password } = {}) {
    const r = new RedisServer(await freePort(), password);
    await r.restart();
    return r;
  }

  constructor(port, password) {
    this.port = port;
    this.password = password;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-redis-'));
    this.child = null;
    all.add(this);
  }

  url(db = 0, password = this.password) {
    return `redis://${password ? ':' + encodeURIComponent(password) + '@' : ''}127.0.0.1:${this.port}/${db}`;
  }

  async restart() {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--enable-debug-command', 'local', '--daemonize', 'no', '--dir', this.dir, '--loglevel', 'warning'];
    if (this.password) args.push('--requirepass', this.password);
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 500; i++) {
      if (await canConnect(this.port)) return;
      await sleep(10);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  // SIGKILL: the connections break at once, as when a host dies.
  async kill(signal = 'SIGKILL') {
    if (!this.child) return;
    const exited = this.exited;
    this.child.kill(signal);
    await exited;
    this.child = null;
  }

  async stop() {
    await this.kill('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
    all.delete(this);
  }

  // redis-cli with the given arguments; its trimmed output.
  cli(...args) {
    const base = ['-h', '127.0.0.1', '-p', String(this.port)];
    const env = { ...process.env };
    if (this.password) env.REDISCLI_AUTH = this.password;
    const r = spawnSync('redis-cli', [...base, ...args], { encoding: 'utf8', env, timeout: 10000 });
    if (r.error) throw r.error;
    return r.stdout.trim();
  }

  // redis-cli in the background (for DEBUG SLEEP); resolves when it ends.
  cliAsync(...args) {
    const env = { ...process.env };
    if (this.password) env.REDISCLI_AUTH = this.password;
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], { env, stdio: 'ignore' });
    return new Promise((resolve) => child.once('exit', resolve));
  }

  // INFO commandstats as { name: calls }.
  commandCalls() {
    const out = {};
    for (const line of this.cli('INFO', 'commandstats').split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  }
}

module.exports = { RedisServer, freePort, sleep };
