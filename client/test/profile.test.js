// setNickname and uploadAvatar against a real miniauth (dev mode), through
// the `wx` global and through Taro: the answer replaces the stored user and
// tells onChange; an upload shares the login/refresh single flight and the
// one retry after a 401 with every other call. Counted on the server side.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MiniauthError, NetworkError } = require('../dist/index.js');
const { startServer, metricValue } = require('./support/server.js');
const { createFakeWx } = require('./support/fakewx.js');
const { png, tempImage } = require('./support/png.js');
const harness = require('./support/harness.js');
const { variants, rejection } = harness;

const KEY = 'miniauth';
const BOGUS_ACCESS_TOKEN = 'mat_' + 'A'.repeat(43);

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

/** avatarUploads is how many avatar uploads the server has answered, by status. */
async function avatarUploads() {
  const metrics = await (await fetch(server.baseURL + '/metrics')).text();
  return metricValue(metrics, 'miniauth_http_requests_total', { route: '/api/v1/me/avatar' });
}

for (const variant of variants) {
  describe(`profile via ${variant.name}`, () => {
    const make = (wx, options = {}) => variant.make(wx, Object.assign({ baseURL: server.baseURL }, options));

    async function loggedIn() {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      await auth.login();
      const events = [];
      auth.onChange((e) => events.push(e));
      wx.log.length = 0;
      return { wx, auth, events };
    }

    it('sets the nickname, stores the user and tells onChange', async () => {
      const { wx, auth, events } = await loggedIn();
      const c = await harness.counted(server, () => auth.setNickname('  小明 🐱 '));
      assert.equal(c.result.nickname, '小明 🐱');
      assert.deepEqual([c.logins, c.refreshes, c.apiRequests], [0, 0, 1]);
      assert.deepEqual(
        wx.log.map((r) => [r.method, r.url.slice(server.baseURL.length), r.statusCode]),
        [['PUT', '/api/v1/me', 200]],
        'PUT: wx.request cannot send PATCH',
      );
      assert.equal(auth.currentUser().nickname, '小明 🐱');
      assert.equal(wx.getStorageSync(KEY).user.nickname, '小明 🐱');
      assert.deepEqual(events, [{ type: 'user', user: c.result }]);

      // The same name again changes nothing: no event.
      await auth.setNickname('小明 🐱');
      assert.equal(events.length, 1);
    });

    it('refuses a bad nickname with the server code and keeps the user', async () => {
      const { auth, events } = await loggedIn();
      const before = auth.currentUser();
      for (const bad of ['', 'a\u202Eb', '名'.repeat(33)]) {
        const err = await rejection(auth.setNickname(bad));
        assert.ok(err instanceof MiniauthError && !(err instanceof NetworkError));
        assert.deepEqual([err.code, err.status], ['invalid_request', 400], JSON.stringify(bad));
      }
      assert.deepEqual(auth.currentUser(), before);
      assert.equal(events.length, 0);
    });

    it('uploads the avatar through uploadFile with the token, as a part named file', async () => {
      const { wx, auth, events } = await loggedIn();
      const token = wx.getStorageSync(KEY).access_token;
      const user = await auth.uploadAvatar(tempImage(png(600, 400)));
      assert.match(user.avatar_url, /^http:\/\/127\.0\.0\.1:\d+\/avatars\/[0-9a-f]{64}\.(png|jpg)$/);
      assert.deepEqual(
        wx.log.map((r) => [r.method, r.url.slice(server.baseURL.length), r.authorization, r.statusCode]),
        [['UPLOAD', '/api/v1/me/avatar', 'Bearer ' + token, 200]],
      );
      assert.equal(wx.calls.uploadFile, 1);
      assert.deepEqual(auth.currentUser(), user);
      assert.equal(wx.getStorageSync(KEY).user.avatar_url, user.avatar_url);
      assert.deepEqual(events, [{ type: 'user', user }]);
      const img = await fetch(user.avatar_url);
      assert.equal(img.status, 200);
      assert.match(img.headers.get('content-type'), /^image\/(png|jpeg)$/);
    });

    it('refreshes on a 401 and uploads the file once more', async () => {
      const { wx, auth } = await loggedIn();
      const s = wx.getStorageSync(KEY);
      s.access_token = BOGUS_ACCESS_TOKEN;
      wx.setStorageSync(KEY, s);
      const again = make(wx); // a launch that reads the damaged token
      const uploads = await avatarUploads();
      const c = await harness.counted(server, () => again.uploadAvatar(tempImage()));
      assert.match(c.result.avatar_url, /\/avatars\//);
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [0, 1, 0]);
      assert.equal((await avatarUploads()) - uploads, 2);
      assert.deepEqual(
        wx.log.map((r) => [r.method, r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['UPLOAD', '/api/v1/me/avatar', 401],
          ['POST', '/api/v1/auth/refresh', 200],
          ['UPLOAD', '/api/v1/me/avatar', 200],
        ],
      );
      assert.equal(auth.currentUser().id, c.result.id);
    });

    it('shares one login between an upload, a nickname and a request on a cold start', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      const c = await harness.counted(server, () =>
        Promise.all([auth.uploadAvatar(tempImage()), auth.setNickname('Ada'), auth.request({ url: '/api/v1/me' })]),
      );
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [1, 0, 1]);
      assert.equal(wx.calls.login, 1);
      assert.equal(new Set(c.result.map((r) => (r.data || r).id)).size, 1);
      const me = (await auth.request({ url: '/api/v1/me' })).data;
      assert.equal(me.nickname, 'Ada');
      assert.match(me.avatar_url, /\/avatars\//);
    });

    it('refuses a file that is no image with the server code', async () => {
      const { auth, events } = await loggedIn();
      const err = await rejection(auth.uploadAvatar(tempImage(Buffer.from('not an image at all'), 'fake.png')));
      assert.deepEqual([err.code, err.status], ['invalid_request', 400]);
      assert.ok(err.requestId, 'request id from the error body (uploadFile has no headers)');
      assert.equal(auth.currentUser().avatar_url, '');
      assert.equal(events.length, 0);
    });

    it('rejects with a NetworkError when the upload gets no answer', async () => {
      const { wx, auth } = await loggedIn();
      wx.offline = true;
      const err = await rejection(auth.uploadAvatar(tempImage()));
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /uploadFile:fail/);
    });
  });
}

describe('a platform without uploadFile', () => {
  it('rejects uploadAvatar before sending anything', async () => {
    const wx = createFakeWx({ simURL: server.simURL });
    const { wxPlatform } = require('../dist/index.js');
    const platform = wxPlatform(wx);
    delete platform.uploadFile;
    const { createAuth } = require('../dist/index.js');
    const auth = createAuth({ baseURL: server.baseURL, platform });
    const err = await rejection(auth.uploadAvatar('/tmp/x.png'));
    assert.match(err.message, /no uploadFile/);
    assert.equal(wx.calls.request + wx.calls.login, 0);
  });
});
