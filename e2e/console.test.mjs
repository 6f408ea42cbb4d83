// The operators' console in headless Chromium, against a real dev-mode
// node: sign in, wrong password, lockout, the dashboard's charts, search,
// revoke, disable, the login history, the audit log, CSRF, Chinese and
// English. Screenshots of
// every page go to e2e/artifacts/ (printed at the end): look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { artifacts, buildBinary, operator, startNode, api, login, bindPhone, sql } from './lib/node.mjs';
import { historySQL } from './lib/seed.mjs';

const PASSWORD = 'correct horse battery staple';
const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let node, browser, base, alice, bob;
const shots = [];

before(async () => {
  const bin = buildBinary();
  node = await startNode(bin);
  base = node.url;
  operator(bin, node.dataDir, ['add', 'admin'], PASSWORD);
  operator(bin, node.dataDir, ['add', 'locker'], PASSWORD);
  sql(node.db, historySQL());
  // Two users of today, through the API: alice with a phone and a nickname.
  alice = (await login(base, 'openid-alice-e2e')).json;
  bob = (await login(base, 'openid-bob-e2e')).json;
  assert.equal((await bindPhone(base, alice.access_token, 'openid-alice-e2e', '13912345678')).status, 200);
  const patched = await api(base, 'PATCH', '/api/v1/me', { token: alice.access_token, body: { nickname: '爱丽丝Alice' } });
  if (patched.status !== 200) { // no profile route on this build: set it in the database
    sql(node.db, `UPDATE users SET nickname = '爱丽丝Alice' WHERE id = '${alice.user.id}';`);
  }
  await login(base, 'openid-alice-e2e'); // a second session for alice
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumFlags });
});

after(async () => {
  await browser?.close();
  node?.stop();
  if (shots.length) console.log(`screenshots (${shots.length}) in ${artifacts}:\n  ` + shots.join('\n  '));
});

async function newPage(locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept()); // the confirmations of disable and revoke
  return page;
}

async function shot(page, name) {
  const file = path.join(artifacts, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

// loginHistory opens a user's page until its history has n rows, and
// returns them.
async function loginHistory(page, userID, n) {
  for (let tries = 0; ; tries++) {
    await page.goto(base + '/admin/users/' + userID);
    const rows = await page.$$eval('#logins tr[data-kind]', (trs) => trs.map((tr) => ({
      kind: tr.dataset.kind, result: tr.dataset.result, cells: [...tr.cells].map((td) => td.textContent.trim()),
    })));
    if (rows.length >= n || tries === 50) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signIn(page, name, password) {
  await page.goto(base + '/admin/signin');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/signin') && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  await page.waitForLoadState();
  return resp.status();
}

test('sign in: a wrong password is refused, the right one opens the dashboard', async () => {
  const page = await newPage();
  await page.goto(base + '/admin/');
  assert.match(page.url(), /\/admin\/signin$/);
  await shot(page, 'signin-en');
  assert.equal(await signIn(page, 'admin', 'not the password'), 401);
  assert.match(await page.textContent('.problem'), /Wrong operator name or password/);
  assert.equal(await signIn(page, 'admin', PASSWORD), 303);
  assert.equal(new URL(page.url()).pathname, '/admin/');
  await page.context().close();
});

test('five failed sign-ins lock the operator, even for the right password', async () => {
  const page = await newPage();
  for (let i = 1; i <= 5; i++) {
    const status = await signIn(page, 'locker', 'wrong password ' + i);
    assert.equal(status, i < 5 ? 401 : 429, `failure ${i}`);
  }
  assert.equal(await signIn(page, 'locker', PASSWORD), 429);
  assert.match(await page.textContent('.problem'), /locked/);
  await shot(page, 'signin-locked');
  await page.context().close();
});

test('dashboard, search, revoke, disable, audit and CSRF in English', async () => {
  const page = await newPage();
  assert.equal(await signIn(page, 'admin', PASSWORD), 303);

  // Charts with data: 30 bars each, some of them tall.
  for (const id of ['#chart-new-users', '#chart-logins', '#chart-failures']) {
    const values = await page.$$eval(`${id} rect.bar`, (bars) => bars.map((b) => Number(b.dataset.value)));
    assert.equal(values.length, 30, id);
    assert.ok(values.filter((v) => v > 0).length >= 29, `${id}: ${values}`);
  }
  assert.ok(Number((await page.textContent('#total-users')).replace(/,/g, '')) > 300);
  await shot(page, 'dashboard-en');

  // Search by openid, phone and nickname prefix.
  for (const q of ['openid-alice-e2e', '13912345678', '爱丽丝']) {
    await page.goto(base + '/admin/users');
    await page.fill('input[name=q]', q);
    await Promise.all([page.waitForNavigation(), page.press('input[name=q]', 'Enter')]);
    const ids = await page.$$eval('table.users tbody a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(ids, ['/admin/users/' + alice.user.id], `search ${q}`);
  }
  await shot(page, 'users-search');
  await page.goto(base + '/admin/users?status=disabled');
  assert.ok((await page.$$('table.users tbody tr')).length > 0, 'disabled filter');
  await page.goto(base + '/admin/users');
  await shot(page, 'users-en');

  // Revoke one of alice's sessions: its token is refused within a second.
  await page.goto(base + '/admin/users/' + alice.user.id);
  assert.equal((await page.$$('#sessions tr[data-session]')).length, 2);
  await shot(page, 'user-en');
  assert.equal((await api(base, 'GET', '/api/v1/auth/verify', { token: alice.access_token })).status, 200);
  const sessions = (await api(base, 'GET', '/admin/v1/users/' + alice.user.id + '/sessions')).status; // no admin token: 404
  assert.ok(sessions === 404 || sessions === 401);
  // alice's first session is the older one: the last row (newest first).
  const rows = await page.$$('#sessions tr[data-session]');
  await Promise.all([page.waitForNavigation(), rows[rows.length - 1].$eval('button', (b) => b.click())]);
  const revokedAt = Date.now();
  let refusedAfter = -1;
  while (Date.now() - revokedAt < 1000) {
    if ((await api(base, 'GET', '/api/v1/auth/verify', { token: alice.access_token })).status === 401) {
      refusedAfter = Date.now() - revokedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(refusedAfter >= 0, 'the revoked token still verifies after 1 s');
  assert.equal((await page.$$('#sessions tr[data-session]')).length, 1);

  // Disable bob: his next login is refused with user_blocked.
  await page.goto(base + '/admin/users/' + bob.user.id);
  await Promise.all([page.waitForNavigation(), page.click('#toggle-disabled')]);
  assert.match(await page.textContent('#user-status'), /Disabled/);
  const blocked = await login(base, 'openid-bob-e2e');
  assert.equal(blocked.status, 403);
  assert.equal(blocked.json.error.code, 'user_blocked');

  // bob's login history shows the refused login above his first one, with
  // its code, app, platform and address (events reach the database in batches).
  const history = await loginHistory(page, bob.user.id, 2);
  assert.deepEqual(history.map((r) => [r.kind, r.result]), [['login', 'user_blocked'], ['login', 'ok']]);
  for (const r of history) {
    assert.deepEqual([r.cells[3], r.cells[4], r.cells[5]], ['wxdevappid0000000', 'weixin', '127.0.0.1']);
  }
  await shot(page, 'user-history-en');

  // A POST without the CSRF token is refused, from the console's own page.
  const [status, body] = await page.evaluate(async (url) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    return [r.status, await r.json()];
  }, `/admin/users/${bob.user.id}/enable`);
  assert.equal(status, 403);
  assert.equal(body.error.code, 'forbidden');
  assert.match(await page.textContent('#user-status'), /Disabled/);

  // The audit log shows each action, who did it and from where.
  await page.goto(base + '/admin/audit');
  const actions = await page.$$eval('table.audit tr[data-action]', (trs) => trs.map((tr) => tr.dataset.action));
  for (const a of ['operator_add', 'sign_in', 'sign_in_failed', 'sign_in_locked', 'revoke_session', 'disable_user']) {
    assert.ok(actions.includes(a), `audit lacks ${a}: ${actions}`);
  }
  assert.match(await page.textContent('table.audit'), /127\.0\.0\.1/);
  await shot(page, 'audit-en');
  await page.context().close();
});

test('Chinese by Accept-Language, and the switch to English', async () => {
  const page = await newPage('zh-CN');
  await page.goto(base + '/admin/signin');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.textContent('h1'), /登录/);
  await shot(page, 'signin-zh');
  assert.equal(await signIn(page, 'admin', PASSWORD), 303);
  assert.match(await page.textContent('h1'), /概览/);
  await shot(page, 'dashboard-zh');
  await page.goto(base + '/admin/users/' + alice.user.id);
  assert.match(await page.textContent('#sessions h2'), /会话/);
  await shot(page, 'user-zh');
  const history = await loginHistory(page, bob.user.id, 2);
  assert.match(await page.textContent('#logins h2'), /登录记录/);
  assert.deepEqual(history.map((r) => [r.cells[1], r.cells[2]]), [['登录', 'user_blocked'], ['登录', '成功']]);
  await shot(page, 'user-history-zh');
  await page.goto(base + '/admin/audit');
  await shot(page, 'audit-zh');
  await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
  assert.match(await page.textContent('h1'), /Audit log/);
  // The switch is remembered.
  await page.goto(base + '/admin/');
  assert.match(await page.textContent('h1'), /Dashboard/);
  await page.context().close();
});
