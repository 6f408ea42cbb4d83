import { MiniauthError } from './errors';

/**
 * The mini program's side of scan to log in on the web: the page that the
 * code opens reads the ticket from `options.scene` and calls these with the
 * user's session (logging in first when needed).
 */
export interface WebLogin {
  /** Tells the web page that the code was opened (it may show "scanned"). */
  scan(scene: string): Promise<void>;
  /** Logs the web page in as this user. */
  confirm(scene: string): Promise<void>;
  /** Refuses the web page's login. */
  deny(scene: string): Promise<void>;
}

/** Sends an authenticated POST to a path of the server. */
type AuthedPost = (path: string) => Promise<unknown>;

/**
 * webLogin builds the calls on the library's authenticated POST. The scene
 * may come still URL-encoded, as WeChat hands it to the page: it is decoded
 * once here (a ticket holds no `%`, so decoding twice changes nothing).
 */
export function webLogin(post: AuthedPost): WebLogin {
  const step = (what: string) => async (scene: string): Promise<void> => {
    let ticket = typeof scene === 'string' ? scene : '';
    try {
      ticket = decodeURIComponent(ticket);
    } catch (e) {
      // Not URL-encoded after all: sent as it is, the server judges it.
    }
    if (!ticket) throw new MiniauthError('invalid_request', 'miniauth: no scene (the ticket of the web page)', 0);
    await post('/api/v1/web-login/' + encodeURIComponent(ticket) + '/' + what);
  };
  return { scan: step('scan'), confirm: step('confirm'), deny: step('deny') };
}
