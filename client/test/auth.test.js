// The library against a real miniauth (dev mode), once through the wx
// adapter (the default `wx` global) and once through the Taro adapter. Logins
// and refreshes are counted on the server side: the simulator's stats and the
// server's Prometheus counters.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MiniauthError, NetworkError } = require('../dist/index.js');
const { startServer, deadURL } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const harness = require('./support/harness.js');
const { variants, pollUntil } = harness;

const KEY = 'miniauth';
const ACCESS_TTL_SECONDS = 90; // short, so that refresh-ahead is reachable with a shifted clock
const BOGUS_ACCESS_TOKEN = 'mat_' + 'A'.repeat(43); // well-formed, unknown to the server

let server;
before(async () => {
  server = await startServer({ MINIAUTH_TOKENS_ACCESS_TTL: ACCESS_TTL_SECONDS + 's' });
});
after(async () => {
  if (server) await server.stop();
});

const counted = (fn) => harness.counted(server, fn);
const api = (method, path, options) => harness.api(server, method, path, options);

async function phoneCode(openid, phone) {
  const res = await fetch(server.simURL + '/_sim/phone-code', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: DEV_APPID, openid, phone }),
  });
  assert.equal(res.status, 200, '_sim/phone-code');
  return (await res.json()).code;
}

for (const variant of variants) {
  describe(`createAuth via ${variant.name}`, () => {
    const newPhone = () => createFakeWx({ simURL: server.simURL });
    const make = (wx, options = {}) => variant.make(wx, Object.assign({ baseURL: server.baseURL }, options));

    /** A phone with a logged-in session in its storage; returns the phone. */
    async function loggedInPhone() {
      const wx = newPhone();
      await make(wx).login();
      wx.calls.request = 0;
      wx.log.length = 0;
      return wx;
    }

    function tamperAccessToken(wx) {
      const s = wx.getStorageSync(KEY);
      s.access_token = BOGUS_ACCESS_TOKEN;
      wx.setStorageSync(KEY, s);
    }

    it('logs in by itself on the first request and keeps the session in storage', async () => {
      const wx = newPhone();
      const auth = make(wx);
      assert.equal(auth.currentUser(), null);
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [1, 0, 1]);
      assert.equal(c.result.statusCode, 200);
      const stored = wx.getStorageSync(KEY);
      assert.ok(stored.access_token && stored.refresh_token, 'tokens stored');
      assert.ok(Math.abs(stored.expires_at - (Date.now() + ACCESS_TTL_SECONDS * 1000)) < 10000, 'expiry from expires_in');
      assert.equal(c.result.data.id, stored.user.id);
      assert.equal(auth.currentUser().openid, c.result.data.openid);
      assert.deepEqual(
        wx.log.map((r) => [r.method, r.url.slice(server.baseURL.length), r.authorization]),
        [
          ['POST', '/api/v1/auth/login', undefined],
          ['GET', '/api/v1/me', 'Bearer ' + stored.access_token],
        ],
      );
    });

    it('does not log in again on the next launch', async () => {
      const wx = await loggedInPhone();
      const user = wx.getStorageSync(KEY).user;
      const auth = make(wx); // the next launch: a new instance on the same storage
      assert.deepEqual(auth.currentUser(), user);
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [0, 0, 0]);
      assert.equal(c.result.data.id, user.id);
      assert.equal(wx.calls.request, 1);
      assert.deepEqual(await make(wx).login(), user);
      assert.equal(wx.calls.request, 1, 'login() with a stored session sends nothing');
    });

    it('refreshes shortly before the access token expires', async () => {
      let shift = 0;
      const wx = newPhone();
      const auth = make(wx, { now: () => Date.now() + shift });
      await auth.login();
      const first = wx.getStorageSync(KEY);

      shift = (ACCESS_TTL_SECONDS - 65) * 1000; // 65 s left: outside the 60 s window
      let c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes], [0, 0]);

      wx.log.length = 0;
      shift = (ACCESS_TTL_SECONDS - 55) * 1000; // 55 s left: refresh first
      c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [0, 1, 0]);
      const second = wx.getStorageSync(KEY);
      assert.notEqual(second.access_token, first.access_token);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode, r.authorization]),
        [
          ['/api/v1/auth/refresh', 200, undefined],
          ['/api/v1/me', 200, 'Bearer ' + second.access_token],
        ],
        'refreshed before sending, not after a 401',
      );
    });

    it('refreshes on a 401 and retries once', async () => {
      const wx = await loggedInPhone();
      const userID = wx.getStorageSync(KEY).user.id;
      tamperAccessToken(wx);
      const auth = make(wx);
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [0, 1, 0]);
      assert.equal(c.result.data.id, userID);
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/me', 401],
          ['/api/v1/auth/refresh', 200],
          ['/api/v1/me', 200],
        ],
      );
    });

    it('logs in again when the session was revoked', async () => {
      const wx = await loggedInPhone();
      const stored = wx.getStorageSync(KEY);
      assert.equal((await api('POST', '/api/v1/auth/logout', { token: stored.access_token })).status, 204);
      await pollUntil(async () => (await api('GET', '/api/v1/me', { token: stored.access_token })).status === 401, 2000, 'token revoked');

      const auth = make(wx);
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [1, 0, 1]);
      assert.equal(c.result.data.id, stored.user.id, 'the same phone is the same user');
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/me', 401],
          ['/api/v1/auth/refresh', 401],
          ['/api/v1/auth/login', 200],
          ['/api/v1/me', 200],
        ],
      );
    });

    it('gives up after one retry when the server keeps refusing', async () => {
      const wx = await loggedInPhone();
      // The phone's network swaps the token on /api/v1/me for a bogus one, so
      // that route answers 401 whatever the library does.
      const realRequest = wx.request;
      wx.request = (o) => {
        if (o.url.endsWith('/api/v1/me')) {
          o = Object.assign({}, o, { header: Object.assign({}, o.header, { Authorization: 'Bearer ' + BOGUS_ACCESS_TOKEN }) });
        }
        return realRequest(o);
      };
      const auth = make(wx);
      const err = await auth.request({ url: '/api/v1/me' }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.ok(err instanceof MiniauthError);
      assert.ok(!(err instanceof NetworkError));
      assert.equal(err.code, 'unauthorized');
      assert.equal(err.status, 401);
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/me', 401],
          ['/api/v1/auth/refresh', 200],
          ['/api/v1/me', 401],
        ],
      );
    });

    it('shares one login among 20 concurrent requests on a cold start', async () => {
      const wx = newPhone();
      const auth = make(wx);
      const c = await counted(() => Promise.all(Array.from({ length: 20 }, () => auth.request({ url: '/api/v1/me' }))));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [1, 0, 1]);
      assert.equal(wx.calls.login, 1);
      assert.equal(wx.calls.request, 21);
      assert.equal(new Set(c.result.map((r) => r.data.id)).size, 1);
    });

    it('shares one refresh among 20 concurrent 401s', async () => {
      const wx = await loggedInPhone();
      tamperAccessToken(wx);
      const auth = make(wx);
      const c = await counted(() => Promise.all(Array.from({ length: 20 }, () => auth.request({ url: '/api/v1/me' }))));
      assert.deepEqual([c.logins, c.refreshes, c.jscode2session], [0, 1, 0]);
      assert.ok(c.result.every((r) => r.statusCode === 200));
      assert.equal(wx.calls.request, 20 + 1 + 20);
      const refreshes = wx.log.filter((r) => r.url.endsWith('/api/v1/auth/refresh'));
      assert.equal(refreshes.length, 1);
    });

    it('reports an unreachable server as a NetworkError, without retrying', async () => {
      const wx = newPhone();
      const auth = make(wx, { baseURL: await deadURL() });
      const errs = await Promise.all(
        Array.from({ length: 20 }, () =>
          auth.request({ url: '/api/v1/me' }).then(
            () => assert.fail('resolved'),
            (e) => e,
          ),
        ),
      );
      for (const err of errs) {
        assert.ok(err instanceof NetworkError, String(err));
        assert.ok(err instanceof MiniauthError);
        assert.equal(err.code, 'network_error');
        assert.equal(err.status, 0);
        assert.match(err.message, /request:fail/);
      }
      assert.equal(wx.calls.request, 1, 'one shared login attempt, no retries');
      assert.equal(auth.currentUser(), null);

      // With a stored session: one attempt, no refresh or login after it.
      const phone = await loggedInPhone();
      phone.offline = true;
      const err = await make(phone).request({ url: '/api/v1/me' }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.ok(err instanceof NetworkError);
      assert.equal(phone.calls.request, 1);
      assert.ok(phone.getStorageSync(KEY).access_token, 'a network error keeps the session');
    });

    it('passes the server error code through', async () => {
      const wx = await loggedInPhone();
      const auth = make(wx);
      const err = await auth.request({ url: '/api/v1/no-such-route' }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.ok(err instanceof MiniauthError);
      assert.ok(!(err instanceof NetworkError));
      assert.equal(err.code, 'not_found');
      assert.equal(err.status, 404);
      assert.ok(err.requestId, 'request id from the error body');
      assert.equal(wx.calls.request, 1, 'not retried');

      const bad = await auth.bindPhone('not-a-code').then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.equal(bad.code, 'invalid_code');
      assert.equal(bad.status, 400);
    });

    it('sends the token only to its own origin and the listed ones', async () => {
      const wx = await loggedInPhone();
      const refused = await make(wx).request({ url: 'https://third-party.example/steal' }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.equal(refused.code, 'invalid_request');
      assert.equal(wx.calls.request, 0, 'nothing was sent');

      const own = await make(wx).request({ url: server.baseURL + '/api/v1/me' });
      assert.equal(own.statusCode, 200);

      // A listed origin gets the token (nothing listens there: the request
      // fails, but it was sent with the token).
      wx.log.length = 0;
      const listed = 'http://127.0.0.2:1';
      const err = await make(wx, { origins: [listed] }).request({ url: listed + '/orders' }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.ok(err instanceof NetworkError);
      assert.equal(wx.log.length, 1);
      assert.match(wx.log[0].authorization, /^Bearer /);
    });

    it('binds the phone number', async () => {
      const wx = await loggedInPhone();
      const auth = make(wx);
      const code = await phoneCode(auth.currentUser().openid, '13800138000');
      const user = await auth.bindPhone(code);
      assert.equal(user.phone, '13800138000');
      assert.equal(auth.currentUser().phone, '13800138000');
      assert.equal(wx.getStorageSync(KEY).user.phone, '13800138000', 'stored for the next launch');
      const me = await auth.request({ url: '/api/v1/me' });
      assert.equal(me.data.phone, '13800138000');
      assert.equal(wx.log[0].url, server.baseURL + '/api/v1/me/phone');
      assert.equal(wx.log[0].method, 'POST');
    });

    it('logs out on the server and clears storage', async () => {
      const wx = await loggedInPhone();
      const stored = wx.getStorageSync(KEY);
      const auth = make(wx);
      await auth.logout();
      assert.equal(wx.getStorageSync(KEY), '');
      assert.equal(auth.currentUser(), null);
      assert.deepEqual(
        wx.log.map((r) => [r.method, r.url.slice(server.baseURL.length), r.statusCode, r.authorization]),
        [['POST', '/api/v1/auth/logout', 204, 'Bearer ' + stored.access_token]],
      );
      await pollUntil(async () => (await api('GET', '/api/v1/me', { token: stored.access_token })).status === 401, 2000, 'access token revoked');
      const refreshed = await api('POST', '/api/v1/auth/refresh', { body: { refresh_token: stored.refresh_token } });
      assert.equal(refreshed.status, 401, 'refresh token revoked');

      // The next request logs in afresh.
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.jscode2session], [1, 1]);
    });

    it('does not log in again for a request that was in flight during logout', async () => {
      const wx = await loggedInPhone();
      let open;
      const gate = new Promise((r) => (open = r));
      const realRequest = wx.request;
      wx.request = (o) => {
        if (o.url.endsWith('/api/v1/me')) gate.then(() => realRequest(o));
        else realRequest(o);
      };
      const auth = make(wx);
      const c = await counted(async () => {
        const pending = auth.request({ url: '/api/v1/me' }).then(
          () => assert.fail('resolved'),
          (e) => e,
        );
        await auth.logout();
        open();
        return pending;
      });
      assert.equal(c.result.code, 'unauthorized');
      assert.deepEqual([c.logins, c.refreshes], [0, 0]);
      assert.equal(wx.getStorageSync(KEY), '');
      assert.equal(auth.currentUser(), null);
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/auth/logout', 204],
          ['/api/v1/me', 401],
        ],
      );
    });

    it('clears storage on logout even when the server is unreachable', async () => {
      const wx = await loggedInPhone();
      const auth = make(wx);
      wx.offline = true;
      await auth.logout();
      assert.equal(wx.getStorageSync(KEY), '');
      assert.equal(auth.currentUser(), null);
      assert.equal(wx.calls.request, 1);
    });
  });
}
