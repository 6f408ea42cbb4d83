// What the library keeps in storage: tied to the server it came from, and
// never trusted when damaged.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./support/server.js');
const { createFakeWx } = require('./support/fakewx.js');
const { variants, counted } = require('./support/harness.js');

const KEY = 'miniauth';

let server, other;
before(async () => {
  [server, other] = await Promise.all([startServer(), startServer()]);
});
after(async () => {
  await Promise.all([server && server.stop(), other && other.stop()]);
});

for (const variant of variants) {
  describe(`stored state via ${variant.name}`, () => {
    const make = (wx, options = {}) => variant.make(wx, Object.assign({ baseURL: server.baseURL }, options));

    async function loggedInPhone() {
      const wx = createFakeWx({ simURL: server.simURL });
      await make(wx).login();
      wx.calls.request = 0;
      wx.log.length = 0;
      return wx;
    }

    it("ignores another server's state and never sends its tokens", async () => {
      const first = (await loggedInPhone()).getStorageSync(KEY);
      // The same phone, its codes now minted by the other server's simulator.
      const wx = createFakeWx({ simURL: other.simURL });
      wx.setStorageSync(KEY, first);
      const auth = make(wx, { baseURL: other.baseURL });
      assert.equal(auth.currentUser(), null, "the first server's user is not this server's");

      const onFirst = await counted(server, () =>
        counted(other, () => auth.request({ url: '/api/v1/me' })).then((onOther) => {
          assert.deepEqual([onOther.logins, onOther.refreshes, onOther.apiRequests], [1, 0, 2]);
          return onOther.result;
        }),
      );
      assert.deepEqual([onFirst.logins, onFirst.refreshes, onFirst.apiRequests], [0, 0, 0]);
      assert.equal(onFirst.result.statusCode, 200);
      assert.notEqual(auth.currentUser().id, first.user.id, 'a user of the other server');
      for (const r of wx.log) {
        assert.ok(r.url.startsWith(other.baseURL + '/'), r.url);
        assert.notEqual(r.authorization, 'Bearer ' + first.access_token);
      }

      // Back on the first server: the other server's state (now stored) is
      // ignored in turn, and left alone.
      const stored = wx.getStorageSync(KEY);
      const back = make(wx);
      assert.equal(back.currentUser(), null);
      assert.deepEqual(wx.getStorageSync(KEY), stored);
    });

    it('answers null for damaged storage and clears it', async () => {
      const good = (await loggedInPhone()).getStorageSync(KEY);
      const unstamped = Object.assign({}, good);
      for (const k of Object.keys(unstamped)) if (typeof unstamped[k] === 'string' && /^https?:/.test(unstamped[k])) delete unstamped[k];
      const damaged = [
        'garbage',
        42,
        true,
        [],
        {},
        unstamped, // from a version that did not say which server it came from
        Object.assign({}, good, { user: 'someone' }),
        Object.assign({}, good, { user: null }),
        Object.assign({}, good, { user: {} }),
        Object.assign({}, good, { user: { id: 7 } }),
        Object.assign({}, good, { user: undefined }),
        Object.assign({}, good, { access_token: '' }),
        Object.assign({}, good, { refresh_token: 5 }),
        Object.assign({}, good, { expires_at: 'soon' }),
      ];
      const phones = damaged.map((value) => {
        const wx = createFakeWx({ simURL: server.simURL });
        wx.setStorageSync(KEY, value);
        return wx;
      });
      assert.deepEqual(
        phones.map((wx) => make(wx).currentUser()),
        damaged.map(() => null),
      );
      assert.deepEqual(
        phones.map((wx) => wx.getStorageSync(KEY)),
        damaged.map(() => ''),
        'cleared',
      );

      // And the next request logs in afresh, sending no damaged token.
      const wx = createFakeWx({ simURL: server.simURL });
      wx.setStorageSync(KEY, Object.assign({}, good, { user: 'someone' }));
      const c = await counted(server, () => make(wx).request({ url: '/api/v1/me' }));
      assert.deepEqual([c.logins, c.refreshes, c.apiRequests], [1, 0, 2]);
      assert.equal(wx.log[0].authorization, undefined);
      assert.ok(wx.log.every((r) => r.authorization !== 'Bearer ' + good.access_token));
    });
  });
}
