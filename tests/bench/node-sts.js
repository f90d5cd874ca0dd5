'use strict';
// Node.js peer for the STS benchmark: Tencent's own approach to signing
// with temporary credentials (qcloud-cos-sts's sts-server demo: express,
// getCredential per request with a CAM policy for the object), brought
// to signgw's GET /put-sign contract: the temporary credential then signs
// the PUT with cos-nodejs-sdk-v5's COS.getAuthorization, and the answer is
// { cosHost, cosKey, authorization, securityToken }.
//
// Environment: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION, PORT,
// STS_HOST (host:port of the STS endpoint), NODE_EXTRA_CA_CERTS (its CA).
const express = require('express');
const crypto = require('node:crypto');
const STS = require('qcloud-cos-sts');
const COS = require('cos-nodejs-sdk-v5');

const config = {
  secretId: process.env.COS_SECRET_ID,
  secretKey: process.env.COS_SECRET_KEY,
  bucket: process.env.COS_BUCKET,
  region: process.env.COS_REGION,
  stsHost: process.env.STS_HOST,
  extWhiteList: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'heic', 'mp4', 'mov'],
  durationSeconds: 1800,
  maxSize: 100 * 1024 * 1024,
};
for (const k of Object.keys(config)) {
  if (config[k] === undefined) {
    console.error(`node-sts: ${k} is not set`);
    process.exit(1);
  }
}
const appId = config.bucket.slice(config.bucket.lastIndexOf('-') + 1);

function generateCosKey(ext, now) {
  const iso = new Date(now * 1000).toISOString();
  const ymd = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return `uploads/${ymd}/${now}_${crypto.randomBytes(16).toString('hex')}.${ext}`;
}

const app = express();
app.get('/put-sign', (req, res) => {
  let ext = req.query.ext;
  if (typeof ext !== 'string' || ext === '') {
    return res.status(400).send({ error: 'ext_not_allowed', message: 'ext is required' });
  }
  ext = ext.toLowerCase();
  if (!config.extWhiteList.includes(ext)) {
    return res.status(400).send({ error: 'ext_not_allowed', message: 'file type not allowed' });
  }
  const now = Math.floor(Date.now() / 1000);
  const cosKey = generateCosKey(ext, now);
  const policy = {
    version: '2.0',
    statement: [{
      effect: 'allow',
      action: ['name/cos:PutObject'],
      resource: [`qcs::cos:${config.region}:uid/${appId}:${config.bucket}/${cosKey}`],
      condition: { numeric_less_than_equal: { 'cos:content-length': config.maxSize } },
    }],
  };
  STS.getCredential({
    secretId: config.secretId, secretKey: config.secretKey, policy,
    durationSeconds: config.durationSeconds, host: config.stsHost, region: config.region,
  }, (err, data) => {
    if (err) return res.status(502).send({ error: 'credentials_unavailable', message: String(err.message || err.Code || err) });
    const cosHost = `${config.bucket}.cos.${config.region}.myqcloud.com`;
    const authorization = COS.getAuthorization({
      SecretId: data.credentials.tmpSecretId, SecretKey: data.credentials.tmpSecretKey,
      Method: 'put', Pathname: '/' + cosKey, Headers: { host: cosHost },
      KeyTime: `${now - 60};${Math.min(now + 900, data.expiredTime)}`,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.send({ cosHost, cosKey, authorization, securityToken: data.credentials.sessionToken });
  });
});

app.all('*', (req, res) => res.status(404).send({ error: 'not_found' }));

const port = Number(process.env.PORT || 3000);
app.listen(port, '127.0.0.1', () => console.log(`node-sts listening on 127.0.0.1:${port}`));
