// The user's own sessions (the devices list) and linking an identity,
// through wx and Taro against a real miniauth, counted on the server side.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MiniauthError } = require('../dist/index.js');
const { startServer } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const harness = require('./support/harness.js');
const { variants, rejection } = harness;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

const counted = (fn) => harness.counted(server, fn);

async function loginCode(openid) {
  const res = await fetch(server.simURL + '/_sim/login-code', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(openid ? { appid: DEV_APPID, openid } : { appid: DEV_APPID }),
  });
  assert.equal(res.status, 200, '_sim/login-code');
  return (await res.json()).code;
}

for (const variant of variants) {
  describe(`account calls via ${variant.name}`, () => {
    const make = (wx) => variant.make(wx, { baseURL: server.baseURL });
    /** Two phones of one user, both logged in. */
    async function twoPhones() {
      const openid = 'acct-' + variant.name + '-' + Math.random().toString(36).slice(2);
      const phones = [];
      for (let i = 0; i < 2; i++) {
        const wx = createFakeWx({ simURL: server.simURL, openid });
        const auth = make(wx);
        await auth.login();
        phones.push({ wx, auth });
      }
      return phones;
    }

    it('sessions() lists the devices, this one marked, in one request', async () => {
      const [, b] = await twoPhones();
      const c = await counted(() => b.auth.sessions());
      assert.deepEqual([c.apiRequests, c.logins, c.refreshes], [1, 0, 0]);
      assert.equal(c.result.length, 2);
      assert.deepEqual(
        c.result.map((s) => s.current),
        [true, false],
        'newest first: this phone logged in last',
      );
      for (const s of c.result) {
        assert.equal(s.appid, DEV_APPID);
        assert.equal(typeof s.id, 'string');
        assert.ok(s.user_agent !== undefined && s.ip && s.created_at && s.last_used_at && s.expires_at);
      }
    });

    it('endSession(id) logs the other device out; its next call logs in again', async () => {
      const [a, b] = await twoPhones();
      const other = (await b.auth.sessions()).find((s) => !s.current);
      const c = await counted(() => b.auth.endSession(other.id));
      assert.deepEqual([c.apiRequests, c.logins], [1, 0]);
      assert.equal(c.result, undefined);
      assert.equal((await b.auth.sessions()).length, 1);
      // Phone a's tokens are dead: 401, a refused refresh, then a new login.
      const again = await counted(() => a.auth.request({ url: '/api/v1/me' }));
      assert.deepEqual([again.logins, again.refreshes, again.jscode2session], [1, 0, 1]);
      const err = await rejection(b.auth.endSession(other.id));
      assert.ok(err instanceof MiniauthError);
      assert.deepEqual([err.code, err.status], ['not_found', 404]);
    });

    it('linkIdentity(appid, code) answers the user, and 409 conflict for another account', async () => {
      const openid = 'link-' + variant.name + '-' + Math.random().toString(36).slice(2);
      const wx = createFakeWx({ simURL: server.simURL, openid });
      const auth = make(wx);
      await auth.login();
      // The identity this account already has: linked again, nothing changes.
      const code = await loginCode(openid);
      const c = await counted(() => auth.linkIdentity(DEV_APPID, code));
      assert.deepEqual([c.apiRequests, c.jscode2session, c.logins], [1, 1, 0]);
      assert.deepEqual(c.result.identities, [{ platform: 'weixin', appid: DEV_APPID, openid, unionid: '' }]);
      assert.deepEqual(auth.currentUser().identities, c.result.identities);
      // Somebody else's: they have an account of their own.
      const someoneElse = 'else-' + Math.random().toString(36).slice(2);
      await make(createFakeWx({ simURL: server.simURL, openid: someoneElse })).login();
      const err = await rejection(auth.linkIdentity(DEV_APPID, await loginCode(someoneElse)));
      assert.ok(err instanceof MiniauthError);
      assert.deepEqual([err.code, err.status], ['conflict', 409]);
    });
  });
}
