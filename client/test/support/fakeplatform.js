// Fakes of every mini-program platform's global, from one factory: the fake
// `wx` (fakewx.js) does the work (memory storage, codes minted by the
// server's simulator for the platform's dev app, real HTTP), and each
// platform's shape is put on top of it:
//
// - qq, swan, ks: wx's shape (their login, request, uploadFile and storage
//   take the same options and answer the same way).
// - tt: login also answers anonymousCode and isLogin; a user not logged in
//   to Douyin gets no code at all (`loggedOut`).
// - my (Alipay): getAuthCode({scopes}) → authCode; request takes `headers`,
//   knows only GET/POST/PUT/DELETE, answers `status`/`headers`, and calls
//   fail (error 19, with status, headers and data) for a 4xx or 5xx;
//   uploadFile takes fileName and a required fileType and answers the status
//   as a string; storage calls take {key, data} and getStorageSync answers
//   {data}; failures say {error, errorMessage}.
'use strict';
const { createFakeWx } = require('./fakewx.js');

/** The dev apps (CONTRACT.md, Platforms) and the simulator endpoint each login calls. */
const PLATFORMS = {
  wx: { appid: 'wxdevappid0000000', endpoint: 'sns/jscode2session', name: 'weixin' },
  qq: { appid: 'qqdevappid0000000', endpoint: 'qq/sns/jscode2session', name: 'qq' },
  tt: { appid: 'ttdevappid0000000', endpoint: 'douyin/api/apps/v2/jscode2session', name: 'douyin' },
  my: { appid: '2021000000000000', endpoint: 'alipay/gateway.do', name: 'alipay' },
  swan: { appid: 'bddevappkey000000', endpoint: 'baidu/oauth/jscode2sessionkey', name: 'baidu' },
  ks: { appid: 'ksdevappid0000000', endpoint: 'kuaishou/oauth2/mp/code2session', name: 'kuaishou' },
};

const ALIPAY_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const ALIPAY_FILE_TYPES = ['image', 'video', 'audio'];

/**
 * createFakePlatform returns the fake global of shape ('wx', 'qq', 'tt',
 * 'my', 'swan', 'ks') for a phone of that platform's dev app. Besides the
 * platform's API it has what the tests read: calls, log, offline, and
 * stored(key) (what storage holds, whatever the shape).
 */
function createFakePlatform(shape, { simURL }) {
  const { appid } = PLATFORMS[shape];
  if (shape === 'my') return fakeAlipay(createFakeWx({ simURL, appid, methods: ALIPAY_METHODS }));
  const wx = createFakeWx({ simURL, appid });
  wx.stored = (key) => wx.getStorageSync(key);
  if (shape === 'tt') {
    const login = wx.login;
    wx.loggedOut = false;
    wx.login = ({ success, fail, complete } = {}) =>
      login({
        success: (r) => {
          const out = wx.loggedOut
            ? { anonymousCode: 'anon-' + r.code, isLogin: false, errMsg: r.errMsg }
            : Object.assign({ anonymousCode: 'anon-' + r.code, isLogin: true }, r);
          success && success(out);
          complete && complete(out);
        },
        fail: (r) => {
          fail && fail(r);
          complete && complete(r);
        },
      });
  }
  return wx;
}

function fakeAlipay(wx) {
  const alipayFail = (r) => ({ error: 12, errorMessage: r.errMsg });
  const my = {
    get calls() {
      return wx.calls;
    },
    get log() {
      return wx.log;
    },
    set offline(v) {
      wx.offline = v;
    },
    get offline() {
      return wx.offline;
    },
    /** Every scopes value getAuthCode was called with. */
    scopes: [],
    stored: (key) => wx.getStorageSync(key),

    getAuthCode({ scopes, success, fail }) {
      my.scopes.push(scopes);
      wx.login({ success: (r) => success && success({ authCode: r.code }), fail: (r) => fail && fail(alipayFail(r)) });
    },

    request({ url, method = 'GET', headers, header, data, timeout, success, fail }) {
      if (header !== undefined) throw new Error('my.request takes headers, not header');
      wx.request({
        url,
        method,
        data,
        timeout,
        header: headers,
        success: (r) => {
          const out = { data: r.data, status: r.statusCode, headers: r.header };
          if (r.statusCode >= 200 && r.statusCode < 300) success && success(out);
          else fail && fail(Object.assign({ error: 19, errorMessage: 'http status error' }, out));
        },
        fail: (r) => fail && fail(alipayFail(r)),
      });
    },

    uploadFile({ url, filePath, fileName, fileType, header, success, fail }) {
      if (!ALIPAY_FILE_TYPES.includes(fileType)) {
        setImmediate(() => fail && fail({ error: 2, errorMessage: 'fileType is required' }));
        return;
      }
      wx.uploadFile({
        url,
        filePath,
        name: fileName,
        header,
        success: (r) => success && success({ data: r.data, statusCode: String(r.statusCode), header: {} }),
        fail: (r) => fail && fail(alipayFail(r)),
      });
    },

    getStorageSync(option) {
      if (!option || typeof option !== 'object') throw new Error('my.getStorageSync takes {key}');
      const v = wx.getStorageSync(option.key);
      return { data: v === '' ? null : v };
    },
    setStorageSync(option) {
      if (!option || typeof option !== 'object') throw new Error('my.setStorageSync takes {key, data}');
      wx.setStorageSync(option.key, option.data);
    },
    removeStorageSync(option) {
      if (!option || typeof option !== 'object') throw new Error('my.removeStorageSync takes {key}');
      wx.removeStorageSync(option.key);
    },
  };
  return my;
}

/**
 * A fake Taro built for Alipay, on top of a fake `my`, doing what Taro's
 * Alipay adapter does: login is getAuthCode({scopes: 'auth_base'}), request
 * moves header to headers and status to statusCode, and rejects with
 * Alipay's own failure (error 19 for a 4xx or 5xx).
 */
function createFakeTaroOnAlipay(my) {
  const promised = (fn, map = (r) => r) => (options = {}) =>
    new Promise((resolve, reject) => fn(Object.assign({}, options, { success: (r) => resolve(map(r)), fail: reject })));
  return {
    login: () => promised(my.getAuthCode, (r) => ({ code: r.authCode }))({ scopes: 'auth_base' }),
    request: (o) => {
      const headers = { 'content-type': 'application/json' };
      for (const k of Object.keys(o.header || {})) headers[k.toLowerCase()] = o.header[k];
      const rest = Object.assign({}, o, { headers });
      delete rest.header;
      return promised(my.request, (r) => ({ statusCode: r.status, data: r.data, header: r.headers }))(rest);
    },
    uploadFile: (o) => promised(my.uploadFile)(Object.assign({ fileName: o.name }, o)),
    getStorageSync: (key) => {
      const r = my.getStorageSync({ key });
      return r.data === null ? '' : r.data;
    },
    setStorageSync: (key, data) => my.setStorageSync({ key, data }),
    removeStorageSync: (key) => my.removeStorageSync({ key }),
  };
}

module.exports = { createFakePlatform, createFakeTaroOnAlipay, PLATFORMS };
