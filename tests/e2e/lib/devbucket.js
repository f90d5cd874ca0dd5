'use strict';
// signgw in dev mode for one test: the gateway and its dev bucket on free
// loopback ports, the bucket's data directory in a scratch folder that is
// removed afterwards.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness.js');

const DEV_CONFIG = path.join(h.CONFIGS, 'dev.lua');

// Every file below dir, as paths relative to it (sorted).
function listFiles(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}

// creds: 'test' runs with the harness's test credentials and asks for the
// dev bucket explicitly (SGW_DEV=1), so clients can sign with the test
// key; 'none' runs without COS credentials, where dev mode starts on its
// own (the default dev.enabled = "auto").
async function startDev(t, { creds = 'test', env = {}, workers = 1, config = DEV_CONFIG } = {}) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sgw-devdata-'));
  const e = { SGW_DEV_LISTEN: '127.0.0.1:0', SGW_DEV_DATA: data };
  if (creds === 'none') Object.assign(e, { COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined, SGW_DEV: undefined });
  else e.SGW_DEV = '1';
  Object.assign(e, env);
  const gw = await h.start({ config, env: e, workers });
  t.after(async () => {
    await gw.stop();
    fs.rmSync(data, { recursive: true, force: true });
  });
  const m = /dev bucket at http:\/\/(127\.0\.0\.1:(\d+))/.exec(gw.log());
  if (!m) throw new Error('no dev bucket line in the log:\n' + gw.log());
  return {
    gw,
    data,
    bucketHost: m[1],
    bucketPort: Number(m[2]),
    bucketBase: `http://${m[1]}`,
    objects: () => listFiles(path.join(data, 'objects')),
    temps: () => listFiles(path.join(data, 'tmp')),
    object: (key) => {
      const p = path.join(data, 'objects', key);
      return fs.existsSync(p) ? fs.readFileSync(p) : undefined;
    },
  };
}

// The <Code> of a COS XML error body.
function errorCode(text) {
  const m = /<Code>([^<]*)<\/Code>/.exec(text || '');
  return m && m[1];
}

module.exports = { DEV_CONFIG, startDev, listFiles, errorCode };
