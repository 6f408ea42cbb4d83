const dev = require('../../dev');
const { describe } = require('../../describe');

function auth() {
  return getApp().auth;
}

Page({
  data: {
    state: 'loading', // loading | in | out
    user: null,
    message: '',
  },

  // Handlers return their promise so that tests can wait; WeChat ignores it.
  onLoad() {
    return this.onLogin();
  },

  // Back from the profile page: show the user as it is now.
  onShow() {
    const user = auth().currentUser();
    if (user && this.data.state === 'in') this.setData({ user });
  },

  onLogin() {
    this.setData({ state: 'loading', message: '' });
    return auth()
      .login()
      .then(
        (user) => this.setData({ state: 'in', user }),
        (err) => this.setData({ state: 'out', message: describe(err) }),
      );
  },

  // An authenticated call to the server: refreshes or logs in by itself.
  onReload() {
    return auth()
      .request({ url: '/api/v1/me' })
      .then(
        (res) => this.setData({ user: res.data, message: '' }),
        (err) => this.setData({ message: describe(err) }),
      );
  },

  onGetPhoneNumber(e) {
    // e.detail.code is there when the user agreed; errMsg says why not.
    if (!e.detail.code) {
      this.setData({ message: 'Phone number not shared (' + e.detail.errMsg + ')' });
      return Promise.resolve();
    }
    const { config } = getApp();
    const code = config.simulator
      ? dev.simulatorPhoneCode(config.baseURL + '/_wxsim', config.appid, this.data.user.openid)
      : Promise.resolve(e.detail.code);
    return code
      .then((c) => auth().bindPhone(c))
      .then(
        (user) => this.setData({ user, message: 'Phone number bound' }),
        (err) => this.setData({ message: describe(err) }),
      );
  },

  onLogout() {
    // Never fails: the session is forgotten locally even when offline.
    return auth()
      .logout()
      .then(() => this.setData({ state: 'out', user: null, message: 'Logged out' }));
  },
});
