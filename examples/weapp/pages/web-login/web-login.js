// The page a scan-to-log-in code opens: the web page's ticket arrives as
// options.scene (URL-encoded), and the user confirms or denies that web
// page's login with their own session.

function auth() {
  return getApp().auth;
}

// A line for the user: the server's code and message, and its request id.
function describe(err) {
  if (err.code === 'network_error') return 'Cannot reach the server (' + err.message + ')';
  if (err.code === 'conflict') return 'This code was already used: scan a new one';
  if (err.code === 'not_found') return 'This code expired: scan a new one';
  if (err.code) return err.code + ': ' + err.message + (err.requestId ? ' (request ' + err.requestId + ')' : '');
  return String(err.errMsg || err);
}

Page({
  data: {
    state: 'loading', // loading | ask | confirmed | denied | failed
    message: '',
  },

  // Handlers return their promise so that tests can wait; WeChat ignores it.
  onLoad(options) {
    this.ticket = options && options.scene ? decodeURIComponent(options.scene) : '';
    if (!this.ticket) {
      this.setData({ state: 'failed', message: 'No ticket: open this page by scanning the code on the web page' });
      return Promise.resolve();
    }
    // Tells the web page that its code was opened (and logs in if needed).
    return auth()
      .webLogin.scan(this.ticket)
      .then(
        () => this.setData({ state: 'ask', message: '' }),
        (err) => this.setData({ state: 'failed', message: describe(err) }),
      );
  },

  onConfirm() {
    return this.finish(auth().webLogin.confirm(this.ticket), 'confirmed', 'Logged in on the web page');
  },

  onDeny() {
    return this.finish(auth().webLogin.deny(this.ticket), 'denied', 'The web page was not logged in');
  },

  finish(call, state, message) {
    this.setData({ state: 'loading', message: '' });
    return call.then(
      () => this.setData({ state, message }),
      (err) => this.setData({ state: 'failed', message: describe(err) }),
    );
  },
});
