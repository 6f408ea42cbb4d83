// After user_blocked the library stops trying (each try is a WeChat call)
// until a set time has passed, and says so without sending anything.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { variants, counted, api, pollUntil, rejection } = require('./support/harness.js');

const ADMIN_TOKEN = 'admin-token-for-client-tests-0123456789';
const DEFAULT_BLOCKED_RETRY_MS = 300 * 1000;

let server;
before(async () => {
  server = await startServer({ MINIAUTH_ADMIN_TOKEN: ADMIN_TOKEN });
});
after(async () => {
  if (server) await server.stop();
});

async function admin(method, path) {
  const res = await api(server, method, '/admin/v1' + path, { token: ADMIN_TOKEN });
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
}

async function fault(body) {
  const res = await fetch(server.simURL + '/_sim/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, `_sim/faults: HTTP ${res.status}`);
}

for (const variant of variants) {
  describe(`user_blocked via ${variant.name}`, () => {
    it('remembers a disabled account instead of logging in on every call', async () => {
      let shift = 0;
      const wx = createFakeWx({ simURL: server.simURL });
      const options = { baseURL: server.baseURL, now: () => Date.now() + shift };
      const auth = variant.make(wx, options);
      const user = await auth.login();

      await admin('POST', `/users/${user.id}/disable`);
      const token = wx.getStorageSync('miniauth').access_token;
      await pollUntil(async () => (await api(server, 'GET', '/api/v1/me', { token })).status === 401, 2000, 'session ended');

      wx.log.length = 0;
      const first = await counted(server, () => rejection(auth.request({ url: '/api/v1/me' })));
      assert.equal(first.result.code, 'user_blocked');
      assert.equal(first.result.status, 403);
      assert.deepEqual([first.jscode2session, first.blocked], [1, 1]);
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/me', 401],
          ['/api/v1/auth/refresh', 401],
          ['/api/v1/auth/login', 403],
        ],
      );

      // Every call now, and after a relaunch too, fails the same way with
      // nothing sent, up to the last millisecond of the default period.
      wx.calls.login = wx.calls.request = 0;
      shift = DEFAULT_BLOCKED_RETRY_MS - 1000;
      const relaunched = variant.make(wx, options);
      const later = await counted(server, () =>
        Promise.all([
          rejection(auth.request({ url: '/api/v1/me' })),
          rejection(auth.request({ url: '/api/v1/me' })),
          rejection(auth.login()),
          rejection(auth.bindPhone('some-code')),
          rejection(relaunched.request({ url: '/api/v1/me' })),
          rejection(relaunched.login()),
        ]),
      );
      for (const err of later.result) {
        assert.equal(err.code, 'user_blocked');
        assert.equal(err.status, 403);
      }
      assert.deepEqual([later.jscode2session, later.apiRequests, wx.calls.login, wx.calls.request], [0, 0, 0, 0]);
      assert.equal(auth.currentUser(), null, 'the session is gone');

      // Once the period has passed, a call tries again; the account was
      // enabled meanwhile, so the login succeeds and ends the block.
      await admin('POST', `/users/${user.id}/enable`);
      shift = DEFAULT_BLOCKED_RETRY_MS;
      const after = await counted(server, () => relaunched.request({ url: '/api/v1/me' }));
      assert.equal(after.result.data.id, user.id);
      assert.deepEqual([after.logins, after.jscode2session], [1, 1]);
      assert.equal(wx.calls.login, 1);
      assert.equal(relaunched.currentUser().id, user.id);
      assert.equal(variant.make(wx, options).currentUser().id, user.id, 'the stored block is gone');
    });

    it('remembers a WeChat block (40226) for blockedRetrySeconds', async () => {
      let clock = Date.now();
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = variant.make(wx, { baseURL: server.baseURL, blockedRetrySeconds: 10, now: () => clock });
      const events = [];
      auth.onChange((e) => events.push(e));

      await fault({ endpoint: 'sns/jscode2session', errcode: 40226, count: 1 });
      const first = await counted(server, () => rejection(auth.login()));
      assert.equal(first.result.code, 'user_blocked');
      assert.deepEqual([first.jscode2session, first.blocked], [1, 1]);
      assert.deepEqual(events, [{ type: 'blocked', user: null }]);

      clock += 10 * 1000 - 1;
      const during = await counted(server, () => rejection(auth.request({ url: '/api/v1/me' })));
      assert.equal(during.result.code, 'user_blocked');
      assert.deepEqual([during.jscode2session, during.apiRequests], [0, 0]);

      clock += 1;
      const after = await counted(server, () => auth.login());
      assert.deepEqual([after.logins, after.jscode2session], [1, 1]);
      assert.equal(events.length, 2);
      assert.deepEqual(events[1], { type: 'login', user: after.result });
    });

    it('tries every time with blockedRetrySeconds: 0', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = variant.make(wx, { baseURL: server.baseURL, blockedRetrySeconds: 0 });
      const events = [];
      auth.onChange((e) => events.push(e.type));
      await fault({ endpoint: 'sns/jscode2session', errcode: 40226, count: 2 });
      const c = await counted(server, async () => {
        assert.equal((await rejection(auth.login())).code, 'user_blocked');
        assert.equal((await rejection(auth.login())).code, 'user_blocked');
        return auth.login();
      });
      assert.deepEqual([c.jscode2session, c.blocked, c.logins], [3, 2, 1]);
      assert.deepEqual(events, ['blocked', 'blocked', 'login']);
    });

    it('forgets a remembered block on logout', async () => {
      const wx = createFakeWx({ simURL: server.simURL, appid: DEV_APPID });
      const auth = variant.make(wx, { baseURL: server.baseURL });
      await fault({ endpoint: 'sns/jscode2session', errcode: 40226, count: 1 });
      assert.equal((await rejection(auth.login())).code, 'user_blocked');
      await auth.logout();
      assert.equal(wx.getStorageSync('miniauth'), '');
      const c = await counted(server, () => auth.login());
      assert.deepEqual([c.logins, c.jscode2session], [1, 1]);
    });
  });
}
