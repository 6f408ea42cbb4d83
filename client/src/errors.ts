/**
 * A failed call: the server answered with an error status, or (for
 * NetworkError) did not answer at all. `code` is the contract's error code
 * (`invalid_code`, `unauthorized`, `rate_limited`, ...), or `http_error` when
 * the answer was not in the contract's shape (a proxy's HTML page, say).
 */
export class MiniauthError extends Error {
  /** The contract's error code. */
  readonly code: string;
  /** The HTTP status; 0 when there was no answer. */
  readonly status: number;
  /** The server's request id, to quote in a bug report. */
  readonly requestId?: string;

  constructor(code: string, message: string, status: number, requestId?: string) {
    super(message);
    this.name = 'MiniauthError';
    this.code = code;
    this.status = status;
    if (requestId) this.requestId = requestId;
  }
}

/**
 * No answer from the server (wx.request's `fail`: offline, DNS, timeout,
 * domain not allowed) or wx.login failed. Never retried by the library:
 * retrying blindly while offline only drains the battery.
 */
export class NetworkError extends MiniauthError {
  declare readonly code: 'network_error';

  constructor(message: string) {
    super('network_error', message, 0);
    this.name = 'NetworkError';
  }
}
