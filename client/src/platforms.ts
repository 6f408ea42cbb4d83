import { answer, httpFailure } from './answer';
import { Platform, wxPlatform, WxLike } from './platform';

/**
 * The mini-program platforms a native app runs on, by the name of their
 * global: WeChat, QQ, Douyin, Alipay, Baidu, Kuaishou.
 */
export type PlatformName = 'wx' | 'qq' | 'tt' | 'my' | 'swan' | 'ks';

declare const wx: unknown, qq: unknown, tt: unknown, my: unknown, swan: unknown, ks: unknown;

/**
 * nativePlatform adapts the global of the named platform, or without a name
 * the one the app runs on. QQ (and others) also answer to `wx`, so `wx`
 * comes last.
 */
export function nativePlatform(name?: PlatformName): Platform {
  // Bare globals, looked up when createAuth runs: mini program runtimes do
  // not all have globalThis.
  const globals: Array<[PlatformName, unknown]> = [
    ['qq', typeof qq !== 'undefined' && qq],
    ['tt', typeof tt !== 'undefined' && tt],
    ['my', typeof my !== 'undefined' && my],
    ['swan', typeof swan !== 'undefined' && swan],
    ['ks', typeof ks !== 'undefined' && ks],
    ['wx', typeof wx !== 'undefined' && wx],
  ];
  for (const [n, g] of globals) {
    if (g && (!name || name === n)) return n === 'my' ? myPlatform(g as MyLike) : wxPlatform(g as WxLike);
  }
  throw new Error('miniauth: no ' + (name || 'mini program') + ' global: pass options.platform');
}

type Callbacks<T> = { success?(res: T): void; fail?(err: any): void };

/** The part of Alipay's `my` global the library uses. */
export interface MyLike {
  getAuthCode(option: { scopes: string } & Callbacks<{ authCode: string }>): void;
  request(option: { url: string; method: string; headers: any; data?: any; timeout?: number } & Callbacks<any>): unknown;
  uploadFile(
    option: { url: string; filePath: string; name: string; fileName: string; fileType: string; header: any } & Callbacks<any>,
  ): unknown;
  getStorageSync(option: { key: string }): { data?: any } | null | undefined;
  setStorageSync(option: { key: string; data: any }): void;
  removeStorageSync(option: { key: string }): void;
}

/** Adapts Alipay's `my` global. */
export function myPlatform(m: MyLike): Platform {
  // Alipay's failures say errorMessage; the library reads errMsg.
  const call = <T>(fn: (cb: Callbacks<any>) => void, done: (r: any) => T): Promise<T> =>
    new Promise<T>((resolve, reject) =>
      fn({
        // done may throw: a rejection, not an error in Alipay's callback.
        success: (r) => resolve(Promise.resolve(r).then(done)),
        fail: (e) => {
          const res = httpFailure(e);
          if (res) resolve(res as any);
          else reject({ errMsg: (e && (e.errorMessage || e.errMsg)) || 'fail ' + (e && e.error) });
        },
      }),
    );
  return {
    login: () =>
      call(
        (cb) => m.getAuthCode(Object.assign({ scopes: 'auth_base' }, cb)),
        (r) => {
          if (!r.authCode) throw { errMsg: 'getAuthCode: no authCode' };
          return r.authCode as string;
        },
      ),
    request: (req) =>
      call((cb) => {
        const o: Parameters<MyLike['request']>[0] = Object.assign(
          // my.request's own default, set because headers replaces it.
          { url: req.url, method: req.method, headers: Object.assign({ 'content-type': 'application/json' }, req.header) },
          cb,
        );
        if (req.data !== undefined) o.data = req.data;
        if (req.timeout !== undefined) o.timeout = req.timeout;
        m.request(o);
      }, answer),
    uploadFile: (req) =>
      call(
        (cb) =>
          m.uploadFile(
            // fileName is the form field in older clients, name in newer
            // ones; fileType is required (the library uploads avatars).
            Object.assign({ fileName: req.name, fileType: 'image' }, req, cb),
          ),
        answer,
      ),
    getStorage: (key) => {
      const r = m.getStorageSync({ key });
      return r && r.data != null ? r.data : '';
    },
    setStorage: (key, data) => m.setStorageSync({ key, data }),
    removeStorage: (key) => m.removeStorageSync({ key }),
  };
}
