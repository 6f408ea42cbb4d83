// The example mini program (examples/weapp), run with fake App/Page/wx
// globals against a real miniauth in dev mode: launch, page load, the phone
// button and logout, with the library taken from miniprogram_npm as in WeChat.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, deadURL } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { launch } = require('./support/miniprogram.js');
const { copyBuild } = require('../scripts/example-npm.js');

const root = path.resolve(__dirname, '..', '..', 'examples', 'weapp');
const PAGE = 'pages/index/index';

let server;
before(async () => {
  copyBuild();
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

async function phoneCode(openid) {
  const res = await fetch(server.simURL + '/_sim/phone-code', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: DEV_APPID, openid, phone: '13800138000' }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).code;
}

async function jscode2session() {
  const stats = await (await fetch(server.simURL + '/_sim/stats')).json();
  return stats.calls['sns/jscode2session'] || 0;
}

describe('examples/weapp', () => {
  it('has a handler in the page for every event its WXML binds', () => {
    const wxml = fs.readFileSync(path.join(root, PAGE + '.wxml'), 'utf8');
    const src = fs.readFileSync(path.join(root, PAGE + '.js'), 'utf8');
    const handlers = [...wxml.matchAll(/\bbind\w+="(\w+)"/g)].map((m) => m[1]);
    assert.ok(handlers.includes('onGetPhoneNumber') && handlers.includes('onLogout'), handlers.join());
    assert.match(wxml, /open-type="getPhoneNumber"\s+bindgetphonenumber="onGetPhoneNumber"/);
    for (const h of handlers) assert.match(src, new RegExp(`\\b${h}\\(`), `${h} in ${PAGE}.js`);
  });

  for (const simulator of [false, true]) {
    it(`logs in, binds the phone and logs out (${simulator ? 'codes from the simulator, as in DevTools' : 'codes from wx.login'})`, async () => {
      const wx = createFakeWx({ simURL: server.simURL });
      const config = { baseURL: server.baseURL, appid: DEV_APPID, simulator };
      const before = await jscode2session();

      const { launched, pages } = await launch(root, { wx, overrides: { 'config.js': config } });
      const page = pages[PAGE];
      assert.equal(page.data.state, 'loading');
      await Promise.all([launched, page.onLoad({})]);
      assert.equal(page.data.state, 'in', page.data.message);
      assert.match(page.data.user.openid, /\S/);
      assert.equal(page.data.user.phone, '');
      assert.equal((await jscode2session()) - before, 1, "app's and page's login() share one login");
      assert.equal(wx.calls.login, simulator ? 0 : 1);

      await page.onReload();
      assert.equal(page.data.message, '');

      // The user says no.
      await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
      assert.match(page.data.message, /not shared/);
      assert.equal(page.data.user.phone, '');

      const code = simulator ? 'real-wechat-code-the-simulator-ignores' : await phoneCode(page.data.user.openid);
      await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:ok', code } });
      assert.equal(page.data.message, 'Phone number bound');
      assert.equal(page.data.user.phone, '13800138000');

      const userID = page.data.user.id;
      await page.onLogout();
      assert.equal(page.data.state, 'out');
      assert.equal(page.data.user, null);
      assert.equal(page.data.message, 'Logged out');
      assert.equal(wx.getStorageSync('miniauth'), '');

      // Log in again from the button: the same phone is the same user.
      await page.onLogin();
      assert.equal(page.data.state, 'in', page.data.message);
      assert.equal(page.data.user.id, userID);
      assert.equal(page.data.user.phone, '13800138000');
    });
  }

  it('shows the error code when the server is unreachable', async () => {
    const wx = createFakeWx({ simURL: server.simURL });
    const { launched, pages } = await launch(root, {
      wx,
      overrides: { 'config.js': { baseURL: await deadURL(), appid: DEV_APPID, simulator: false } },
    });
    const page = pages[PAGE];
    await Promise.all([launched, page.onLoad({})]);
    assert.equal(page.data.state, 'out');
    assert.match(page.data.message, /^Cannot reach the server/);
    assert.equal(wx.calls.request, 1);
  });
});
