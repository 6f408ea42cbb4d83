// auth.webLogin: the mini program's side of scan to log in, against a real
// miniauth in dev mode. The web page's side (make a ticket, poll it) is
// played by plain fetch calls.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MiniauthError } = require('../dist/index.js');
const { startServer } = require('./support/server.js');
const { createFakeWx } = require('./support/fakewx.js');
const harness = require('./support/harness.js');
const { variants, rejection } = harness;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

const api = (method, path, options) => harness.api(server, method, path, options);

async function ticket() {
  const r = await api('POST', '/api/v1/web-login');
  assert.equal(r.status, 200);
  return r.body.ticket;
}

const status = async (t) => (await api('GET', '/api/v1/web-login/' + t)).body;

for (const variant of variants) {
  describe(`auth.webLogin via ${variant.name}`, () => {
    const make = (wx) => variant.make(wx, { baseURL: server.baseURL });

    it('scans and confirms: the web page receives tokens of the same user', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      const t = await ticket();
      // Nobody logged in yet: the scan logs in first.
      await auth.webLogin.scan(t);
      assert.equal((await status(t)).status, 'scanned');
      await auth.webLogin.confirm(t);
      const web = await status(t);
      assert.equal(web.status, 'confirmed');
      assert.equal(web.user.id, auth.currentUser().id);
      assert.match(web.access_token, /^mat_/);
      assert.notEqual(web.access_token, wx.getStorageSync('miniauth').access_token, 'a session of its own');
    });

    it('takes the scene still URL-encoded, as WeChat hands it to the page', async () => {
      const auth = make(createFakeWx({ simURL: server.simURL }));
      const t = await ticket();
      await auth.webLogin.scan(encodeURIComponent(t));
      await auth.webLogin.deny(encodeURIComponent(t));
      assert.equal((await status(t)).status, 'denied');
    });

    it("rejects with the server's codes: 409 once ended, 404 when unknown", async () => {
      const auth = make(createFakeWx({ simURL: server.simURL }));
      const t = await ticket();
      await auth.webLogin.deny(t);
      const ended = await rejection(auth.webLogin.confirm(t));
      assert.ok(ended instanceof MiniauthError);
      assert.equal(ended.code, 'conflict');
      assert.equal(ended.status, 409);
      const unknown = await rejection(auth.webLogin.scan('AAAAAAAAAAAAAAAAAAAAAA'));
      assert.equal(unknown.code, 'not_found');
      assert.equal(unknown.status, 404);
    });

    it('refuses an empty scene without sending anything', async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const auth = make(wx);
      for (const scene of ['', undefined]) {
        const e = await rejection(auth.webLogin.confirm(scene));
        assert.equal(e.code, 'invalid_request');
        assert.equal(e.status, 0);
      }
      assert.equal(wx.calls.request, 0);
      assert.equal(wx.calls.login, 0);
    });
  });
}
