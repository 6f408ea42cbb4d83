// The user's devices: every session of the account, this one marked, each
// other one with "Log out this device" (auth.endSession), which ends it on
// every server node within a second.

function auth() {
  return getApp().auth;
}

function describe(err) {
  if (err.code === 'network_error') return 'Cannot reach the server (' + err.message + ')';
  return err.code + ': ' + err.message + (err.requestId ? ' (request ' + err.requestId + ')' : '');
}

// What the list shows of a session: the phone model is in the user agent.
function deviceOf(s) {
  return {
    id: s.id,
    current: s.current,
    name: s.user_agent || 'Unknown device',
    detail: s.ip + ' · since ' + s.created_at.slice(0, 10) + ' · last used ' + s.last_used_at.slice(0, 16).replace('T', ' '),
  };
}

Page({
  data: {
    devices: [],
    message: '',
  },

  // Handlers return their promise so that tests can wait; WeChat ignores it.
  onShow() {
    return this.onRefresh();
  },

  onRefresh() {
    return auth()
      .sessions()
      .then(
        (sessions) => this.setData({ devices: sessions.map(deviceOf) }),
        (err) => this.setData({ message: describe(err) }),
      );
  },

  onEndSession(e) {
    const id = e.currentTarget.dataset.id;
    return auth()
      .endSession(id)
      .then(
        () => {
          this.setData({ message: 'Device logged out' });
          return this.onRefresh();
        },
        (err) => this.setData({ message: describe(err) }),
      );
  },
});
