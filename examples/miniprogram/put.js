var uploadFile = function () {
  // URL encode format for a wider range of characters
  var camSafeUrlEncode = function (str) {
    return encodeURIComponent(str).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
  };

  // Obtain Signature
  var getAuthorization = function (options, callback) {
    wx.request({
      method: 'GET',
      // Replace with your own server address to obtain the PUT upload signature
      url: 'http://127.0.0.1:3000/put-sign?ext=' + options.ext,
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

  var putFile = function ({ prefix, filePath, key, AuthData }) {
    // Put upload requires reading the actual content of the file for uploading
    const wxfs = wx.getFileSystemManager();
    wxfs.readFile({
      filePath: filePath,
      success: function (fileRes) {
        var requestTask = wx.request({
          url: prefix + '/' + key,
          method: 'PUT',
          header: {
            Authorization: AuthData.authorization,
            'x-cos-security-token': AuthData.securityToken,
          },
          data: fileRes.data,
          success: function success(res) {
            var url = prefix + '/' + camSafeUrlEncode(key).replace(/%2F/g, '/');
            if (res.statusCode === 200) {
              wx.showModal({
                "title": "Upload successful",
                content: url,
                showCancel: false,
              });
            } else {
              wx.showModal({
                "title": "Upload failed",
                content: JSON.stringify(res),
                showCancel: false,
              });
            }
            console.log(res.statusCode);
            console.log(url);
          },
          fail: function fail(res) {
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
      },
    });
  };

  // Upload file
  var uploadFile = function (filePath) {
    var extIndex = filePath.lastIndexOf('.');
    var fileExt = extIndex >= -1 ? filePath.substr(extIndex + 1) : '';
    getAuthorization({ ext: fileExt }, function (AuthData) {
      const prefix = 'https://' + AuthData.cosHost;
      const key = AuthData.cosKey;
      putFile({ prefix, filePath, key, AuthData });
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
