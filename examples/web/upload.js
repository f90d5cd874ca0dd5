// The signgw upload page: asks the gateway for a signature (/put-sign or
// /post-policy), uploads the file straight to the bucket with
// XMLHttpRequest (for its upload progress), then asks for a presigned
// download link (/get-sign). No framework, no build step.
(function () {
  'use strict';

  var gatewayMeta = document.querySelector('meta[name="signgw-gateway"]');
  var GATEWAY = ((gatewayMeta && gatewayMeta.content) || '').replace(/\/+$/, '');

  var form = document.getElementById('upload');
  var fileInput = document.getElementById('file');
  var methodSelect = document.getElementById('method');
  var progress = document.getElementById('progress');
  var statusLine = document.getElementById('status');
  var errorLine = document.getElementById('error');
  var link = document.querySelector('a.uploaded');

  document.getElementById('gateway').textContent = GATEWAY || location.origin;

  function say(text) { statusLine.textContent = text; }
  function fail(text) { errorLine.textContent = text; say(''); }

  // COS signs keys as they are; in the URL each path segment is encoded.
  function keyPath(key) {
    return key.split('/').map(function (s) {
      return encodeURIComponent(s).replace(/[!'()*]/g, function (c) {
        return '%' + c.charCodeAt(0).toString(16).toUpperCase();
      });
    }).join('/');
  }

  // signgw's dev bucket speaks plain HTTP on this machine; COS speaks HTTPS.
  function bucketUrl(cosHost) {
    var local = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(cosHost);
    return (local ? 'http://' : 'https://') + cosHost;
  }

  // A readable sentence for a gateway refusal: its own message first.
  var gatewayHints = {
    400: 'The gateway refused the request',
    401: 'Sign in first: the gateway needs to know who you are',
    403: 'The gateway does not allow this upload',
    404: 'The gateway has no such route (is this the right gateway URL?)',
    429: 'Too many requests: wait a moment and try again',
    500: 'The gateway failed (its log has the details)',
  };

  function gateway(path, params) {
    var url = GATEWAY + path + '?' + new URLSearchParams(params).toString();
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
        // The {code, data} envelope of examples/policies/shape_envelope.lua.
        if (body && body.code === 0 && body.data) body = body.data;
        if (res.ok && body) return body;
        var hint = gatewayHints[res.status] || 'The gateway answered HTTP ' + res.status;
        var detail = body && (body.message || body.error)
          ? ': ' + (body.message || body.error) + (body.error ? ' (' + body.error + ')' : '')
          : '';
        throw new Error(hint + detail + ' [HTTP ' + res.status + ']');
      });
    }, function (err) {
      throw new Error('Cannot reach the gateway at ' + (GATEWAY || location.origin) +
        ' (' + err.message + '). Is it running, and does it allow this page\'s origin (SGW_CORS_ORIGINS)?');
    });
  }

  // COS answers errors as XML: <Error><Code>..</Code><Message>..</Message>.
  function bucketError(xhr) {
    var code = '', message = '';
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, 'application/xml');
      code = (doc.querySelector('Code') || {}).textContent || '';
      message = (doc.querySelector('Message') || {}).textContent || '';
    } catch (e) { /* not XML */ }
    return new Error('The bucket refused the upload' + (code ? ': ' + code : '') +
      (message ? ' (' + message + ')' : '') + ' [HTTP ' + xhr.status + ']');
  }

  // Sends body with XMLHttpRequest, moving the progress bar as it goes.
  function send(method, url, headers, body) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        progress.max = e.total;
        progress.value = e.loaded;
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          progress.value = progress.max;
          resolve(xhr);
        } else {
          reject(bucketError(xhr));
        }
      };
      xhr.onerror = function () {
        reject(new Error('The upload to ' + url + ' failed: network error, or the bucket does not allow this origin (CORS).'));
      };
      xhr.send(body);
    });
  }

  function putFile(auth, file) {
    var headers = { Authorization: auth.authorization };
    if (auth.securityToken) headers['x-cos-security-token'] = auth.securityToken;
    return send('PUT', bucketUrl(auth.cosHost) + '/' + keyPath(auth.cosKey), headers, file);
  }

  function postFile(auth, file) {
    var fd = new FormData();
    fd.append('key', auth.cosKey);
    fd.append('success_action_status', '200');
    if (file.type) fd.append('Content-Type', file.type);
    fd.append('q-sign-algorithm', auth.qSignAlgorithm);
    fd.append('q-ak', auth.qAk);
    fd.append('q-key-time', auth.qKeyTime);
    fd.append('q-signature', auth.qSignature);
    fd.append('policy', auth.policy);
    if (auth.securityToken) fd.append('x-cos-security-token', auth.securityToken);
    fd.append('file', file); // last: COS reads the fields before the file
    return send('POST', bucketUrl(auth.cosHost) + '/', {}, fd);
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var file = fileInput.files[0];
    var method = methodSelect.value;
    errorLine.textContent = '';
    link.hidden = true;
    if (!file) return fail('Pick a file first.');
    var dot = file.name.lastIndexOf('.');
    var ext = dot >= 0 ? file.name.slice(dot + 1) : '';
    progress.max = file.size || 1;
    progress.value = 0;
    say('Asking the gateway for a signature…');
    var auth;
    gateway(method === 'put' ? '/put-sign' : '/post-policy', { ext: ext })
      .then(function (a) {
        auth = a;
        say('Uploading ' + file.name + ' (' + file.size + ' bytes) by ' + method.toUpperCase() + '…');
        return method === 'put' ? putFile(auth, file) : postFile(auth, file);
      })
      .then(function () { return gateway('/get-sign', { key: auth.cosKey }); })
      .then(function (signed) {
        link.href = signed.url;
        link.textContent = auth.cosKey;
        link.hidden = false;
        say('Uploaded ' + file.name + ' (' + file.size + ' bytes) by ' + method.toUpperCase() +
          '. The link below is valid for a while.');
      })
      .catch(function (err) { fail(err.message); });
  });
}());
