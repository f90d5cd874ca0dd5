var uploadFile = function () {
  // URL encode format for a wider range of characters
  var camSafeUrlEncode = function (str) {
    return encodeURIComponent(str).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
  };

  // Obtain Signature
  var getAuthorization = function (options, callback) {
    wx.request({
      method: 'GET',
      // Replace with your own server address to obtain the POST upload signature
      url: 'http://127.0.0.1:3000/post-policy?ext=' + options.ext,
      dataType: 'json',
      success: function (result) {
        var data = result.data;
        if (data) {
          callback(data);
        } else {
          wx.showModal({
            "title": "Temporary secret retrieval failed",
            content: JSON.stringify(data),
            showCancel: false,
          });
        }
      },
      error: function (err) {
        wx.showModal({
          "title": "Temporary secret retrieval failed",
          content: JSON.stringify(err),
          showCancel: false,
        });
      },
    });
  };

  var postFile = function ({ prefix, filePath, key, formData }) {
    var requestTask = wx.uploadFile({
      url: prefix,
      name: 'file',
      filePath: filePath,
      formData: formData,
      success: function (res) {
        var url = prefix + '/' + camSafeUrlEncode(key).replace(/%2F/g, '/');
        if (res.statusCode === 200) {
          wx.showModal({ title: 'Upload successful', content: url, showCancel: false });
        } else {
          wx.showModal({
            "title": "Upload failed",
            content: JSON.stringify(res),
            showCancel: false,
          });
        }
        console.log(res.header['x-cos-request-id']);
        console.log(res.statusCode);
        console.log(url);
      },
      fail: function (res) {
        wx.showModal({
          "title": "Upload failed",
          content: JSON.stringify(res),
          showCancel: false,
        });
      },
    });
    requestTask.onProgressUpdate(function (res) {
      console.log('Current progress:', res);
    });
  };

  // Upload file
  var uploadFile = function (filePath) {
    var extIndex = filePath.lastIndexOf('.');
    var fileExt = extIndex >= -1 ? filePath.substr(extIndex + 1) : '';
    getAuthorization({ ext: fileExt }, function (AuthData) {
      // Parameters used in the request
      var prefix = 'https://' + AuthData.cosHost;
      var key = AuthData.cosKey; // Allowing the server to determine the filename is more secure
      var formData = {
        key: key,
        success_action_status: 200,
        'Content-Type': '',
        'q-sign-algorithm': AuthData.qSignAlgorithm,
        'q-ak': AuthData.qAk,
        'q-key-time': AuthData.qKeyTime,
        'q-signature': AuthData.qSignature,
        policy: AuthData.policy,
      };
      if (AuthData.securityToken)
        formData['x-cos-security-token'] = AuthData.securityToken;
      postFile({ prefix, filePath, key, formData });
    });
  };

  // Select a file
  wx.chooseMedia({
    count: 1, // Default 9
    sizeType: ['original'], // Specifies whether to use the original image or a compressed version; the default is the original image.
    sourceType: ['album', 'camera'], // Specify the source as either album or camera; both are available by default.
    success: function (res) {
      uploadFile(res.tempFiles[0].tempFilePath);
    },
  });
};
