// The example mini program's scan-to-log-in page (examples/weapp/pages/
// web-login), run with fake App/Page/wx globals against a real miniauth in
// dev mode, with the library from miniprogram_npm as in WeChat. The web
// page's side (make a ticket, poll it) is played by fetch.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { launch } = require('./support/miniprogram.js');
const { copyBuild } = require('../scripts/example-npm.js');

const root = path.resolve(__dirname, '..', '..', 'examples', 'weapp');
const PAGE = 'pages/web-login/web-login';

let server;
before(async () => {
  copyBuild();
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

async function ticket() {
  const res = await fetch(server.baseURL + '/api/v1/web-login', { method: 'POST' });
  assert.equal(res.status, 200);
  return (await res.json()).ticket;
}

async function webStatus(t) {
  return (await fetch(server.baseURL + '/api/v1/web-login/' + t)).json();
}

async function openPage() {
  const wx = createFakeWx({ simURL: server.simURL });
  const config = { baseURL: server.baseURL, appid: DEV_APPID, simulator: true };
  const { launched, pages } = await launch(root, { wx, overrides: { 'config.js': config } });
  await launched;
  return { page: pages[PAGE] };
}

describe('examples/weapp: the scan-to-log-in page', () => {
  it('has a handler in the page for every event its WXML binds, Confirm and Deny among them', () => {
    const wxml = fs.readFileSync(path.join(root, PAGE + '.wxml'), 'utf8');
    const src = fs.readFileSync(path.join(root, PAGE + '.js'), 'utf8');
    const handlers = [...wxml.matchAll(/\bbind\w+="(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(handlers.sort(), ['onConfirm', 'onDeny']);
    for (const h of handlers) assert.match(src, new RegExp(`\\b${h}\\(`), `${h} in ${PAGE}.js`);
    assert.ok(JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8')).pages.includes(PAGE));
  });

  it('reads the URL-encoded scene, then Confirm logs the web page in as this user', async () => {
    const { page } = await openPage();
    const t = await ticket();
    await page.onLoad({ scene: encodeURIComponent(t) });
    assert.equal(page.data.state, 'ask', page.data.message);
    assert.equal((await webStatus(t)).status, 'scanned');

    await page.onConfirm();
    assert.equal(page.data.state, 'confirmed', page.data.message);
    const web = await webStatus(t);
    assert.equal(web.status, 'confirmed');
    assert.match(web.access_token, /^mat_/);
    const me = await (await fetch(server.baseURL + '/api/v1/me', { headers: { authorization: 'Bearer ' + web.access_token } })).json();
    assert.equal(me.id, web.user.id);

    // The code again (say, scanned twice): the page says it is used.
    await page.onLoad({ scene: encodeURIComponent(t) });
    assert.equal(page.data.state, 'failed');
    assert.match(page.data.message, /already used/);
  });

  it('Deny refuses the web page', async () => {
    const { page } = await openPage();
    const t = await ticket();
    await page.onLoad({ scene: t });
    await page.onDeny();
    assert.equal(page.data.state, 'denied', page.data.message);
    assert.equal((await webStatus(t)).status, 'denied');
  });

  it('says so when opened without a scene or with an unknown one', async () => {
    const { page } = await openPage();
    await page.onLoad({});
    assert.equal(page.data.state, 'failed');
    assert.match(page.data.message, /No ticket/);
    await page.onLoad({ scene: 'AAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(page.data.state, 'failed');
    assert.match(page.data.message, /expired/);
  });
});
