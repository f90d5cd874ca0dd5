'use strict';
// Opens N keep-alive connections to HOST:PORT, sends one
// GET /post-policy?ext=jpg on each and reads the whole answer, then keeps
// them all open and idle. Prints "READY <open> <failed>" once all are
// settled, then waits: it exits when stdin closes, on SIGTERM, or after
// HOLD_S seconds (a bound, so it never outlives the benchmark).
//
//   node idle-conns.js HOST PORT N [HOLD_S]
//
// The caller raises `ulimit -n` (needs N + a few descriptors).
const net = require('node:net');

const [host, portStr, nStr, holdStr] = process.argv.slice(2);
const port = Number(portStr);
const n = Number(nStr);
const holdMs = Number(holdStr || 120) * 1000;
const BATCH = 256; // connections in flight at once (listen backlogs are finite)
const REQ = `GET /post-policy?ext=jpg HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`;

const sockets = [];
let open = 0;
let failed = 0;
let closedLater = 0;
let ready = false;

function one() {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      s.setTimeout(0);
      if (ok) {
        open++;
        sockets.push(s);
      } else {
        failed++;
        s.destroy();
      }
      resolve();
    };
    s.setTimeout(10000, () => finish(false));
    s.on('connect', () => s.write(REQ));
    s.on('data', (d) => {
      if (done) return;
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
      if (!m) return finish(false);
      if (buf.length >= end + 4 + Number(m[1])) finish(/^HTTP\/1\.1 200/.test(buf));
    });
    s.on('error', () => finish(false));
    s.on('close', () => {
      if (!done) finish(false);
      else if (ready) closedLater++;
    });
  });
}

async function main() {
  let started = 0;
  const workers = [];
  for (let w = 0; w < BATCH; w++) {
    workers.push((async () => {
      while (started < n) {
        started++;
        await one();
      }
    })());
  }
  await Promise.all(workers);
  ready = true;
  console.log(`READY ${open} ${failed}`);
  const stop = () => {
    console.log(`DONE open=${open - closedLater} closed_by_server=${closedLater}`);
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  setTimeout(stop, holdMs);
}

main();
