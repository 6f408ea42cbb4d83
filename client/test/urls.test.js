// Where the access token may go: relative URLs only as paths under baseURL,
// absolute URLs only to trusted origins, compared as URLs compare them.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MiniauthError, NetworkError } = require('../dist/index.js');
const { startServer } = require('./support/server.js');
const { createFakeWx } = require('./support/fakewx.js');
const { variants, counted, rejection } = require('./support/harness.js');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

for (const variant of variants) {
  describe(`request URLs via ${variant.name}`, () => {
    const make = (wx, options = {}) => variant.make(wx, Object.assign({ baseURL: server.baseURL }, options));

    async function loggedInPhone() {
      const wx = createFakeWx({ simURL: server.simURL });
      await make(wx).login();
      wx.calls.request = 0;
      wx.log.length = 0;
      return wx;
    }

    it('refuses a relative URL that is not a path, before sending anything', async () => {
      const wx = await loggedInPhone();
      const auth = make(wx);
      const hostPort = server.baseURL.replace(/^http:\/\//, '');
      const bad = [
        '@127.0.0.1:9/x', // appended to baseURL: the base becomes userinfo, the host 127.0.0.1:9
        '.evil.example/x',
        ':9@127.0.0.1:9/x',
        '//127.0.0.1:9/x',
        '/\\127.0.0.1:9/x',
        'api/v1/me',
        '?x=1',
        '#x',
        '',
        ' /api/v1/me',
        'javascript:alert(1)',
        server.baseURL + '@127.0.0.1:9/x',
        server.baseURL + '\\@127.0.0.1:9/x',
        server.baseURL + '.evil.example/x',
        'http://user@' + hostPort + '/api/v1/me',
        'http://' + hostPort + ':80/api/v1/me',
        'ftp://' + hostPort + '/api/v1/me',
        'https://' + hostPort + '/api/v1/me', // another scheme is another origin
      ];
      for (const url of bad) {
        const err = await rejection(auth.request({ url }));
        assert.ok(err instanceof MiniauthError, url);
        assert.ok(!(err instanceof NetworkError), url);
        assert.equal(err.code, 'invalid_request', url);
        assert.equal(err.status, 0, url);
      }
      assert.deepEqual(wx.log, [], 'nothing was sent');
    });

    it("accepts the server's own origin in any case and with its default port", async () => {
      const wx = await loggedInPhone();
      const upper = server.baseURL.toUpperCase(); // HTTP://127.0.0.1:PORT
      const c = await counted(server, async () => {
        const own = await make(wx).request({ url: upper + '/api/v1/me' });
        assert.equal(own.statusCode, 200);
        // baseURL spelled differently is the same server: its stored session is used.
        const same = make(wx, { baseURL: upper + '/' });
        assert.ok(same.currentUser(), 'stored session found');
        assert.equal((await same.request({ url: '/api/v1/me' })).statusCode, 200);
      });
      assert.deepEqual([c.logins, c.refreshes, c.apiRequests], [0, 0, 2]);
      assert.deepEqual(
        wx.log.map((r) => r.url),
        [server.baseURL + '/api/v1/me', server.baseURL + '/api/v1/me'],
        'sent with the origin spelled as URL spells it',
      );

      // Listed origins compare the same way; the fake phone is offline, so
      // what would be sent is only recorded.
      wx.log.length = 0;
      wx.offline = true;
      const auth = make(wx, { origins: ['HTTPS://API.Example.com:443'] });
      for (const url of ['https://api.example.com/orders', 'HTTPS://api.EXAMPLE.com:443/orders', 'https://api.example.com']) {
        assert.ok((await rejection(auth.request({ url }))) instanceof NetworkError, url);
      }
      assert.deepEqual(
        wx.log.map((r) => [r.url, /^Bearer mat_/.test(r.authorization)]),
        [
          ['https://api.example.com/orders', true],
          ['https://api.example.com/orders', true],
          ['https://api.example.com', true],
        ],
      );
      for (const url of ['http://api.example.com/orders', 'https://api.example.com:8443/orders', 'https://example.com/orders']) {
        assert.equal((await rejection(auth.request({ url }))).code, 'invalid_request', url);
      }
      assert.equal(wx.log.length, 3);
    });

    it('refuses options that are not origins', () => {
      const wx = createFakeWx({ simURL: server.simURL });
      assert.throws(() => make(wx, { baseURL: 'localhost:8080' }), /baseURL/);
      assert.throws(() => make(wx, { baseURL: server.baseURL + '?x=1' }), /baseURL/);
      assert.throws(() => make(wx, { origins: ['api.example.com'] }), /not an origin/);
      assert.throws(() => make(wx, { origins: ['https://api.example.com/orders'] }), /not an origin/);
    });
  });
}
