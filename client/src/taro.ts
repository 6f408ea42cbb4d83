import { answer, httpFailure } from './answer';
import type { Platform, PlatformRequest, PlatformResponse } from './platform';

/** The part of Taro (`import Taro from '@tarojs/taro'`) the library uses. */
export interface TaroLike {
  login(): Promise<{ code: string }>;
  request(option: PlatformRequest & { method?: any }): Promise<{ statusCode: number; data: any; header: any }>;
  uploadFile(option: { url: string; filePath: string; name: string; header: any; fileType?: string }): Promise<any>;
  getStorageSync(key: string): any;
  setStorageSync(key: string, data: any): void;
  removeStorageSync(key: string): void;
}

// Taro on Alipay rejects a 4xx or 5xx (my.request's error 19): that is an
// answer too.
function answered(e: unknown): PlatformResponse {
  const res = httpFailure(e);
  if (res) return res;
  throw e;
}

/**
 * Adapts Taro, whose APIs return promises and which picks the platform it
 * was built for (WeChat, QQ, Douyin, Alipay, Baidu, Kuaishou):
 * `createAuth({ baseURL, platform: taroPlatform(Taro) })`.
 */
export function taroPlatform(taro: TaroLike): Platform {
  return {
    login: () => taro.login().then((r) => r.code),
    request: (req) => {
      const o: PlatformRequest = { url: req.url, method: req.method, header: req.header };
      if (req.data !== undefined) o.data = req.data;
      if (req.timeout !== undefined) o.timeout = req.timeout;
      return taro.request(o).then((r) => ({ statusCode: r.statusCode, data: r.data, header: r.header }), answered);
    },
    // fileType: Alipay requires it (Taro passes it on); others ignore it.
    uploadFile: (req) => taro.uploadFile(Object.assign({ fileType: 'image' }, req)).then(answer, answered),
    getStorage: (k) => taro.getStorageSync(k),
    setStorage: (k, v) => taro.setStorageSync(k, v),
    removeStorage: (k) => taro.removeStorageSync(k),
  };
}

export type { Platform } from './platform';
