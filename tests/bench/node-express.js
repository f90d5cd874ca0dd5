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
// The settings, the allowlist, the key layout and the 400/404 answers are
// the ones both Node.js peers share (peer.js).
const express = require('express');
const crypto = require('node:crypto');
const { peerConfig, generateCosKey, checkExt, listen } = require('./peer.js');

const config = peerConfig('node-express', {
  expires: 900,
  skew: 60,
  minSize: 0,
  maxSize: 100 * 1024 * 1024,
});

const app = express();
app.get('/post-policy', (req, res) => {
  const ext = checkExt(req, res, config);
  if (ext === undefined) return;
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

listen(app, 'node-express');
