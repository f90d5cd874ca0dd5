'use strict';
// Waiting in the e2e tests: a pause, a free loopback port, and polling a
// condition with a deadline.
const assert = require('node:assert/strict');
const net = require('node:net');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port on 127.0.0.1 that nothing listened on when asked.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Calls fn (it may be async) until it answers true, `every` ms apart;
// resolves with the ms that took. Fails the test after `ms`, saying
// `what` and fn's last answer.
async function until(what, fn, ms, every = 50) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await fn();
    if (last === true) return Date.now() - t0;
    await sleep(every);
  }
  assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

module.exports = { sleep, freePort, until };
