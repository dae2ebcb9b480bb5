/**
 * Location of an HTTPRedirect (ISTIO-SEMANTICS §1.2 HTTPRedirect, §2.10; Istio ApplyRedirect +
 * Envoy RedirectConfig newUri / processRequestHost) and of Gateway `tls.httpsRedirect`.
 *
 * Location = scheme "://" host [":" port] path, where
 * - scheme: `redirect.scheme`, else the request scheme;
 * - port: `port`, or for `derivePort: FROM_REQUEST_PORT` the gateway SERVER (listener) port of the
 *   vhost — Envoy cannot see the client's port, Istio substitutes the listener port. Istio
 *   translates FROM_PROTOCOL_DEFAULT to "no port redirect". An explicit port equal to the
 *   scheme's default (http 80, https 443) is elided;
 * - host: `authority` verbatim (the request's port is dropped); otherwise the request Host, whose
 *   port is stripped when a port redirect is set, or when the scheme changes and the Host port
 *   was the OLD scheme's default (`http://a.com:80` → `https://a.com`); otherwise kept verbatim;
 * - path: `uri` replaces the path and keeps the request query unless `uri` has its own `?`;
 *   `prefixRewrite` replaces the matched prefix (rewrite.ts arithmetic, query kept);
 *   otherwise the request path + query. Istio never sets strip_query.
 */
import type { RouteAction, RouteMatch } from "../table/types.ts";
import type { RequestFacts } from "../decision.ts";
import { replacePrefixMatch, rewriteMatchedPrefix } from "./rewrite.ts";

type RedirectAction = Extract<RouteAction, { kind: "redirect" }>;

const DEFAULT_PORT: Record<"http" | "https", number> = { http: 80, https: 443 };

/** Host header without its port (IPv6-bracket aware), case preserved. */
function stripPort(authority: string): string {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return close === -1 ? authority : authority.slice(0, close + 1);
  }
  const colon = authority.lastIndexOf(":");
  return colon === -1 ? authority : authority.slice(0, colon);
}

export function redirectLocation(
  r: RedirectAction,
  match: RouteMatch | null,
  facts: RequestFacts,
  listenerPort: number,
): string {
  const scheme = r.scheme ?? facts.scheme;
  let port: number | null = null;
  if (r.port !== undefined) port = r.port;
  else if (r.derivePort === "FROM_REQUEST_PORT") port = listenerPort;

  let host: string;
  if (r.authority !== undefined && r.authority !== "") host = r.authority;
  else if (port !== null) host = stripPort(facts.authority);
  else if (scheme !== facts.scheme && facts.port === DEFAULT_PORT[facts.scheme]) host = stripPort(facts.authority);
  else host = facts.authority;

  const portPart = port !== null && port !== DEFAULT_PORT[scheme] ? `:${port}` : "";

  let pathAndQuery: string;
  if (r.replacePrefixMatch) pathAndQuery = replacePrefixMatch(facts.path, r.replacePrefixMatch.prefix, r.replacePrefixMatch.replacement) + facts.query;
  else if (r.uri !== undefined && r.uri !== "") pathAndQuery = r.uri.includes("?") ? r.uri : r.uri + facts.query;
  else if (r.prefixRewrite !== undefined && r.prefixRewrite !== "") {
    pathAndQuery = rewriteMatchedPrefix(match, facts.path, facts.query, r.prefixRewrite);
  } else pathAndQuery = facts.path + facts.query;

  return `${scheme}://${host}${portPart}${pathAndQuery}`;
}

/** Gateway `tls.httpsRedirect`: https + the Host exactly as received (port included) + path. */
export function httpsRedirectLocation(facts: RequestFacts): string {
  return `https://${facts.authority}${facts.path}${facts.query}`;
}
