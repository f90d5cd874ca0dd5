'use strict';
// What the Node.js peers share (node-express.js, node-sts.js): their
// settings from the environment and the parts of signgw's contract both
// answer by: the extension allowlist, the key layout, the 400 for a bad
// ext and the 404, and listening on PORT.
const crypto = require('node:crypto');

// COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION and signgw's
// extension allowlist, with the peer's own settings (`extra`); exits
// naming any that is not set.
function peerConfig(name, extra) {
  const config = {
    secretId: process.env.COS_SECRET_ID,
    secretKey: process.env.COS_SECRET_KEY,
    bucket: process.env.COS_BUCKET,
    region: process.env.COS_REGION,
    extWhiteList: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'heic', 'mp4', 'mov'],
    ...extra,
  };
  for (const k of Object.keys(config)) {
    if (config[k] === undefined || config[k] === '') {
      console.error(`${name}: ${k} is not set`);
      process.exit(1);
    }
  }
  return config;
}

// uploads/YYYYMMDD/<unix>_<128 random bits in hex>.<ext>, date in UTC.
function generateCosKey(ext, now) {
  const iso = new Date(now * 1000).toISOString();
  const ymd = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return `uploads/${ymd}/${now}_${crypto.randomBytes(16).toString('hex')}.${ext}`;
}

// The request's ext, lower-cased, when the allowlist has it; otherwise
// answers 400 {error, message} as signgw does and returns undefined.
function checkExt(req, res, config) {
  let ext = req.query.ext;
  if (typeof ext !== 'string' || ext === '') {
    res.status(400).send({ error: 'ext_not_allowed', message: 'ext is required' });
    return undefined;
  }
  ext = ext.toLowerCase();
  if (ext.length > 16 || !/^[a-z0-9]+$/.test(ext) || !config.extWhiteList.includes(ext)) {
    res.status(400).send({ error: 'ext_not_allowed', message: 'file type not allowed' });
    return undefined;
  }
  return ext;
}

// 404 for every other path, then listening on 127.0.0.1:PORT (3000).
function listen(app, name) {
  app.all('*', (req, res) => res.status(404).send({ error: 'not_found' }));
  const port = Number(process.env.PORT || 3000);
  app.listen(port, '127.0.0.1', () => console.log(`${name} listening on 127.0.0.1:${port}`));
}

module.exports = { peerConfig, generateCosKey, checkExt, listen };
