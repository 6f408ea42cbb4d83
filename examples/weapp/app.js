const { createAuth } = require('@miniauth/weapp');
const config = require('./config');
const dev = require('./dev');

// One auth for the whole app: logins and refreshes are shared within it.
const auth = createAuth({
  baseURL: config.baseURL,
  appid: config.appid,
  // Omitted (undefined): the library uses the `wx` global.
  platform: config.simulator ? dev.simulatorPlatform(config.baseURL + '/_wxsim', config.appid) : undefined,
});

App({
  auth,
  config,

  onLaunch() {
    // Log in right away (nothing is sent when storage holds a session); the
    // page's own auth.login() joins this same login rather than starting one.
    return auth.login().catch((err) => console.warn('miniauth: login failed:', err.code, err.message));
  },
});
