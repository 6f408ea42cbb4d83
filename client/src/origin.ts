/**
 * Splits an absolute http(s) URL into its origin, spelled as URL spells it
 * (scheme and host in lower case, no default port), and the rest (path,
 * query, fragment). Returns null for anything else, userinfo (`a@b`),
 * backslashes and other unusual authorities included: the caller trusts only
 * exact origins, so anything this does not understand is refused.
 * (Mini program runtimes do not all have URL.)
 */
export function splitOrigin(url: string): [string, string] | null {
  const m = /^(https?):\/\/([a-z\d.-]+|\[[a-f\d:.]+\])(?::(\d{1,5}))?(?=[/?#]|$)/i.exec(url);
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  const port = m[3] ? +m[3] : 0;
  if (port > 65535) return null;
  const defaultPort = scheme === 'https' ? 443 : 80;
  const origin = scheme + '://' + m[2].toLowerCase() + (m[3] && port !== defaultPort ? ':' + port : '');
  return [origin, url.slice(m[0].length)];
}

/**
 * A relative URL the library sends to baseURL: a path, starting with one
 * `/`. Anything else (`@host/x`, `//host/x`, `api/x`) would change what
 * appending it to baseURL means, e.g. make the base its userinfo.
 */
export function isPath(url: string): boolean {
  return /^\/(?![/\\])/.test(url);
}
