'use strict';
// What the benchmark's correctness gates share (verify.js, verify-auth.js,
// verify-put-s3.js; verify-put.js for the signature): one keep-alive
// client of the server under test, the failures and their report, the key
// time every signer gives, and COS's documented signatures recomputed
// with node:crypto (independent of every server).
const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');

// The bench credentials of COS mode.
const cosCred = {
  id: process.env.COS_SECRET_ID,
  key: process.env.COS_SECRET_KEY,
  bucket: process.env.COS_BUCKET,
  region: process.env.COS_REGION,
};
const EXPIRES = 900;
const SKEW = 60;
const SLACK = 5; // seconds of clock difference tolerated

// The checks of server `name` at `base` (https:// is reached over TLS:
// trust its CA with NODE_EXTRA_CA_CERTS):
//   get(path, headers) -> {status, headers, body}, on one connection
//   fail(what)         records a failure
//   done(tool, ok)     prints each failure as "<tool>: FAIL <name>: ..."
//                      and exits 1, or prints `ok`
function checker(name, base) {
  const mod = base.startsWith('https:') ? https : http;
  const agent = new mod.Agent({ keepAlive: true, maxSockets: 1 });
  const failures = [];
  function get(path, headers = {}) {
    return new Promise((resolve, reject) => {
      const req = mod.get(base + path, { agent, timeout: 5000, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  }
  const fail = (what) => failures.push(`${name}: ${what}`);
  function done(tool, ok) {
    agent.destroy();
    if (failures.length) {
      for (const f of failures) console.error(`${tool}: FAIL ${f}`);
      process.exit(1);
    }
    console.log(ok);
  }
  return { get, fail, done };
}

// Runs main(); an exception fails the check of `name`.
function run(tool, name, main) {
  main().catch((e) => {
    console.error(`${tool}: FAIL ${name}: ${e.message}`);
    process.exit(1);
  });
}

const hmacHex = (k, m) => crypto.createHmac('sha1', k).update(m).digest('hex');
const sha1Hex = (m) => crypto.createHash('sha1').update(m).digest('hex');

// COS's q-signature of PUT /<key> with the host header signed (the
// HttpString, the StringToSign, then two HMAC-SHA1).
function cosPutSignature(secretKey, keyTime, key, host) {
  const httpString = `put\n/${key}\n\nhost=${encodeURIComponent(host)}\n`;
  const stringToSign = `sha1\n${keyTime}\n${sha1Hex(httpString)}\n`;
  return hmacHex(hmacHex(secretKey, keyTime), stringToSign);
}

// COS's POST policy signature.
function cosPolicySignature(secretKey, keyTime, policyJson) {
  return hmacHex(hmacHex(secretKey, keyTime), sha1Hex(policyJson));
}

module.exports = { cosCred, EXPIRES, SKEW, SLACK, checker, run, hmacHex, sha1Hex, cosPutSignature, cosPolicySignature };
