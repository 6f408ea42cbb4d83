import type { Platform } from './platform';
import type { AuthEvent, User } from './types';

/** A login state: the tokens and the user they belong to. */
export interface Session {
  access_token: string;
  refresh_token: string;
  /** Milliseconds since the epoch, by the device clock when received. */
  expires_at: number;
  user: User;
}

/**
 * The login state of one server, in memory and in storage. What is stored
 * is stamped with the server's base URL, so that the tokens of one server
 * are never sent to another (a build pointed at another server, or two
 * instances sharing a storage key).
 */
export interface State {
  session: Session | null;
  /** Until when (ms) a user_blocked answer is remembered; 0 for none. */
  blockedUntil: number;
  /**
   * Replaces the session, or remembers a block when blockedUntil is given
   * (the session is then gone), saves that, and tells the listeners.
   */
  set(session: Session | null, blockedUntil?: number): void;
  listen(listener: (event: AuthEvent) => void): () => void;
}

export function openState(p: Platform, key: string, server: string): State {
  let listeners: Array<(event: AuthEvent) => void> = [];
  const state: State = {
    session: null,
    blockedUntil: 0,
    set(next, blockedUntil) {
      const was = state.session && state.session.user;
      const user = next && next.user;
      state.session = next;
      state.blockedUntil = blockedUntil || 0;
      save(next ? Object.assign({ server }, next) : blockedUntil ? { server, blocked_until: blockedUntil } : null);
      const type = blockedUntil
        ? 'blocked'
        : !user
          ? was && 'logout'
          : !was
            ? 'login'
            : JSON.stringify(was) !== JSON.stringify(user) && 'user';
      if (type) emit({ type, user });
    },
    listen(listener) {
      listeners = listeners.concat(listener);
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
  };

  function save(value: object | null) {
    try {
      if (value) p.setStorage(key, value);
      else p.removeStorage(key);
    } catch (e) {
      // Storage full or unavailable: the state still holds in memory,
      // and the next launch starts from what storage has.
    }
  }

  function emit(event: AuthEvent) {
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        // A listener's bug must not fail the call that changed the state;
        // it still surfaces (App.onError, the console).
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  // What storage holds: ours (a session, or a remembered block), another
  // server's (ignored: neither sent nor deleted), nothing (''), or anything
  // else, damaged or unstamped (deleted).
  let stored: any;
  try {
    stored = p.getStorage(key);
  } catch (e) {
    stored = '';
  }
  const ours = !!stored && stored.server === server;
  const anothers = !!stored && stored.server !== undefined && !ours;
  if (ours && isSession(stored)) state.session = stored;
  else if (ours && typeof stored.blocked_until === 'number') state.blockedUntil = stored.blocked_until;
  else if (!anothers && stored !== '' && stored != null) save(null);
  return state;
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

export function isUser(u: any): u is User {
  return !!u && typeof u === 'object' && isText(u.id);
}

function isSession(s: any): s is Session {
  return isText(s.access_token) && isText(s.refresh_token) && typeof s.expires_at === 'number' && isUser(s.user);
}
