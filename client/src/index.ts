import { MiniauthError, NetworkError } from './errors';
import { Platform, PlatformResponse, wxPlatform } from './platform';

export { MiniauthError, NetworkError } from './errors';
export { wxPlatform } from './platform';
export type { Platform, PlatformRequest, PlatformResponse, WxLike } from './platform';

/** The contract's user object. */
export interface User {
  id: string;
  openid: string;
  unionid: string;
  nickname: string;
  avatar_url: string;
  phone: string;
  created_at: string;
}

export interface AuthOptions {
  /** The miniauth server, e.g. `https://auth.example.com`. */
  baseURL: string;
  /** Defaults to the `wx` global; `taroPlatform(Taro)` for Taro. */
  platform?: Platform;
  /** Where the session lives in storage. Default `miniauth`. */
  storageKey?: string;
  /** Refresh this long before the access token expires. Default 60. */
  refreshAheadSeconds?: number;
  /** Sent with the login; needed when the server serves several apps. */
  appid?: string;
  /**
   * Other origins (`https://api.example.com`) whose requests carry the
   * access token too, e.g. your API behind a gateway that asks miniauth's
   * verify. baseURL's origin always does; any other origin is refused, so
   * that the token never leaks to a third party.
   */
  origins?: string[];
  /** The clock in milliseconds, for tests. Default Date.now. */
  now?: () => number;
}

export interface RequestOptions {
  /** A path under baseURL (`/api/v1/me`), or an absolute URL on baseURL's origin or one of options.origins. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** JSON body; for GET, wx turns it into the query string. */
  data?: unknown;
  header?: Record<string, string>;
  timeout?: number;
}

export interface Response<T> {
  statusCode: number;
  data: T;
  header: Record<string, string>;
}

export interface Auth {
  /** Returns the user, logging in (or refreshing) only when needed. */
  login(): Promise<User>;
  /**
   * Sends an authenticated request. A 2xx answer resolves; anything else
   * rejects with a MiniauthError (NetworkError when there was no answer).
   */
  request<T = unknown>(options: RequestOptions): Promise<Response<T>>;
  /** Binds the phone number behind a getPhoneNumber button's `e.detail.code`. */
  bindPhone(code: string): Promise<User>;
  /** Ends the session on the server and always forgets it locally. */
  logout(): Promise<void>;
  /** The stored user, or null before the first login. */
  currentUser(): User | null;
}

interface Session {
  access_token: string;
  refresh_token: string;
  /** Milliseconds since the epoch, by the device clock when received. */
  expires_at: number;
  user: User;
}

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user?: User;
}

declare const wx: WechatMiniprogram.Wx | undefined;

/**
 * Creates the auth of an app. Create one (in app.js) and share it: logins and
 * refreshes are shared among the requests of one instance.
 */
export function createAuth(options: AuthOptions): Auth {
  const baseURL = options.baseURL.replace(/\/+$/, '');
  const key = options.storageKey || 'miniauth';
  const ahead = (options.refreshAheadSeconds == null ? 60 : options.refreshAheadSeconds) * 1000;
  const now = options.now || Date.now;
  const appid = options.appid;
  const trusted = [baseURL].concat(options.origins || []).map(originOf);
  let platform = options.platform;
  if (!platform) {
    if (typeof wx === 'undefined') throw new Error('miniauth: no wx global: pass options.platform');
    platform = wxPlatform(wx);
  }
  const p: Platform = platform;

  let session = load();
  // The one login or refresh in flight; everyone who needs one joins it.
  let renewing: Promise<Session> | null = null;
  // Bumped by logout, so that a renewal already in flight does not store a
  // session after the user logged out.
  let epoch = 0;

  function load(): Session | null {
    try {
      const s = p.getStorage(key) as Session | '';
      return s && s.access_token && s.refresh_token ? s : null;
    } catch (e) {
      return null;
    }
  }

  function save(s: Session | null) {
    session = s;
    try {
      if (s) p.setStorage(key, s);
      else p.removeStorage(key);
    } catch (e) {
      // Storage full or unavailable: the session still works from memory,
      // and the next launch logs in again.
    }
  }

  async function send(o: RequestOptions, token?: string): Promise<PlatformResponse> {
    const header: Record<string, string> = Object.assign({}, o.header);
    if (token) header.Authorization = 'Bearer ' + token;
    try {
      return await p.request({
        url: /^https?:\/\//.test(o.url) ? o.url : baseURL + o.url,
        method: o.method || 'GET',
        header,
        data: o.data,
        timeout: o.timeout,
      });
    } catch (e) {
      throw new NetworkError(failMessage(e));
    }
  }

  async function post<T>(path: string, data: unknown, token?: string): Promise<T> {
    return check<T>(await send({ url: path, method: 'POST', data }, token)).data;
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
    const old = session;
    const run = async (): Promise<Session> => {
      let t: TokenAnswer | null = null;
      if (refresh && old) {
        try {
          t = await post<TokenAnswer>('/api/v1/auth/refresh', { refresh_token: old.refresh_token });
        } catch (e) {
          // A refused refresh token (expired, revoked, reused) means a new
          // login; no answer at all, or a server in trouble, is the caller's.
          if (!(e instanceof MiniauthError) || (e.status !== 400 && e.status !== 401)) throw e;
        }
      }
      if (!t) t = await loginWithCode();
      if (!t || typeof t.access_token !== 'string') throw new MiniauthError('http_error', 'unexpected answer', 200);
      const s: Session = {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: now() + t.expires_in * 1000,
        user: (t.user || (old && old.user)) as User, // a refresh answer may leave the user out
      };
      if (epoch === started) save(s);
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
  function current(): Promise<Session> {
    if (renewing) return renewing;
    if (!session) return renew(false);
    if (now() >= session.expires_at - ahead) return renew(true);
    return Promise.resolve(session);
  }

  async function request<T>(o: RequestOptions): Promise<Response<T>> {
    if (/^https?:\/\//i.test(o.url) && trusted.indexOf(originOf(o.url)) < 0) {
      throw new MiniauthError(
        'invalid_request',
        'miniauth: not sending the access token to ' + originOf(o.url) + '; add it to options.origins',
        0,
      );
    }
    const started = epoch;
    let token = (await current()).access_token;
    let res = await send(o, token);
    // After a logout meanwhile, a 401 is the answer: logging in again would
    // undo the logout.
    if (res.statusCode === 401 && epoch === started) {
      // Retry once: with the current token when someone renewed it since we
      // sent ours, else after a refresh (or a login if that is refused).
      token = session && session.access_token !== token ? session.access_token : (await renew(true)).access_token;
      res = await send(o, token);
    }
    return check<T>(res);
  }

  return {
    login: async () => (await current()).user,
    request,
    bindPhone: async (code) => {
      const user = (await request<User>({ url: '/api/v1/me/phone', method: 'POST', data: { code } })).data;
      if (session) save(Object.assign({}, session, { user }));
      return user;
    },
    logout: async () => {
      const s = session;
      epoch++;
      save(null);
      if (!s) return;
      try {
        await send({ url: '/api/v1/auth/logout', method: 'POST' }, s.access_token);
      } catch (e) {
        // Forgotten locally all the same; the session dies on the server
        // when its refresh token expires.
      }
    },
    currentUser: () => (session ? session.user : null),
  };
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

// originOf is scheme://host[:port] in lower case (mini program runtimes
// do not all have URL).
function originOf(url: string): string {
  const m = /^(https?:\/\/[^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : '';
}

function failMessage(e: unknown): string {
  const msg = e && (e as { errMsg?: unknown }).errMsg;
  return typeof msg === 'string' ? msg : String(e);
}
