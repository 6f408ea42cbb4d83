import type { Platform, PlatformRequest } from './platform';

/** The part of Taro (`import Taro from '@tarojs/taro'`) the library uses. */
export interface TaroLike {
  login(): Promise<{ code: string }>;
  request(option: PlatformRequest & { method?: any }): Promise<{ statusCode: number; data: any; header: any }>;
  getStorageSync(key: string): any;
  setStorageSync(key: string, data: any): void;
  removeStorageSync(key: string): void;
}

/**
 * Adapts Taro, whose APIs return promises:
 * `createAuth({ baseURL, platform: taroPlatform(Taro) })`.
 */
export function taroPlatform(taro: TaroLike): Platform {
  return {
    login: () => taro.login().then((r) => r.code),
    request: (req) => {
      const o: PlatformRequest = { url: req.url, method: req.method, header: req.header };
      if (req.data !== undefined) o.data = req.data;
      if (req.timeout !== undefined) o.timeout = req.timeout;
      return taro.request(o).then((r) => ({ statusCode: r.statusCode, data: r.data, header: r.header }));
    },
    getStorage: (k) => taro.getStorageSync(k),
    setStorage: (k, v) => taro.setStorageSync(k, v),
    removeStorage: (k) => taro.removeStorageSync(k),
  };
}

export type { Platform } from './platform';
