'use strict';
// Throw-away certificate authorities for tests, made with the openssl CLI:
// nothing here is checked in, nothing outlives the test's temporary folder.
const fs = require('node:fs');
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
// (e.g. "IP:127.0.0.1,DNS:localhost"). Returns PEM texts for node:https.
function makeServerCert(dir, ca, name, san) {
  openssl(dir, ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', `/CN=${name}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n` +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key,
    '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  return {
    cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'),
  };
}

module.exports = { makeCa, makeServerCert };
