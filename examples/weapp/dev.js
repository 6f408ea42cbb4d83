// For a miniauth server in dev mode: codes come from its WeChat simulator
// (mounted at /_wxsim) instead of real WeChat. Not for production.
const { wxPlatform } = require('@miniauth/weapp');

const OPENID_KEY = 'miniauth-sim-openid';

function post(url, data) {
  return new Promise((resolve, reject) =>
    wx.request({
      url,
      method: 'POST',
      data,
      success(res) {
        if (res.statusCode === 200) resolve(res.data);
        else reject({ errMsg: 'simulator answered HTTP ' + res.statusCode });
      },
      fail: reject,
    }),
  );
}

// The wx platform, except that login() asks the simulator for a code, always
// for the same simulated user on this device.
function simulatorPlatform(simURL, appid) {
  const platform = wxPlatform(wx);
  platform.login = () => {
    const openid = wx.getStorageSync(OPENID_KEY);
    return post(simURL + '/_sim/login-code', openid ? { appid, openid } : { appid }).then((out) => {
      wx.setStorageSync(OPENID_KEY, out.openid);
      return out.code;
    });
  };
  return platform;
}

// A phone code for a test number, as the getPhoneNumber button would give.
function simulatorPhoneCode(simURL, appid, openid) {
  return post(simURL + '/_sim/phone-code', { appid, openid, phone: '13800138000' }).then((out) => out.code);
}

module.exports = { simulatorPlatform, simulatorPhoneCode };
