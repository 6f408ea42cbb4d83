import { answer } from './answer';

/** What the library sends through the platform's request function. */
export interface PlatformRequest {
  url: string;
  method: string;
  header: Record<string, string>;
  data?: unknown;
  timeout?: number;
}

/** A file the library uploads (multipart/form-data, POST). */
export interface PlatformUpload {
  url: string;
  /** A local file, e.g. chooseAvatar's temporary path. */
  filePath: string;
  /** The form field of the file. */
  name: string;
  header: Record<string, string>;
}

/** An HTTP answer, whatever its status; JSON bodies parsed. */
export interface PlatformResponse {
  statusCode: number;
  data: unknown;
  header: Record<string, string>;
}

/**
 * The few platform functions the library needs, as promises. wx takes
 * success/fail callbacks and Taro returns promises; adapters hide that.
 */
export interface Platform {
  /** A fresh code from wx.login() (or the platform's equivalent). */
  login(): Promise<string>;
  /** Resolves for ANY HTTP status; rejects only when there is no answer. */
  request(req: PlatformRequest): Promise<PlatformResponse>;
  /** As request, through wx.uploadFile. Only uploadAvatar needs it. */
  uploadFile?(req: PlatformUpload): Promise<PlatformResponse>;
  getStorage(key: string): unknown;
  setStorage(key: string, value: unknown): void;
  removeStorage(key: string): void;
}

interface Fail {
  errMsg: string;
}

type Callbacks<T> = { success?(res: T): void; fail?(err: Fail): void };
type Answer = { statusCode: number; data: any; header: any };

/**
 * The part of the `wx` global the library uses; `qq`, `tt`, `swan` and
 * `ks` have the same shape.
 */
export interface WxLike {
  login(option: Callbacks<{ code: string }>): void;
  request(
    option: { url: string; method?: any; data?: any; header?: any; timeout?: number } & Callbacks<Answer>,
  ): unknown;
  uploadFile(option: { url: string; filePath: string; name: string; header?: any } & Callbacks<any>): unknown;
  getStorageSync(key: string): any;
  setStorageSync(key: string, data: any): void;
  removeStorageSync(key: string): void;
}

// Compile-time proof that the real wx (miniprogram-api-typings) fits WxLike;
// it emits no code.
type Assert<T extends true> = T;
// eslint-disable-next-line @typescript-eslint/no-unused-vars
type _WxFits = Assert<WechatMiniprogram.Wx extends WxLike ? true : false>;

/**
 * Adapts the native `wx` global, or `qq`, `tt`, `swan`, `ks`, whose login,
 * request, uploadFile and storage take the same options.
 */
export function wxPlatform(w: WxLike): Platform {
  return {
    login: () =>
      new Promise((resolve, reject) =>
        w.login({
          // Douyin gives only an anonymousCode to a user not logged in to
          // the host app; that is no login code.
          success: (r) => (r.code ? resolve(r.code) : reject({ errMsg: 'login: no code' })),
          fail: reject,
        }),
      ),
    request: (req) =>
      new Promise((resolve, reject) => {
        // wx warns about parameters of the wrong type, undefined included:
        // pass only what is set.
        const o: Parameters<WxLike['request']>[0] = {
          url: req.url,
          method: req.method,
          header: req.header,
          success: resolve,
          fail: reject,
        };
        if (req.data !== undefined) o.data = req.data;
        if (req.timeout !== undefined) o.timeout = req.timeout;
        w.request(o);
      }),
    uploadFile: (req) =>
      new Promise((resolve, reject) => w.uploadFile(Object.assign({ success: (r: any) => resolve(answer(r)), fail: reject }, req))),
    getStorage: (k) => w.getStorageSync(k),
    setStorage: (k, v) => w.setStorageSync(k, v),
    removeStorage: (k) => w.removeStorageSync(k),
  };
}
