// Puts the built library where the example mini program's
// require('@miniauth/weapp') finds it: miniprogram_npm/@miniauth/weapp/,
// the same layout DevTools' "Build npm" makes from the package's
// "miniprogram": "dist" field.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const target = path.join(__dirname, '..', '..', 'examples', 'weapp', 'miniprogram_npm', '@miniauth', 'weapp');

function copyBuild(to = target) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(dist)) {
    if (name.endsWith('.js')) fs.copyFileSync(path.join(dist, name), path.join(to, name));
  }
  return to;
}

if (require.main === module) console.log('copied dist to ' + path.relative(process.cwd(), copyBuild()));

module.exports = { copyBuild };
