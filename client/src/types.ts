import type { Platform } from './platform';
import type { PlatformName } from './platforms';
import type { WebLogin } from './weblogin';

/** The contract's user object. */
export interface User {
  id: string;
  openid: string;
  unionid: string;
  nickname: string;
  avatar_url: string;
  phone: string;
  created_at: string;
  /** Every way this account logs in (other apps, other platforms). */
  identities?: Identity[];
}

export interface Identity {
  platform: string;
  appid: string;
  openid: string;
  unionid: string;
}

/** One of the user's sessions: a device logged in. */
export interface DeviceSession {
  id: string;
  appid: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string;
  ip: string;
  /** This device's own session. */
  current: boolean;
}

export interface AuthOptions {
  /** The miniauth server, e.g. `https://auth.example.com`. */
  baseURL: string;
  /**
   * `taroPlatform(Taro)` for Taro; for a native app the platform's global
   * by name (`'wx'`, `'qq'`, `'tt'`, `'my'`, `'swan'`, `'ks'`), or by
   * default the one the app runs on; or your own Platform.
   */
  platform?: Platform | PlatformName;
  /** Where the session lives in storage. Default `miniauth`. */
  storageKey?: string;
  /** Refresh this long before the access token expires. Default 60. */
  refreshAheadSeconds?: number;
  /**
   * After the server answers `user_blocked`, every call fails with
   * `user_blocked` for this long without sending anything (no WeChat login
   * either), unless logout() is called. Default 300; 0 tries every time.
   */
  blockedRetrySeconds?: number;
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
  /**
   * A path under baseURL, starting with one `/` (`/api/v1/me`), or an
   * absolute URL on baseURL's origin or one of options.origins.
   */
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

/**
 * A change of the login state:
 * - `login`: logged in (there was no user before); `user` is the user.
 * - `user`: still logged in, but the user object changed (a bound phone, a
 *   profile changed elsewhere, or another account after a new login).
 * - `logout`: logged out (logout(), or the session ended and could not be
 *   renewed); `user` is null.
 * - `blocked`: the server answered `user_blocked`; the session is gone and
 *   calls fail with `user_blocked` for `blockedRetrySeconds`; `user` is null.
 */
export interface AuthEvent {
  type: 'login' | 'user' | 'logout' | 'blocked';
  user: User | null;
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
  /** The user's live sessions (devices), newest first; `current` marks this one. */
  sessions(): Promise<DeviceSession[]>;
  /** Ends one of the user's sessions ("log out this device"); for this device's own, use logout(). */
  endSession(id: string): Promise<void>;
  /** Adds the identity behind a login code of another app (`appid`) to this account; answers the user. */
  linkIdentity(appid: string, code: string): Promise<User>;
  /** Sets the nickname (the text of `<input type="nickname">`); answers the user. */
  setNickname(nickname: string): Promise<User>;
  /**
   * Uploads the avatar (chooseAvatar's `e.detail.avatarUrl`, a temporary
   * file) through the platform's uploadFile; answers the user, whose
   * avatar_url is then the server's copy.
   */
  uploadAvatar(tempFilePath: string): Promise<User>;
  /** Scan to log in on the web: scan, confirm or deny a web page's ticket (`options.scene`). */
  webLogin: WebLogin;
  /** Ends the session on the server and always forgets it (and a remembered block) locally. */
  logout(): Promise<void>;
  /** The stored user, or null when logged out. Never sends anything. */
  currentUser(): User | null;
  /**
   * Calls listener on every change of the login state (not for the state
   * found in storage at creation: read currentUser() for that). Returns the
   * function that unsubscribes it.
   */
  onChange(listener: (event: AuthEvent) => void): () => void;
}
