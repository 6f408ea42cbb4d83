// Runs a native mini program's JS in node the way WeChat does: each file is
// wrapped in a function that receives module, exports, require and the
// globals (wx, App, Page, getApp) as parameters; require() knows only
// relative files and packages in miniprogram_npm/, no node built-ins.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

/**
 * launch loads app.js and calls onLaunch, then loads each page of app.json
 * and instantiates it (data, setData) without calling onLoad.
 * overrides maps a file relative to root (e.g. "config.js") to its exports.
 */
async function launch(root, { wx, overrides = {} }) {
  let appDef = null;
  const pageDefs = new Map();
  let loading = null; // the page file being loaded, for Page()
  const globals = {
    wx,
    App: (def) => {
      if (appDef) throw new Error('App() called twice');
      appDef = def;
    },
    Page: (def) => pageDefs.set(loading, def),
    getApp: () => appDef,
    console,
  };
  const names = Object.keys(globals);
  const cache = new Map();

  function load(file) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (Object.prototype.hasOwnProperty.call(overrides, rel)) return overrides[rel];
    if (cache.has(file)) return cache.get(file).exports;
    const module = { exports: {} };
    cache.set(file, module);
    const src = fs.readFileSync(file, 'utf8');
    const fn = vm.runInThisContext(`(function (module, exports, require, ${names.join(', ')}) {${src}\n})`, { filename: file });
    fn(module, module.exports, requireFrom(path.dirname(file)), ...names.map((n) => globals[n]));
    return module.exports;
  }

  function requireFrom(dir) {
    return (spec) => {
      let file;
      if (spec.startsWith('./') || spec.startsWith('../')) {
        file = path.resolve(dir, spec);
        if (!file.startsWith(root + path.sep)) throw new Error(`require(${spec}): outside the mini program`);
      } else {
        file = path.join(root, 'miniprogram_npm', spec);
        if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index');
      }
      if (!file.endsWith('.js')) file += '.js';
      if (!fs.existsSync(file)) throw new Error(`require(${spec}) from ${path.relative(root, dir) || '.'}: no ${path.relative(root, file)}`);
      return load(file);
    };
  }

  const appJSON = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'));
  load(path.join(root, 'app.js'));
  if (!appDef) throw new Error('app.js did not call App()');
  const launched = appDef.onLaunch ? appDef.onLaunch({ path: appJSON.pages[0], query: {} }) : undefined;

  const pages = {};
  for (const route of appJSON.pages) {
    loading = route;
    load(path.join(root, route + '.js'));
    const def = pageDefs.get(route);
    if (!def) throw new Error(`${route}.js did not call Page()`);
    const page = Object.assign({}, def, {
      route,
      data: JSON.parse(JSON.stringify(def.data || {})),
      setData(patch) {
        // WeChat copies what it renders: the page never shares objects with callers.
        Object.assign(this.data, JSON.parse(JSON.stringify(patch)));
      },
    });
    pages[route] = page;
  }
  return { app: appDef, launched, pages, appJSON };
}

module.exports = { launch };
