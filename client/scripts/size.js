// Measures what a mini program pays for the library: each entry bundled,
// minified (esbuild) and gzipped (level 9). Fails above the 5 KB budget.
'use strict';
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const LIMIT = 5 * 1024;
const entries = ['index.js', 'taro.js'];
let failed = false;
for (const name of entries) {
  const out = esbuild.buildSync({
    entryPoints: [path.join(__dirname, '..', 'dist', name)],
    bundle: true,
    minify: true,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2017',
    write: false,
  }).outputFiles[0].contents;
  const gz = zlib.gzipSync(out, { level: 9 }).length;
  const ok = gz < LIMIT;
  if (!ok) failed = true;
  console.log(`${name}: ${out.length} B minified, ${gz} B minified+gzip (limit ${LIMIT} B) ${ok ? 'ok' : 'OVER'}`);
}
if (failed) process.exit(1);
