import { MiniauthError, NetworkError } from './errors';
import { isPath, splitOrigin } from './origin';
import { Platform, PlatformResponse } from './platform';
import { nativePlatform } from './platforms';
import { isUser, openState, Session } from './state';
import type { Auth, AuthOptions, DeviceSession, RequestOptions, Response, User } from './types';
import { webLogin } from './weblogin';

export { MiniauthError, NetworkError } from './errors';
export { wxPlatform } from './platform';
export { myPlatform } from './platforms';
export type { Platform, PlatformRequest, PlatformResponse, PlatformUpload, WxLike } from './platform';
export type { MyLike, PlatformName } from './platforms';
export type { Auth, AuthEvent, AuthOptions, DeviceSession, Identity, RequestOptions, Response, User } from './types';
export type { WebLogin } from './weblogin';

const DEFAULT_STORAGE_KEY = 'miniauth';
const DEFAULT_REFRESH_AHEAD_SECONDS = 60;
const DEFAULT_BLOCKED_RETRY_SECONDS = 300;

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user?: User;
}

/**
 * Sends one authenticated call (wx.request or wx.uploadFile) to an
 * absolute URL with the given headers; resolves for any HTTP status.
 */
type Transport = (url: string, header: Record<string, string>) => Promise<PlatformResponse>;

/**
 * Creates the auth of an app. Create one (in app.js) and share it: logins and
 * refreshes are shared among the requests of one instance.
 */
export function createAuth(options: AuthOptions): Auth {
  const base = splitOrigin(options.baseURL);
  if (!base || !/^(\/[^?#]*)?$/.test(base[1])) throw new Error('miniauth: baseURL must be an absolute http(s) URL without query');
  // Relative URLs are appended to it; storage is stamped with it.
  const baseURL = base[0] + base[1].replace(/\/+$/, '');
  const trusted = [base[0]].concat(
    (options.origins || []).map((o) => {
      const s = splitOrigin(o);
      if (!s || (s[1] && s[1] !== '/')) throw new Error('miniauth: not an origin: ' + o);
      return s[0];
    }),
  );
  const ahead = seconds(options.refreshAheadSeconds, DEFAULT_REFRESH_AHEAD_SECONDS);
  const blockFor = seconds(options.blockedRetrySeconds, DEFAULT_BLOCKED_RETRY_SECONDS);
  const now = options.now || Date.now;
  const appid = options.appid;
  const p: Platform = typeof options.platform === 'object' ? options.platform : nativePlatform(options.platform);
  const state = openState(p, options.storageKey || DEFAULT_STORAGE_KEY, baseURL);

  // The one login or refresh in flight; everyone who needs one joins it.
  let renewing: Promise<Session> | null = null;
  // Bumped by logout, so that a renewal already in flight does not store a
  // session after the user logged out.
  let epoch = 0;

  // resolve is the absolute URL a request goes to, or refuses it before
  // anything (the token above all) is sent.
  function resolve(url: string): string {
    if (isPath(url)) return baseURL + url;
    const s = splitOrigin(url);
    if (s && trusted.indexOf(s[0]) >= 0) return s[0] + s[1];
    throw new MiniauthError(
      'invalid_request',
      'miniauth: not sending the access token to ' + (s ? s[0] + '; add it to options.origins' : url + ': use a path starting with /'),
      0,
    );
  }

  async function send(transport: Transport, url: string, header: Record<string, string>): Promise<PlatformResponse> {
    try {
      return await transport(url, header);
    } catch (e) {
      throw new NetworkError(failMessage(e));
    }
  }

  function requestTransport(method: RequestOptions['method'], data?: unknown, timeout?: number): Transport {
    return (url, header) => p.request({ url, method: method || 'GET', header, data, timeout });
  }

  async function post<T>(path: string, data: unknown): Promise<T> {
    return check<T>(await send(requestTransport('POST', data), baseURL + path, {})).data;
  }

  async function loginWithCode(): Promise<TokenAnswer> {
    let code: string;
    try {
      code = await p.login();
    } catch (e) {
      throw new NetworkError('wx.login: ' + failMessage(e));
    }
    const body: { code: string; appid?: string } = { code };
    if (appid) body.appid = appid;
    return post<TokenAnswer>('/api/v1/auth/login', body);
  }

  // renew logs in, or first tries a refresh when refresh is set, unless a
  // renewal is already in flight: then it joins that one (single flight).
  function renew(refresh: boolean): Promise<Session> {
    if (renewing) return renewing;
    const started = epoch;
    const old = state.session;
    const run = async (): Promise<Session> => {
      let t: TokenAnswer | null = null;
      let dead = false; // the server refused the refresh token
      try {
        if (refresh && old) {
          try {
            t = await post<TokenAnswer>('/api/v1/auth/refresh', { refresh_token: old.refresh_token });
          } catch (e) {
            // A refused refresh token (expired, revoked, reused) means a new
            // login; no answer at all, or a server in trouble, is the caller's.
            if (!(e instanceof MiniauthError) || (e.status !== 400 && e.status !== 401)) throw e;
            dead = true;
          }
        }
        if (!t) t = await loginWithCode();
      } catch (e) {
        if (epoch === started) {
          // Remember a block, so that every later call does not repeat
          // login attempts (each a WeChat call) that are bound to fail.
          if (e instanceof MiniauthError && e.code === 'user_blocked') state.set(null, now() + blockFor);
          else if (dead) state.set(null);
        }
        throw e;
      }
      const user = t && (isUser(t.user) ? t.user : old && old.user); // a refresh answer may leave the user out
      if (!user || typeof t.access_token !== 'string' || typeof t.refresh_token !== 'string' || typeof t.expires_in !== 'number') {
        throw new MiniauthError('http_error', 'unexpected answer', 200);
      }
      const s: Session = {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: now() + t.expires_in * 1000,
        user,
      };
      if (epoch === started) state.set(s);
      return s;
    };
    const done = () => {
      renewing = null;
    };
    renewing = run();
    renewing.then(done, done);
    return renewing;
  }

  // current returns a usable session: the stored one, or one from the
  // renewal in flight, a login (none stored) or a refresh (about to expire).
  // While a block is remembered it fails without sending anything.
  function current(): Promise<Session> {
    if (renewing) return renewing;
    const left = state.blockedUntil - now();
    // A block further ahead than blockFor was stamped by a clock since
    // turned back: not trusted.
    if (left > 0 && left <= blockFor) {
      return Promise.reject(new MiniauthError('user_blocked', 'miniauth: this account is blocked; retrying later', 403));
    }
    const s = state.session;
    if (!s) return renew(false);
    if (now() >= s.expires_at - ahead) return renew(true);
    return Promise.resolve(s);
  }

  // authed sends one call with the access token, logging in or refreshing
  // first when needed, and once more after a 401 with a renewed token.
  async function authed<T>(url: string, header: Record<string, string> | undefined, transport: Transport): Promise<Response<T>> {
    const target = resolve(url);
    const started = epoch;
    const sendWith = (token: string) =>
      send(transport, target, Object.assign({}, header, { Authorization: 'Bearer ' + token }));
    let token = (await current()).access_token;
    let res = await sendWith(token);
    // After a logout meanwhile, a 401 is the answer: logging in again would
    // undo the logout.
    if (res.statusCode === 401 && epoch === started) {
      // Retry once: with the current token when someone renewed it since we
      // sent ours, else after a refresh (or a login if that is refused).
      const s = state.session;
      token = s && s.access_token !== token ? s.access_token : (await renew(true)).access_token;
      res = await sendWith(token);
    }
    return check<T>(res);
  }

  // userCall is an authenticated call to miniauth that answers the user
  // object, which then replaces the stored one.
  async function userCall(
    method: RequestOptions['method'],
    path: string,
    data: unknown,
    transport = requestTransport(method, data),
  ): Promise<User> {
    const user = (await authed<User>(path, undefined, transport)).data;
    const s = state.session;
    if (s && isUser(user) && user.id === s.user.id) state.set(Object.assign({}, s, { user }));
    return user;
  }

  return {
    login: async () => (await current()).user,
    request: (o) => authed(o.url, o.header, requestTransport(o.method, o.data, o.timeout)),
    bindPhone: (code) => userCall('POST', '/api/v1/me/phone', { code }),
    sessions: async () =>
      (await authed<{ sessions: DeviceSession[] }>('/api/v1/me/sessions', undefined, requestTransport('GET'))).data.sessions,
    endSession: async (id) => {
      await authed('/api/v1/me/sessions/' + encodeURIComponent(id), undefined, requestTransport('DELETE'));
    },
    linkIdentity: (appid, code) => userCall('POST', '/api/v1/me/identities', { appid, code }),
    // PUT: the contract's PATCH is not among the methods wx.request (or
    // my.request) can send.
    setNickname: (nickname) => userCall('PUT', '/api/v1/me', { nickname }),
    uploadAvatar: (filePath) => {
      if (!p.uploadFile) return Promise.reject(new Error('miniauth: the platform has no uploadFile'));
      return userCall('POST', '/api/v1/me/avatar', null, (url, header) => p.uploadFile!({ url, filePath, name: 'file', header }));
    },
    webLogin: webLogin((path) => authed(path, undefined, requestTransport('POST'))),
    logout: async () => {
      const s = state.session;
      epoch++;
      state.set(null);
      if (!s) return;
      try {
        await send(requestTransport('POST'), baseURL + '/api/v1/auth/logout', { Authorization: 'Bearer ' + s.access_token });
      } catch (e) {
        // Forgotten locally all the same; the session dies on the server
        // when its refresh token expires.
      }
    },
    currentUser: () => (state.session ? state.session.user : null),
    onChange: (listener) => state.listen(listener),
  };
}

function seconds(value: number | undefined, fallback: number): number {
  return (value == null ? fallback : value) * 1000;
}

function check<T>(res: PlatformResponse): Response<T> {
  const status = res.statusCode;
  if (status >= 200 && status < 300) return res as Response<T>;
  const body = res.data as { error?: { code?: string; message?: string; request_id?: string } } | null;
  const e = (body && typeof body === 'object' && body.error) || {};
  throw new MiniauthError(
    e.code || 'http_error',
    e.message || 'HTTP ' + status,
    status,
    e.request_id || headerValue(res.header, 'x-request-id'),
  );
}

function headerValue(header: Record<string, string> | undefined, name: string): string | undefined {
  for (const k in header) if (k.toLowerCase() === name) return header[k];
  return undefined;
}

function failMessage(e: unknown): string {
  const msg = e && (e as { errMsg?: unknown }).errMsg;
  return typeof msg === 'string' ? msg : String(e);
}
