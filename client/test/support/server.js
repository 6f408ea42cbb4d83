// Starts a real miniauth in dev mode (SQLite in a temp dir, simulator at
// /_wxsim) on a random port, and reads the counters the tests assert on.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const started = new Set();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

function binary(tmp) {
  if (process.env.MINIAUTH_BIN) return process.env.MINIAUTH_BIN;
  const bin = path.join(tmp, 'miniauth');
  execFileSync('go', ['build', '-o', bin, './cmd/miniauth'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}

/**
 * startServer builds (or takes $MINIAUTH_BIN) and starts miniauth; extra env
 * is added to a clean MINIAUTH_* environment so that the caller's settings
 * cannot take the server out of dev mode.
 */
async function startServer(extraEnv = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'miniauth-client-'));
  const bin = binary(tmp);
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MINIAUTH_')) env[k] = v;
  Object.assign(env, { MINIAUTH_HTTP_ADDR: '127.0.0.1:0', MINIAUTH_DATA_DIR: path.join(tmp, 'data') }, extraEnv);
  const child = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let output = '';
  const baseURL = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('miniauth did not say it was listening within 30s')), 30000);
    const fail = (err) => {
      clearTimeout(timer);
      reject(new Error(`${err.message}\n--- miniauth output ---\n${output}`));
    };
    const onData = (chunk) => {
      output += chunk;
      const m = /miniauth listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/+$/, ''));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c) => (output += c));
    child.on('exit', (code, signal) => fail(new Error(`miniauth exited early (${code ?? signal})`)));
    child.on('error', fail);
  });
  // Keep draining its output so that a chatty server never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();

  return {
    baseURL,
    simURL: baseURL + '/_wxsim',
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      started.delete(child);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
    /** Logins and refreshes as the server counts them. */
    async counters() {
      const [statsRes, metricsRes] = await Promise.all([fetch(baseURL + '/_wxsim/_sim/stats'), fetch(baseURL + '/metrics')]);
      if (!statsRes.ok) throw new Error(`_sim/stats: HTTP ${statsRes.status}`);
      if (!metricsRes.ok) throw new Error(`/metrics: HTTP ${metricsRes.status}`);
      const stats = await statsRes.json();
      const metrics = await metricsRes.text();
      return {
        jscode2session: (stats.calls && stats.calls['sns/jscode2session']) || 0,
        logins: metricValue(metrics, 'miniauth_logins_total', { result: 'ok' }),
        refreshes: metricValue(metrics, 'miniauth_refreshes_total', { result: 'ok' }),
        blocked:
          metricValue(metrics, 'miniauth_logins_total', { result: 'user_blocked' }) +
          metricValue(metrics, 'miniauth_refreshes_total', { result: 'user_blocked' }),
        /** Every request the server answered on its /api/ routes, whatever the status. */
        apiRequests: metricValue(metrics, 'miniauth_http_requests_total', { route: (r) => r.startsWith('/api/') }),
      };
    },
  };
}

/**
 * metricValue sums the samples of name whose labels match every one of want:
 * a string equals the label, a function is a predicate on it.
 */
function metricValue(text, name, want) {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    const match = ([k, v]) => (typeof v === 'function' ? labels[k] !== undefined && v(labels[k]) : labels[k] === v);
    if (Object.entries(want).every(match)) sum += Number(m[3]);
  }
  return sum;
}

/** A TCP port on which nothing listens, for "server unreachable". */
async function deadURL() {
  const net = require('node:net');
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

module.exports = { startServer, metricValue, deadURL };
