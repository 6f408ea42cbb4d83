/** What the library sends through the platform's request function. */
export interface PlatformRequest {
  url: string;
  method: string;
  header: Record<string, string>;
  data?: unknown;
  timeout?: number;
}

/** An HTTP answer, whatever its status. */
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
  /** A fresh code from wx.login(). */
  login(): Promise<string>;
  /** Resolves for ANY HTTP status; rejects only when there is no answer. */
  request(req: PlatformRequest): Promise<PlatformResponse>;
  getStorage(key: string): unknown;
  setStorage(key: string, value: unknown): void;
  removeStorage(key: string): void;
}

interface Fail {
  errMsg: string;
}

/** The part of the `wx` global the library uses. */
export interface WxLike {
  login(option: { success?(res: { code: string }): void; fail?(err: Fail): void }): void;
  request(option: {
    url: string;
    method?: any;
    data?: any;
    header?: any;
    timeout?: number;
    success?(res: { statusCode: number; data: any; header: any }): void;
    fail?(err: Fail): void;
  }): unknown;
  getStorageSync(key: string): any;
  setStorageSync(key: string, data: any): void;
  removeStorageSync(key: string): void;
}

// Compile-time proof that the real wx (miniprogram-api-typings) fits WxLike;
// it emits no code.
type Assert<T extends true> = T;
// eslint-disable-next-line @typescript-eslint/no-unused-vars
type _WxFits = Assert<WechatMiniprogram.Wx extends WxLike ? true : false>;

/** Adapts the native `wx` global (or anything shaped like it). */
export function wxPlatform(w: WxLike): Platform {
  return {
    login: () =>
      new Promise((resolve, reject) => w.login({ success: (r) => resolve(r.code), fail: reject })),
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
    getStorage: (k) => w.getStorageSync(k),
    setStorage: (k, v) => w.setStorageSync(k, v),
    removeStorage: (k) => w.removeStorageSync(k),
  };
}
