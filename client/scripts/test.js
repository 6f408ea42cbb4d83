// Runs every test/*.test.js with node --test against one miniauth binary,
// built here once (each file starts its own servers from it) unless
// $MINIAUTH_BIN names one. Extra arguments go to node --test
// (e.g. --test-name-pattern=blocked).
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const testDir = path.join(__dirname, '..', 'test');
const files = fs
  .readdirSync(testDir)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => path.join(testDir, f));

const env = Object.assign({}, process.env);
let tmp = null;
if (!env.MINIAUTH_BIN) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'miniauth-bin-'));
  env.MINIAUTH_BIN = path.join(tmp, 'miniauth');
  execFileSync('go', ['build', '-o', env.MINIAUTH_BIN, './cmd/miniauth'], {
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
const run = spawnSync(process.execPath, ['--test', ...process.argv.slice(2), ...files], { stdio: 'inherit', env });
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
process.exit(run.status === null ? 1 : run.status);
