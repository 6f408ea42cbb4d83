// The example mini program's devices page (examples/weapp/pages/devices),
// against a real miniauth in dev mode: two phones of one user, one logs the
// other out.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('./support/server.js');
const { createFakeWx, DEV_APPID } = require('./support/fakewx.js');
const { launch } = require('./support/miniprogram.js');
const { copyBuild } = require('../scripts/example-npm.js');
const harness = require('./support/harness.js');

const root = path.resolve(__dirname, '..', '..', 'examples', 'weapp');
const INDEX = 'pages/index/index';
const DEVICES = 'pages/devices/devices';

let server;
before(async () => {
  copyBuild();
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

/** A phone running the example app, logged in as openid. */
async function phone(openid) {
  const wx = createFakeWx({ simURL: server.simURL, openid });
  const config = { baseURL: server.baseURL, appid: DEV_APPID, simulator: false };
  const { launched, pages } = await launch(root, { wx, overrides: { 'config.js': config } });
  await Promise.all([launched, pages[INDEX].onLoad({})]);
  assert.equal(pages[INDEX].data.state, 'in', pages[INDEX].data.message);
  return pages;
}

describe('examples/weapp devices page', () => {
  it('has a handler in the page for every event its WXML binds', () => {
    const wxml = fs.readFileSync(path.join(root, DEVICES + '.wxml'), 'utf8');
    const src = fs.readFileSync(path.join(root, DEVICES + '.js'), 'utf8');
    const handlers = [...wxml.matchAll(/\bbind\w+="(\w+)"/g)].map((m) => m[1]);
    assert.ok(handlers.includes('onEndSession'), handlers.join());
    for (const h of handlers) assert.match(src, new RegExp(`\\b${h}\\(`), `${h} in ${DEVICES}.js`);
    assert.match(fs.readFileSync(path.join(root, INDEX + '.wxml'), 'utf8'), /url="\/pages\/devices\/devices"/);
  });

  it('lists both phones and logs the other one out', async () => {
    const openid = 'example-devices-' + Math.random().toString(36).slice(2);
    const first = await phone(openid);
    const second = await phone(openid);
    const page = second[DEVICES];

    const shown = await harness.counted(server, () => page.onShow());
    assert.equal(shown.apiRequests, 1);
    assert.equal(page.data.devices.length, 2);
    assert.deepEqual(page.data.devices.map((d) => d.current), [true, false]);
    const other = page.data.devices[1];

    const ended = await harness.counted(server, () => page.onEndSession({ currentTarget: { dataset: { id: other.id } } }));
    assert.equal(page.data.message, 'Device logged out');
    assert.deepEqual([ended.apiRequests, ended.logins], [2, 0], 'the DELETE and the list again');
    assert.deepEqual(page.data.devices.map((d) => d.current), [true]);

    // The first phone's session is over: its next call logs in again.
    const reload = await harness.counted(server, () => first[INDEX].onReload());
    assert.equal(first[INDEX].data.message, '');
    assert.deepEqual([reload.logins, reload.refreshes, reload.jscode2session], [1, 0, 1]);
  });
});
