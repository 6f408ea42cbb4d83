// The scan-to-log-in demo page (/_demo/web-login, dev mode) in Debian's
// headless Chromium: the page makes a ticket and shows its code; the test
// plays the mini program (a login with a simulator code, then scan and
// confirm) and sees the page log in. Screenshots are kept in artifacts/.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer } = require('../../client/test/support/server.js');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const DEV_APPID = 'wxdevappid0000000';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function post(url, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(url, { method: 'POST', headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// phoneLogin logs in as the mini program would, with a simulator code.
async function phoneLogin() {
  const code = (await post(server.simURL + '/_sim/login-code', { appid: DEV_APPID })).body.code;
  const login = await post(server.baseURL + '/api/v1/auth/login', { code });
  assert.equal(login.status, 200);
  return login.body;
}

async function shot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot: ' + file);
}

describe('the scan-to-log-in demo page in Chromium', () => {
  it('shows the code, and logs in once the mini program confirms', async () => {
    const page = await browser.newPage();
    const problems = [];
    // CSP violations and script errors land here; failed loads are judged
    // by their responses (the browser's own /favicon.ico is no concern).
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico' && problems.push(r.status() + ' ' + r.url()));

    await page.goto(server.baseURL + '/_demo/web-login');
    const ticket = page.locator('#ticket');
    await ticket.filter({ hasText: /^[A-Za-z0-9_-]{22}$/ }).waitFor();
    const t = await ticket.textContent();
    // The code image loaded: the simulator's PNG of the ticket.
    await page.waitForFunction(() => {
      const img = document.getElementById('code');
      return img && !img.hidden && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.locator('#status').getAttribute('data-status'), 'pending');
    await shot(page, 'web-login-code.png');

    const phone = await phoneLogin();
    assert.equal((await post(`${server.baseURL}/api/v1/web-login/${t}/scan`, null, phone.access_token)).status, 204);
    await page.locator('#status[data-status="scanned"]').waitFor({ timeout: 5000 });
    assert.equal((await post(`${server.baseURL}/api/v1/web-login/${t}/confirm`, null, phone.access_token)).status, 204);

    const user = page.locator('#user');
    await user.filter({ hasText: 'logged in as' }).waitFor({ timeout: 5000 });
    assert.equal(await user.textContent(), 'logged in as ' + phone.user.id);
    assert.equal(await page.locator('#code').isHidden(), true);
    await shot(page, 'web-login-done.png');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('says so when the phone denies', async () => {
    const page = await browser.newPage();
    await page.goto(server.baseURL + '/_demo/web-login');
    const ticket = page.locator('#ticket');
    await ticket.filter({ hasText: /^[A-Za-z0-9_-]{22}$/ }).waitFor();
    const phone = await phoneLogin();
    const t = await ticket.textContent();
    assert.equal((await post(`${server.baseURL}/api/v1/web-login/${t}/deny`, null, phone.access_token)).status, 204);
    await page.locator('#status[data-status="denied"]').waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#again').isVisible(), true);
    assert.equal(await page.locator('#user').isHidden(), true);
    await page.close();
  });
});
