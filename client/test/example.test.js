// The example mini program (examples/weapp), run with fake App/Page/wx
// globals against a real miniauth in dev mode: launch, page load, the phone
// button and logout, the profile page's nickname form and avatar button,
// with the library taken from miniprogram_npm as in WeChat.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, deadURL } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { launch } = require('./support/miniprogram.js');
const { png, tempImage } = require('./support/png.js');
const { copyBuild } = require('../scripts/example-npm.js');

const root = path.resolve(__dirname, '..', '..', 'examples', 'weapp');
const PAGE = 'pages/index/index';
const PROFILE = 'pages/profile/profile';

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
  it('has a handler in each page for every event its WXML binds', () => {
    const read = (page, ext) => fs.readFileSync(path.join(root, page + ext), 'utf8');
    const bound = (wxml) => [...wxml.matchAll(/\bbind\w+="(\w+)"/g)].map((m) => m[1]);
    const wxml = read(PAGE, '.wxml');
    assert.ok(bound(wxml).includes('onGetPhoneNumber') && bound(wxml).includes('onLogout'), bound(wxml).join());
    assert.match(wxml, /open-type="getPhoneNumber"\s+bindgetphonenumber="onGetPhoneNumber"/);
    assert.match(wxml, /<navigator url="\/pages\/profile\/profile">/);
    const profile = read(PROFILE, '.wxml');
    assert.match(profile, /open-type="chooseAvatar"\s+bindchooseavatar="onChooseAvatar"/);
    assert.match(profile, /<form bindsubmit="onSaveNickname">[\s\S]*<input[^>]*type="nickname"[^>]*name="nickname"[\s\S]*form-type="submit"[\s\S]*<\/form>/);
    for (const page of [PAGE, PROFILE]) {
      const src = read(page, '.js');
      for (const h of bound(read(page, '.wxml'))) assert.match(src, new RegExp(`\\b${h}\\(`), `${h} in ${page}.js`);
    }
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

  it('sets the nickname and the avatar on the profile page, and the home page shows them', async () => {
    const wx = createFakeWx({ simURL: server.simURL });
    const { launched, pages } = await launch(root, {
      wx,
      overrides: { 'config.js': { baseURL: server.baseURL, appid: DEV_APPID, simulator: false } },
    });
    const home = pages[PAGE];
    const profile = pages[PROFILE];
    await Promise.all([launched, home.onLoad({})]);
    const before = await jscode2session();
    await profile.onLoad({}); // navigated to: the session is there already
    assert.equal(profile.data.state, 'in', profile.data.message);
    assert.equal((await jscode2session()) - before, 0);
    assert.equal(profile.data.user.id, home.data.user.id);

    // Submitted empty: nothing sent.
    const sent = wx.calls.request;
    await profile.onSaveNickname({ detail: { value: { nickname: '   ' } } });
    assert.equal(profile.data.message, 'Enter a nickname');
    assert.equal(wx.calls.request, sent);

    await profile.onSaveNickname({ detail: { value: { nickname: ' Ada 🐱 ' } } });
    assert.equal(profile.data.message, 'Nickname saved');
    assert.equal(profile.data.user.nickname, 'Ada 🐱');

    await profile.onSaveNickname({ detail: { value: { nickname: 'a\u202Eb' } } });
    assert.match(profile.data.message, /^invalid_request: .*\(request \S+\)$/);
    assert.equal(profile.data.user.nickname, 'Ada 🐱');

    // chooseAvatar hands over a temporary file.
    await profile.onChooseAvatar({ detail: { avatarUrl: tempImage(png(300, 300)) } });
    assert.equal(profile.data.message, 'Avatar saved');
    assert.match(profile.data.user.avatar_url, /\/avatars\/[0-9a-f]{64}\.(png|jpg)$/);
    assert.equal(wx.calls.uploadFile, 1);
    assert.equal((await fetch(profile.data.user.avatar_url)).status, 200);

    // Back on the home page.
    home.onShow();
    assert.equal(home.data.user.nickname, 'Ada 🐱');
    assert.equal(home.data.user.avatar_url, profile.data.user.avatar_url);
    const token = wx.getStorageSync('miniauth').access_token;
    const me = await (await fetch(server.baseURL + '/api/v1/me', { headers: { authorization: 'Bearer ' + token } })).json();
    assert.equal(me.nickname, 'Ada 🐱', 'on the server');

    // Logged out on the home page: the open profile page follows.
    await home.onLogout();
    assert.deepEqual([profile.data.state, profile.data.user], ['out', null]);
    profile.onUnload();
  });

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
