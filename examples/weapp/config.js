// Where the example finds miniauth. Edit before opening it in DevTools.
module.exports = {
  // The miniauth server. In DevTools, untick domain checking for a local one.
  baseURL: 'http://127.0.0.1:8080',
  // The AppID the server knows this mini program by.
  appid: 'wxdevappid0000000',
  // true against a server in dev mode: wx.login() and the phone button give
  // codes only real WeChat can exchange, so the example asks the server's
  // WeChat simulator for codes instead. false against a server configured
  // with your real AppID and secret (and set that AppID in project.config.json).
  simulator: true,
};
