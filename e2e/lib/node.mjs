// A real miniauth node in dev mode for the browser tests: built from this
// checkout (or MINIAUTH_BIN), its data in a fresh temporary directory, an
// operator added through the command line, as an operator would.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const artifacts = process.env.E2E_ARTIFACTS || path.join(repoRoot, 'e2e', 'artifacts');

// Cheap argon2id: the tests are about the console, not the hash's cost.
const cheap = { MINIAUTH_CONSOLE_PASSWORD_MEMORY: '8KiB', MINIAUTH_CONSOLE_PASSWORD_PASSES: '1' };

export function buildBinary() {
  if (process.env.MINIAUTH_BIN) return process.env.MINIAUTH_BIN;
  const out = path.join(repoRoot, 'e2e', '.bin', 'miniauth');
  const r = spawnSync('go', ['build', '-o', out, './cmd/miniauth'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('go build failed');
  return out;
}

export function operator(bin, dataDir, args, password) {
  const r = spawnSync(bin, ['operator', ...args], {
    input: password === undefined ? '' : password + '\n',
    env: { ...process.env, ...cheap, MINIAUTH_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`operator ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// startNode runs `miniauth serve` on a free loopback port and resolves with
// its URL once it listens.
export async function startNode(bin) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'miniauth-e2e-'));
  mkdirSync(artifacts, { recursive: true });
  const log = createWriteStream(path.join(artifacts, 'server.log'));
  const child = spawn(bin, ['serve'], {
    env: { ...process.env, ...cheap, MINIAUTH_DATA_DIR: dataDir, MINIAUTH_HTTP_ADDR: '127.0.0.1:0', MINIAUTH_LOG_FORMAT: 'text' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the node did not start: ' + seen)), 30000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = /miniauth listening on (http:\/\/\S+)/.exec(seen);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`the node exited (${code}): ${seen}`)));
  });
  return { url, dataDir, db: path.join(dataDir, 'miniauth.db'), stop: () => child.kill('SIGTERM') };
}

export async function api(base, method, p, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = 'Bearer ' + token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

// login logs a user in through the simulator, as a mini program would.
export async function login(base, openid, appid = 'wxdevappid0000000') {
  const code = await api(base, 'POST', '/_wxsim/_sim/login-code', { body: { appid, openid } });
  return api(base, 'POST', '/api/v1/auth/login', { body: { appid, code: code.json.code } });
}

export async function bindPhone(base, token, openid, phone) {
  const code = await api(base, 'POST', '/_wxsim/_sim/phone-code', { body: { appid: 'wxdevappid0000000', openid, phone } });
  return api(base, 'POST', '/api/v1/me/phone', { token, body: { code: code.json.code } });
}

// sql runs statements on the node's SQLite database with the sqlite3
// command line tool, for what no API sets (yet): history to chart.
export function sql(db, statements) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', db], { input: statements, encoding: 'utf8' });
  if (r.status !== 0) throw new Error('sqlite3: ' + r.stderr);
  return r.stdout;
}
