const { describe } = require('../../describe');

function auth() {
  return getApp().auth;
}

// The profile as WeChat wants it since getUserProfile is gone: the user
// picks an avatar (<button open-type="chooseAvatar">, a temporary file that
// the server keeps) and a nickname (<input type="nickname">, which offers
// the WeChat nickname).
Page({
  data: {
    state: 'loading', // loading | in | out
    user: null,
    message: '',
  },

  // Handlers return their promise so that tests can wait; WeChat ignores it.
  onLoad() {
    // Follow the user while the page is open: the answers of setNickname
    // and uploadAvatar, a refresh, a logout elsewhere.
    this.stopFollowing = auth().onChange(({ user }) => this.setData({ state: user ? 'in' : 'out', user }));
    return auth()
      .login()
      .then(
        (user) => this.setData({ state: 'in', user }),
        (err) => this.setData({ state: 'out', message: describe(err) }),
      );
  },

  onUnload() {
    if (this.stopFollowing) this.stopFollowing();
  },

  onChooseAvatar(e) {
    this.setData({ message: 'Uploading…' });
    return auth()
      .uploadAvatar(e.detail.avatarUrl)
      .then(
        () => this.setData({ message: 'Avatar saved' }),
        (err) => this.setData({ message: describe(err) }),
      );
  },

  // A form rather than bindinput: WeChat checks a nickname picked from the
  // keyboard's suggestion before it lands in the field, and a submitted
  // form always has the final value.
  onSaveNickname(e) {
    const nickname = (e.detail.value.nickname || '').trim();
    if (!nickname) {
      this.setData({ message: 'Enter a nickname' });
      return Promise.resolve();
    }
    return auth()
      .setNickname(nickname)
      .then(
        () => this.setData({ message: 'Nickname saved' }),
        (err) => this.setData({ message: describe(err) }),
      );
  },
});
