'use strict';
// A minimal `wx` for Node: the fake phone the seed snippets run on.
//
// Only what examples/miniprogram/*.js use: wx.request, wx.uploadFile,
// wx.getFileSystemManager().readFile, wx.chooseMedia, wx.showModal. The
// "network" routes by URL, the way the seed code believes it works:
//   http://127.0.0.1:3000/...  (the gateway address written in the seed)
//                              -> the test's real signgw, over HTTPS when
//                                 its address is https:// (as a Mini
//                                 Program must call it), trusting `ca`
//   https://<host>/...         -> the COS stand-in over plain HTTP, with
//                                 Host: <host> kept, so the signed host is
//                                 what the stand-in sees
//   anything else              -> fail, like a domain missing from the
//                                 Mini Program allowlist
// Exceptions thrown by seed callbacks are recorded in `scriptErrors` and do
// not stop the run, as in the Weixin runtime (it logs them and goes on).
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const vm = require('node:vm');
const crypto = require('node:crypto');
const { assertNoSecret } = require('./harness.js');

const SEED_GATEWAY = 'http://127.0.0.1:3000';
const MIME = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', mp4: 'video/mp4' };

// multipart/form-data the way wx.uploadFile sends it: the form fields in
// order, then the file part. Returns { boundary, body }.
function multipart(fields, file) {
  const boundary = '----wxshim' + crypto.randomBytes(8).toString('hex');
  const parts = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; ` +
    `filename="${file.filename}"\r\nContent-Type: ${file.type || 'application/octet-stream'}\r\n\r\n`));
  parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { boundary, body: Buffer.concat(parts) };
}

// gateway: 'http://127.0.0.1:<port>' or 'https://127.0.0.1:<port>' of the
//          real signgw
// ca: the PEM the phone trusts for an https gateway (a throw-away CA)
// cos: { port } of the COS stand-in
// media: { name: 'photo.jpg', data: Buffer } returned by wx.chooseMedia
function createWx({ gateway, cos, media, ca }) {
  const files = new Map(); // temp path -> Buffer, the phone's file system
  const modals = [];
  const requests = []; // every network call, for assertions and debugging
  const scriptErrors = [];
  const logs = [];
  let onModal;
  let onFatal;
  const firstModal = new Promise((resolve) => { onModal = resolve; });
  // Fails runSeed at once, e.g. when a response carries the SecretKey.
  const fatal = new Promise((_, reject) => { onFatal = reject; });
  fatal.catch(() => {});

  function call(fn, arg) {
    if (typeof fn !== 'function') return;
    try { fn(arg); } catch (e) { scriptErrors.push(e); }
  }

  // One HTTP exchange; resolves with { statusCode, header, body: Buffer }.
  function send(url, method, headers, body) {
    let u;
    try { u = new URL(url); } catch (e) { return Promise.reject(new Error('invalid url ' + url)); }
    let target;
    let mod = http;
    if (url.startsWith(SEED_GATEWAY + '/')) {
      const g = new URL(gateway);
      target = { host: g.hostname, port: g.port, headers };
      if (g.protocol === 'https:') {
        mod = https;
        // Certificate checked against the test CA, for the name it was
        // issued to (the address), as a phone checks a real one.
        target = { ...target, ca };
      }
    } else if (u.protocol === 'https:') {
      target = { host: '127.0.0.1', port: cos.port, headers: { ...headers, Host: u.host } };
    } else {
      return Promise.reject(new Error('url not in domain list: ' + url));
    }
    const record = { method, url, headers: target.headers, body };
    requests.push(record);
    return new Promise((resolve, reject) => {
      const req = mod.request({ ...target, method, path: u.pathname + u.search, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          record.status = res.statusCode;
          record.response = Buffer.concat(chunks);
          try {
            assertNoSecret(record.response, `${method} ${url}`);
          } catch (e) {
            onFatal(e);
            return reject(e);
          }
          resolve({ statusCode: res.statusCode, header: res.headers, body: record.response });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const wx = {
    request(o) {
      const header = {};
      // wx passes the header object across its JSON bridge: undefined values vanish.
      for (const [k, v] of Object.entries(o.header || {})) if (v !== undefined && v !== null) header[k] = String(v);
      if (!Object.keys(header).some((k) => k.toLowerCase() === 'content-type')) header['content-type'] = 'application/json';
      let body = o.data;
      if (body instanceof ArrayBuffer) body = Buffer.from(body);
      else if (body !== undefined && typeof body !== 'string') body = JSON.stringify(body);
      send(o.url, o.method || 'GET', header, body).then((r) => {
        let data = r.body.toString('utf8');
        if ((o.dataType || 'json') === 'json') { try { data = JSON.parse(data); } catch (e) { /* stays text */ } }
        call(o.success, { data, statusCode: r.statusCode, header: r.header, cookies: [] });
        call(o.complete);
      }, (e) => { call(o.fail, { errMsg: 'request:fail ' + e.message }); call(o.complete); });
      // RequestTask has no onProgressUpdate (only UploadTask does).
      return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} };
    },

    uploadFile(o) {
      const listeners = [];
      const data = files.get(o.filePath);
      const ext = o.filePath.slice(o.filePath.lastIndexOf('.') + 1);
      const { boundary, body } = multipart(o.formData || {}, {
        name: o.name, filename: path.basename(o.filePath), type: MIME[ext], data: data || Buffer.alloc(0),
      });
      const header = { ...(o.header || {}), 'Content-Type': `multipart/form-data; boundary=${boundary}` };
      const sent = data ? send(o.url, 'POST', header, body) : Promise.reject(new Error('file not found ' + o.filePath));
      sent.then((r) => {
        for (const l of listeners) call(l, { progress: 100, totalBytesSent: body.length, totalBytesExpectedToSend: body.length });
        call(o.success, { data: r.body.toString('utf8'), statusCode: r.statusCode, header: r.header });
        call(o.complete);
      }, (e) => { call(o.fail, { errMsg: 'uploadFile:fail ' + e.message }); call(o.complete); });
      return { abort() {}, onProgressUpdate(l) { listeners.push(l); } };
    },

    getFileSystemManager() {
      return {
        readFile(o) {
          setImmediate(() => {
            const buf = files.get(o.filePath);
            if (!buf) return call(o.fail, { errMsg: 'readFile:fail no such file ' + o.filePath });
            // Without an encoding, wx hands out an ArrayBuffer.
            const data = o.encoding ? buf.toString(o.encoding) : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
            call(o.success, { data });
          });
        },
      };
    },

    chooseMedia(o) {
      const ext = media.name.slice(media.name.lastIndexOf('.') + 1);
      const tempFilePath = `wxfile://tmp_${crypto.randomBytes(8).toString('hex')}.${ext}`;
      files.set(tempFilePath, media.data);
      const type = /^video\//.test(MIME[ext] || '') ? 'video' : 'image';
      setImmediate(() => call(o.success, { type, tempFiles: [{ tempFilePath, size: media.data.length, fileType: type }] }));
    },

    showModal(o) {
      modals.push({ title: o.title, content: o.content });
      onModal(modals[0]);
      setImmediate(() => call(o.success, { confirm: true, cancel: false }));
    },
  };

  return { wx, modals, requests, scriptErrors, logs, firstModal, fatal };
}

// Loads a seed file unchanged into a fresh context whose `wx` is the shim,
// calls its top-level uploadFile() and waits for the first modal.
async function runSeed(file, shim, timeoutMs = 10000) {
  const quiet = { log: (...a) => shim.logs.push(a), error: (...a) => shim.logs.push(a) };
  const context = vm.createContext({ wx: shim.wx, console: quiet });
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  context.uploadFile();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no modal after ${timeoutMs} ms; network: ` +
      JSON.stringify(shim.requests.map((r) => [r.method, r.url, r.status])) +
      '; script errors: ' + shim.scriptErrors.map(String).join(' | '))), timeoutMs);
  });
  try {
    const modal = await Promise.race([shim.firstModal, shim.fatal, timeout]);
    await new Promise((r) => setTimeout(r, 50)); // let the callback finish its console.log calls
    return modal;
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { createWx, runSeed, multipart, SEED_GATEWAY };
