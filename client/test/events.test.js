// onChange: the login state as events (login, user, logout, blocked).
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { variants, counted, api, pollUntil, rejection } = require('./support/harness.js');

const KEY = 'miniauth';
const ACCESS_TTL_SECONDS = 90;

let server;
before(async () => {
  server = await startServer({ MINIAUTH_TOKENS_ACCESS_TTL: ACCESS_TTL_SECONDS + 's' });
});
after(async () => {
  if (server) await server.stop();
});

async function sim(path, body) {
  const res = await fetch(server.simURL + '/_sim/' + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, `_sim/${path}: HTTP ${res.status}`);
  return res.status === 200 ? res.json() : null;
}

/** revoke ends the session stored on wx, outside the library. */
async function revoke(wx) {
  const token = wx.getStorageSync(KEY).access_token;
  assert.equal((await api(server, 'POST', '/api/v1/auth/logout', { token })).status, 204);
  await pollUntil(async () => (await api(server, 'GET', '/api/v1/me', { token })).status === 401, 2000, 'session ended');
}

for (const variant of variants) {
  describe(`onChange via ${variant.name}`, () => {
    const make = (wx, options = {}) => variant.make(wx, Object.assign({ baseURL: server.baseURL }, options));

    it('tells of login, a changed user and logout, until unsubscribed', async () => {
      let shift = 0;
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx, { now: () => Date.now() + shift });
      const events = [];
      const unsubscribe = auth.onChange((e) => events.push(e));
      const others = [];
      auth.onChange((e) => others.push(e.type));

      await auth.request({ url: '/api/v1/me' });
      const user = auth.currentUser();
      assert.deepEqual(events, [{ type: 'login', user }]);

      // A refresh with the same user is no change.
      shift = (ACCESS_TTL_SECONDS - 30) * 1000;
      const c = await counted(server, () => auth.request({ url: '/api/v1/me' }));
      assert.equal(c.refreshes, 1);
      assert.equal(events.length, 1);

      const { code } = await sim('phone-code', { appid: DEV_APPID, openid: user.openid, phone: '13800138000' });
      const bound = await auth.bindPhone(code);
      assert.deepEqual(events[1], { type: 'user', user: bound });
      assert.equal(events[1].user.phone, '13800138000');

      await auth.logout();
      assert.deepEqual(events[2], { type: 'logout', user: null });
      await auth.logout(); // already logged out: no change
      assert.equal(events.length, 3);

      unsubscribe();
      unsubscribe(); // twice is harmless
      await auth.login();
      assert.equal(events.length, 3, 'nothing after unsubscribing');
      assert.deepEqual(others, ['login', 'user', 'logout', 'login'], 'the other listener still hears');
    });

    it('tells of another account after a dead session logs in again', async () => {
      // Phone B starts with the stored session of phone A, which then ends:
      // the new login is B's own user.
      const a = createFakeWx({ simURL: server.simURL });
      const userA = await make(a).login();
      const b = createFakeWx({ simURL: server.simURL });
      b.setStorageSync(KEY, a.getStorageSync(KEY));
      await revoke(a);

      const auth = make(b);
      const events = [];
      auth.onChange((e) => events.push(e));
      const c = await counted(server, () => auth.request({ url: '/api/v1/me' }));
      assert.equal(c.logins, 1);
      assert.notEqual(c.result.data.id, userA.id);
      assert.deepEqual(events, [{ type: 'user', user: auth.currentUser() }]);
      assert.equal(events[0].user.id, c.result.data.id);
    });

    it('tells of a logout when a dead session cannot be renewed, and forgets it', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      await auth.login();
      await revoke(wx);
      const events = [];
      auth.onChange((e) => events.push(e));

      await sim('faults', { endpoint: 'sns/jscode2session', errcode: -1, count: 1 });
      const err = await rejection(auth.request({ url: '/api/v1/me' }));
      assert.equal(err.code, 'upstream_unavailable');
      assert.deepEqual(events, [{ type: 'logout', user: null }]);
      assert.equal(auth.currentUser(), null);
      assert.equal(wx.getStorageSync(KEY), '');

      // The next call logs in straight away, without the dead token.
      wx.log.length = 0;
      await auth.request({ url: '/api/v1/me' });
      assert.deepEqual(
        wx.log.map((r) => [r.url.slice(server.baseURL.length), r.statusCode]),
        [
          ['/api/v1/auth/login', 200],
          ['/api/v1/me', 200],
        ],
      );
      assert.equal(events[1].type, 'login');
    });

    it('keeps working when a listener throws', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      const heard = [];
      auth.onChange(() => {
        throw new Error('a listener bug');
      });
      auth.onChange((e) => heard.push(e.type));
      const thrown = [];
      const realSetTimeout = globalThis.setTimeout;
      // The library rethrows a listener's error on a timer of its own, so
      // that it surfaces (App.onError) without failing the call.
      globalThis.setTimeout = (fn, ms, ...args) =>
        realSetTimeout(() => {
          try {
            fn(...args);
          } catch (e) {
            thrown.push(e.message);
          }
        }, ms);
      try {
        const user = await auth.login();
        assert.ok(user.id);
        await new Promise((r) => realSetTimeout(r, 10));
      } finally {
        globalThis.setTimeout = realSetTimeout;
      }
      assert.deepEqual(heard, ['login']);
      assert.deepEqual(thrown, ['a listener bug']);
    });
  });
}
