'use strict';
// Node.js peer for the signgw benchmark: Tencent's documented POST policy
// demo (cos-demo, server/post-policy/nodejs/app.js: express, node:crypto,
// the three signing steps, res.send of an object), brought to the same
// contract as signgw's GET /post-policy so that all peers do the same work:
//   - flat JSON answer (the Mini Program client reads the fields at the top
//     level; the demo wraps them in {code, data}), 400 {error, message} for
//     a bad ext (the demo answers 200 {code:-1});
//   - ext lower-cased and checked against signgw's allowlist;
//   - signgw's key layout uploads/YYYYMMDD/<unix>_<32 hex>.<ext> with
//     crypto.randomBytes (the demo uses Math.random and moment);
//   - key time now-60 .. now+900 and a content-length-range condition, as
//     signgw's shipped config.
// Everything else is the demo's: one process, express defaults (ETag,
// X-Powered-By), JSON.stringify for the policy, node:crypto for the rest.
//
// Environment: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION, PORT.
const express = require('express');
const crypto = require('node:crypto');

const config = {
  secretId: process.env.COS_SECRET_ID,
  secretKey: process.env.COS_SECRET_KEY,
  bucket: process.env.COS_BUCKET,
  region: process.env.COS_REGION,
  extWhiteList: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'heic', 'mp4', 'mov'],
  expires: 900,
  skew: 60,
  minSize: 0,
  maxSize: 100 * 1024 * 1024,
};
for (const k of ['secretId', 'secretKey', 'bucket', 'region']) {
  if (!config[k]) {
    console.error(`node-express: ${k} is not set`);
    process.exit(1);
  }
}

// uploads/YYYYMMDD/<unix>_<128 random bits in hex>.<ext>, date in UTC.
function generateCosKey(ext, now) {
  const iso = new Date(now * 1000).toISOString();
  const ymd = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return `uploads/${ymd}/${now}_${crypto.randomBytes(16).toString('hex')}.${ext}`;
}

const app = express();
app.get('/post-policy', (req, res) => {
  let ext = req.query.ext;
  if (typeof ext !== 'string' || ext === '') {
    return res.status(400).send({ error: 'ext_not_allowed', message: 'ext is required' });
  }
  ext = ext.toLowerCase();
  if (ext.length > 16 || !/^[a-z0-9]+$/.test(ext) || !config.extWhiteList.includes(ext)) {
    return res.status(400).send({ error: 'ext_not_allowed', message: 'file type not allowed' });
  }
  const cosHost = `${config.bucket}.cos.${config.region}.myqcloud.com`;
  const now = Math.floor(Date.now() / 1000);
  const cosKey = generateCosKey(ext, now);
  const exp = now + config.expires;
  const qKeyTime = `${now - config.skew};${exp}`;
  const qSignAlgorithm = 'sha1';
  const policy = JSON.stringify({
    expiration: new Date(exp * 1000).toISOString(),
    conditions: [
      { 'q-sign-algorithm': qSignAlgorithm },
      { 'q-ak': config.secretId },
      { 'q-sign-time': qKeyTime },
      { bucket: config.bucket },
      { key: cosKey },
      ['content-length-range', config.minSize, config.maxSize],
    ],
  });
  // Step 1: SignKey; step 2: StringToSign; step 3: Signature.
  const signKey = crypto.createHmac('sha1', config.secretKey).update(qKeyTime).digest('hex');
  const stringToSign = crypto.createHash('sha1').update(policy).digest('hex');
  const qSignature = crypto.createHmac('sha1', signKey).update(stringToSign).digest('hex');

  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.send({
    cosHost,
    cosKey,
    policy: Buffer.from(policy).toString('base64'),
    qSignAlgorithm,
    qAk: config.secretId,
    qKeyTime,
    qSignature,
  });
});

app.all('*', (req, res) => res.status(404).send({ error: 'not_found' }));

const port = Number(process.env.PORT || 3000);
app.listen(port, '127.0.0.1', () => console.log(`node-express listening on 127.0.0.1:${port}`));
