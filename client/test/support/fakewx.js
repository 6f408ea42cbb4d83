// A fake `wx` for node: storage in memory (values copied through JSON as wx
// does), login() minting a code from the simulator like a phone would (one
// openid per fake phone), request() doing real HTTP and calling success for
// ANY status and fail only when there is no answer, as wx does (and refusing
// the methods wx does not know, PATCH among them), uploadFile() sending the
// file from disk as multipart/form-data and handing back the body as text.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const DEV_APPID = 'wxdevappid0000000';
/** wx.request's methods; anything else fails with a parameter error. */
const WX_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];

function createFakeWx({ simURL, appid = DEV_APPID, openid: user, methods = WX_METHODS }) {
  const storage = new Map();
  let openid = user; // the phone's user: given, or fixed after the first login
  const wx = {
    /** Set to make every wx.request fail as if offline. */
    offline: false,
    calls: { login: 0, request: 0, uploadFile: 0 },
    /** Every request (and upload) sent: { method, url, authorization, statusCode }. */
    log: [],

    getStorageSync(key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : '';
    },
    setStorageSync(key, value) {
      storage.set(key, JSON.stringify(value));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },

    login({ success, fail, complete } = {}) {
      wx.calls.login++;
      const body = openid ? { appid, openid } : { appid };
      fetch(simURL + '/_sim/login-code', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then(async (res) => {
          if (!res.ok) throw new Error(`_sim/login-code: HTTP ${res.status}`);
          const out = await res.json();
          openid = out.openid;
          const r = { code: out.code, errMsg: 'login:ok' };
          success && success(r);
          complete && complete(r);
        })
        .catch((err) => {
          const r = { errMsg: 'login:fail ' + err.message };
          fail && fail(r);
          complete && complete(r);
        });
    },

    request({ url, method = 'GET', data, header = {}, dataType = 'json', success, fail, complete }) {
      wx.calls.request++;
      const entry = { method, url, authorization: headerValue(header, 'authorization'), statusCode: 0 };
      wx.log.push(entry);
      const done = (cb, r) => {
        cb && cb(r);
        complete && complete(r);
      };
      if (wx.offline) {
        setImmediate(() => done(fail, { errMsg: 'request:fail net::ERR_INTERNET_DISCONNECTED' }));
        return { abort() {} };
      }
      if (!methods.includes(method)) {
        setImmediate(() => done(fail, { errMsg: `request:fail parameter error: parameter.method should be one of ${methods}` }));
        return { abort() {} };
      }
      const headers = Object.assign({ 'content-type': 'application/json' }, header);
      let body;
      if (method === 'GET' || method === 'HEAD') {
        if (data && typeof data === 'object') {
          const q = new URLSearchParams(data).toString();
          if (q) url += (url.includes('?') ? '&' : '?') + q;
        }
      } else if (data !== undefined) {
        body = typeof data === 'string' ? data : JSON.stringify(data);
      }
      fetch(url, { method, headers, body })
        .then(async (res) => {
          const text = await res.text();
          let parsed = text;
          if (dataType === 'json') {
            try {
              parsed = JSON.parse(text);
            } catch {
              // wx hands over the raw text when it is not JSON
            }
          }
          entry.statusCode = res.status;
          const out = { statusCode: res.status, data: parsed, header: Object.fromEntries(res.headers), errMsg: 'request:ok' };
          done(success, out);
        })
        .catch((err) => done(fail, { errMsg: 'request:fail ' + failure(err) }));
      return { abort() {} };
    },

    uploadFile({ url, filePath, name, header = {}, formData = {}, success, fail, complete }) {
      wx.calls.uploadFile++;
      const entry = { method: 'UPLOAD', url, authorization: headerValue(header, 'authorization'), statusCode: 0 };
      wx.log.push(entry);
      const done = (cb, r) => {
        cb && cb(r);
        complete && complete(r);
      };
      (async () => {
        if (wx.offline) throw new Error('net::ERR_INTERNET_DISCONNECTED');
        if (typeof name !== 'string' || !name) throw new Error('parameter error: parameter.name should be String');
        const form = new FormData();
        for (const [k, v] of Object.entries(formData)) form.append(k, String(v));
        form.append(name, new Blob([await fs.promises.readFile(filePath)]), path.basename(filePath));
        const res = await fetch(url, { method: 'POST', headers: header, body: form });
        entry.statusCode = res.status;
        return { statusCode: res.status, data: await res.text(), errMsg: 'uploadFile:ok' };
      })().then(
        (out) => done(success, out),
        (err) => done(fail, { errMsg: 'uploadFile:fail ' + failure(err) }),
      );
      return { abort() {}, onProgressUpdate() {} };
    },
  };
  return wx;
}

function failure(err) {
  return err.cause ? err.cause.code || err.cause.message : err.message;
}

/** A fake Taro on top of a fake wx: Taro's APIs are wx's, returning promises. */
function createFakeTaro(wx) {
  const promised = (fn) => (options = {}) =>
    new Promise((resolve, reject) => fn(Object.assign({}, options, { success: resolve, fail: reject })));
  return {
    login: promised(wx.login),
    request: promised(wx.request),
    uploadFile: promised(wx.uploadFile),
    getStorageSync: (k) => wx.getStorageSync(k),
    setStorageSync: (k, v) => wx.setStorageSync(k, v),
    removeStorageSync: (k) => wx.removeStorageSync(k),
  };
}

function headerValue(header, name) {
  for (const k of Object.keys(header || {})) if (k.toLowerCase() === name) return header[k];
  return undefined;
}

module.exports = { createFakeWx, createFakeTaro, DEV_APPID, WX_METHODS };
