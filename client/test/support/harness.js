// What every client test file shares: the two ways of creating an auth (the
// `wx` global, Taro), server-side counting, and small helpers.
'use strict';
const assert = require('node:assert/strict');
const { createAuth } = require('../../dist/index.js');
const { taroPlatform } = require('../../dist/taro.js');
const { createFakeTaro } = require('./fakewx.js');

const variants = [
  {
    name: 'wx',
    // No platform option: the library must find the `wx` global itself.
    make(wx, options) {
      globalThis.wx = wx;
      try {
        return createAuth(options);
      } finally {
        delete globalThis.wx;
      }
    },
  },
  {
    name: 'taro',
    make(wx, options) {
      return createAuth(Object.assign({}, options, { platform: taroPlatform(createFakeTaro(wx)) }));
    },
  },
];

/**
 * counted runs fn and returns its result with what it did on server: logins
 * and refreshes (successful), user_blocked answers, WeChat code exchanges,
 * and requests to /api/ routes.
 */
async function counted(server, fn) {
  const before = await server.counters();
  const result = await fn();
  const after = await server.counters();
  const diff = { result };
  for (const k of Object.keys(after)) diff[k] = after[k] - before[k];
  return diff;
}

/** api calls server directly, outside the library. */
async function api(server, method, path, { token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(server.baseURL + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** pollUntil retries check until it returns true or the deadline passes. */
async function pollUntil(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`not within ${ms}ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** rejection resolves to the error promise rejects with, and fails if it resolves. */
function rejection(promise) {
  return promise.then(
    (v) => assert.fail('resolved: ' + JSON.stringify(v && v.data !== undefined ? v.data : v)),
    (e) => e,
  );
}

module.exports = { variants, counted, api, pollUntil, rejection };
