import type { PlatformResponse } from './platform';

/**
 * answer normalises a platform's HTTP answer: Alipay says status and
 * headers (as a number or a string), and uploadFile hands over the body as
 * text, which is parsed when it is JSON.
 */
export function answer(r: any): PlatformResponse {
  let data = r.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch (e) {
      // not JSON: the text itself
    }
  }
  return { statusCode: +(r.statusCode || r.status), data, header: r.header || r.headers || {} };
}

/**
 * httpFailure is the answer inside a failure: Alipay's my.request calls
 * fail for a 4xx or 5xx (error 19, with the status and body), which for the
 * library is an answer like any other. Null for no answer at all.
 */
export function httpFailure(e: any): PlatformResponse | null {
  return e && e.error === 19 && (e.status || e.statusCode) ? answer(e) : null;
}
