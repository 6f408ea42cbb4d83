// The library on every platform's native global (qq, tt, my, swan, ks; wx
// is auth.test.js's), each a fake of that platform's shape from one factory
// (support/fakeplatform.js), against a real dev-mode miniauth whose
// simulator serves all six platforms. Logins, refreshes and each platform's
// code exchanges are counted on the server side.
'use strict';
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { createAuth, NetworkError } = require('../dist/index.js');
const { taroPlatform } = require('../dist/taro.js');
const { startServer } = require('./support/server.js');
const { createFakePlatform, createFakeTaroOnAlipay, PLATFORMS } = require('./support/fakeplatform.js');
const { tempImage } = require('./support/png.js');
const harness = require('./support/harness.js');
const { rejection } = harness;

const KEY = 'miniauth';
const BOGUS_ACCESS_TOKEN = 'mat_' + 'A'.repeat(43);
const SHAPES = ['qq', 'tt', 'my', 'swan', 'ks'];

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

/** exchanges is how many code exchanges the simulator answered, per platform shape. */
async function exchanges() {
  const stats = await (await fetch(server.simURL + '/_sim/stats')).json();
  const out = {};
  for (const [shape, p] of Object.entries(PLATFORMS)) out[shape] = (stats.calls && stats.calls[p.endpoint]) || 0;
  return out;
}

async function counted(fn) {
  const before = await exchanges();
  const c = await harness.counted(server, fn);
  const after = await exchanges();
  c.exchanges = {};
  for (const k of Object.keys(after)) if (after[k] !== before[k]) c.exchanges[k] = after[k] - before[k];
  return c;
}

/**
 * A `wx` global that must not be used: QQ answers to `wx` as well, and a
 * named platform must win over it.
 */
const poisonedWx = new Proxy(
  {},
  {
    get(_, name) {
      throw new Error('the wx global was used (wx.' + String(name) + ')');
    },
  },
);

const installed = [];
function install(name, value) {
  globalThis[name] = value;
  installed.push(name);
}
afterEach(() => {
  while (installed.length) delete globalThis[installed.pop()];
});

for (const shape of SHAPES) {
  const { appid } = PLATFORMS[shape];
  describe(`the ${shape} global`, () => {
    const phone = () => createFakePlatform(shape, { simURL: server.simURL });

    it('is found without configuration and logs in with its dev app', async () => {
      const g = phone();
      install(shape, g);
      if (shape === 'qq') install('wx', poisonedWx); // QQ also has wx
      const auth = createAuth({ baseURL: server.baseURL, appid });
      const c = await counted(() => auth.request({ url: '/api/v1/me' }));
      assert.equal(c.result.statusCode, 200);
      assert.deepEqual([c.logins, c.refreshes], [1, 0]);
      assert.deepEqual(c.exchanges, { [shape]: 1 }, 'one code exchange, with this platform');
      const me = c.result.data;
      const stored = g.stored(KEY);
      assert.equal(stored.user.id, me.id, 'the session in the platform storage');
      const verified = await harness.api(server, 'GET', '/api/v1/auth/verify', { token: stored.access_token });
      assert.deepEqual([verified.status, verified.body.appid, verified.body.openid], [200, appid, me.openid]);
      assert.equal(auth.currentUser().id, me.id);
      if (shape === 'my') assert.deepEqual(g.scopes, ['auth_base']);

      // The next launch finds it there.
      const next = createAuth({ baseURL: server.baseURL, appid });
      assert.equal(next.currentUser().id, me.id);
      const again = await counted(() => next.request({ url: '/api/v1/me' }));
      assert.deepEqual([again.logins, again.refreshes, again.exchanges], [0, 0, {}]);
    });

    it(`is used when named ('${shape}'), even with a wx global present`, async () => {
      install('wx', poisonedWx);
      install(shape, phone());
      const auth = createAuth({ baseURL: server.baseURL, appid, platform: shape });
      const c = await counted(() => auth.login());
      assert.deepEqual([c.logins, c.exchanges], [1, { [shape]: 1 }]);
    });

    it('refreshes once on a 401 for 5 concurrent requests and an upload', async () => {
      const g = phone();
      install(shape, g);
      const first = createAuth({ baseURL: server.baseURL, appid, platform: shape });
      await first.login();
      const s = g.stored(KEY);
      s.access_token = BOGUS_ACCESS_TOKEN;
      if (shape === 'my') g.setStorageSync({ key: KEY, data: s });
      else g.setStorageSync(KEY, s);
      const launch = createAuth({ baseURL: server.baseURL, appid, platform: shape });
      g.log.length = 0;
      const c = await counted(() =>
        Promise.all([...Array.from({ length: 5 }, () => launch.request({ url: '/api/v1/me' })), launch.uploadAvatar(tempImage())]),
      );
      assert.deepEqual([c.logins, c.refreshes, c.exchanges], [0, 1, {}]);
      assert.equal(new Set(c.result.map((r) => (r.data || r).id)).size, 1);
      assert.match(c.result[5].avatar_url, /\/avatars\/[0-9a-f]{64}\./);
      const sent = g.log.map((r) => r.url.slice(server.baseURL.length) + ' ' + r.statusCode);
      assert.equal(sent.filter((l) => l === '/api/v1/me 401').length, 5);
      assert.equal(sent.filter((l) => l === '/api/v1/me/avatar 401').length, 1);
      assert.equal(sent.filter((l) => l === '/api/v1/auth/refresh 200').length, 1);
      assert.equal(sent.filter((l) => l === '/api/v1/me/avatar 200').length, 1);
      assert.equal(g.stored(KEY).user.avatar_url, c.result[5].avatar_url);
    });

    it('sets the nickname and tells onChange', async () => {
      install(shape, phone());
      const auth = createAuth({ baseURL: server.baseURL, appid });
      await auth.login();
      const events = [];
      auth.onChange((e) => events.push(e.type + ' ' + (e.user && e.user.nickname)));
      const user = await auth.setNickname(' 小明 ');
      assert.equal(user.nickname, '小明');
      assert.deepEqual(events, ['user 小明']);
      const err = await rejection(auth.setNickname('a\u202Eb'));
      assert.deepEqual([err.code, err.status], ['invalid_request', 400], 'the error body, through ' + shape);
    });

    it('rejects with a NetworkError when there is no answer', async () => {
      const g = phone();
      install(shape, g);
      const auth = createAuth({ baseURL: server.baseURL, appid });
      g.offline = true;
      const err = await rejection(auth.request({ url: '/api/v1/me' }));
      assert.ok(err instanceof NetworkError);
      assert.match(err.message, /ERR_INTERNET_DISCONNECTED/);
    });
  });
}

describe('Douyin without a Douyin login', () => {
  it('fails the login without sending anything (an anonymousCode is no login code)', async () => {
    const tt = createFakePlatform('tt', { simURL: server.simURL });
    tt.loggedOut = true;
    install('tt', tt);
    const auth = createAuth({ baseURL: server.baseURL, appid: PLATFORMS.tt.appid });
    const c = await counted(() => rejection(auth.login()));
    assert.ok(c.result instanceof NetworkError);
    assert.match(c.result.message, /no code/);
    assert.deepEqual([c.apiRequests, c.exchanges], [0, {}]);
  });
});

describe('no platform', () => {
  it('throws at createAuth when there is no global, or not the named one', () => {
    assert.throws(() => createAuth({ baseURL: server.baseURL }), /no mini program global/);
    install('wx', createFakePlatform('wx', { simURL: server.simURL }));
    assert.throws(() => createAuth({ baseURL: server.baseURL, platform: 'ks' }), /no ks global/);
  });
});

describe('Taro built for Alipay', () => {
  it('takes a rejected 401 (my.request error 19) as an answer: refresh, retry', async () => {
    const my = createFakePlatform('my', { simURL: server.simURL });
    const platform = taroPlatform(createFakeTaroOnAlipay(my));
    const appid = PLATFORMS.my.appid;
    await createAuth({ baseURL: server.baseURL, appid, platform }).login();
    const s = my.stored(KEY);
    s.access_token = BOGUS_ACCESS_TOKEN;
    my.setStorageSync({ key: KEY, data: s });
    my.log.length = 0;
    const auth = createAuth({ baseURL: server.baseURL, appid, platform });
    const c = await counted(() => Promise.all([auth.request({ url: '/api/v1/me' }), auth.uploadAvatar(tempImage())]));
    assert.deepEqual([c.logins, c.refreshes, c.exchanges], [0, 1, {}]);
    assert.equal(c.result[0].data.id, s.user.id);
    assert.match(c.result[1].avatar_url, /\/avatars\//);
    assert.deepEqual(my.scopes, ['auth_base']);

    const err = await rejection(auth.setNickname(''));
    assert.deepEqual([err.code, err.status], ['invalid_request', 400]);
  });
});
