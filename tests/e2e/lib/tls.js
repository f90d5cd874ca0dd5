'use strict';
// Throw-away certificate authorities for tests, made with the openssl CLI:
// nothing here is checked in, nothing outlives the test's temporary folder.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

// A self-signed CA: <dir>/<name>.pem and <name>.key.
function makeCa(dir, name) {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`), name };
}

// A server certificate signed by ca, for the subjectAltName san
// (e.g. "IP:127.0.0.1,DNS:localhost"). Returns the PEM texts (for
// node:https) and their files.
function makeServerCert(dir, ca, name, san) {
  openssl(dir, ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', `/CN=${name}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`),
    `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\n` +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key,
    '-set_serial', '0x' + crypto.randomBytes(8).toString('hex'),
    '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  return {
    cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'),
    certFile: path.join(dir, `${name}.pem`),
    keyFile: path.join(dir, `${name}.key`),
  };
}

// A CA and one server certificate it signed, in `dir` (a new temp dir by
// default). names: subjectAltName entries (IP addresses and DNS names),
// default ['127.0.0.1', 'localhost'].
// Returns { dir, caFile, certFile, keyFile, ca, cert, key } (PEM text).
function makeTls({ dir, names = ['127.0.0.1', 'localhost'] } = {}) {
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-tls-'));
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ca = makeCa(dir, 'ca');
  const server = makeServerCert(dir, ca, 'server', san);
  return {
    dir,
    caFile: ca.cert,
    certFile: server.certFile,
    keyFile: server.keyFile,
    ca: fs.readFileSync(ca.cert, 'utf8'),
    cert: server.cert,
    key: server.key,
  };
}

module.exports = { makeCa, makeServerCert, makeTls };
