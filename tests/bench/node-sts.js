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
// The settings, the allowlist, the key layout and the 400/404 answers are
// the ones both Node.js peers share (peer.js).
const express = require('express');
const STS = require('qcloud-cos-sts');
const COS = require('cos-nodejs-sdk-v5');
const { peerConfig, generateCosKey, checkExt, listen } = require('./peer.js');

const config = peerConfig('node-sts', {
  stsHost: process.env.STS_HOST,
  durationSeconds: 1800,
  maxSize: 100 * 1024 * 1024,
});
const appId = config.bucket.slice(config.bucket.lastIndexOf('-') + 1);

const app = express();
app.get('/put-sign', (req, res) => {
  const ext = checkExt(req, res, config);
  if (ext === undefined) return;
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

listen(app, 'node-sts');
