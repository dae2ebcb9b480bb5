/**
 * Request → RequestFacts: what the matcher and decide() read. Path normalization is in path.ts
 * (Istio BASE emulation; documented there). Host handling:
 * - `authority` is the Host header exactly as received (what `match.authority` compares);
 * - `host` is lower-cased with the port stripped, IPv6-bracket aware (`[::1]:8080` ⇒ `[::1]`),
 *   what selects the virtual host (Envoy `ignore_port_in_host_matching`);
 * - a Host whose port part is not a decimal number in 0..65535 is a 400.
 */
import type { HeaderReader, RequestFacts } from "../decision.ts";
import { normalizePath, type PathNormalization } from "./path.ts";

export type FactsResult = RequestFacts | { error: 400 | 405; reason: string };

/**
 * Methods refused before routing with 405: TRACE/TRACK echo the request (credentials included)
 * back to the caller (cross-site tracing) and fetch() cannot send them anyway; CONNECT asks for a
 * tunnel, which the gateway never opens (Envoy refuses CONNECT without an upgrade config). The
 * Worker has no `connect()` handler, and workerd answers TRACK 501 itself; this check covers
 * whatever does reach the Worker's fetch(). It lives in factsFromRequest only: the
 * pure decide() keeps its CONNECT semantics (no mirrors) for the CLI's explanations.
 */
export const REFUSED_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

export interface FactsParts {
  method: string;
  scheme: "http" | "https";
  /** Host header value (may carry a port). */
  authority: string;
  /** Path as received, without query (normalized here). */
  path: string;
  /** Query including its leading "?", or "". */
  query: string;
  headers: HeaderReader;
  clientIp?: string;
  /** Istio pathNormalization mode (path.ts); default BASE. */
  pathNormalization?: PathNormalization;
}

/**
 * RFC 3986 §3.2.2 host without percent-encoding: reg-name characters (unreserved + sub-delims)
 * or an IP-literal. Anything else — `/`, `?`, `#`, `@`, `\`, spaces, `%`, controls, non-ASCII —
 * is refused by the gateway itself (400) rather than left to whatever runs in front: under plain
 * workerd/Miniflare `Host: evil.test/x.w2.test` reached the `*.w2.test` virtual host. (`%` is
 * legal in a reg-name but no DNS name has one; refusing it keeps one spelling per host.)
 */
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=]+$/;
const IP_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;

/** Split a Host header into lower-cased host and port; null for an invalid authority. */
export function splitHost(authority: string): { host: string; port: number | null } | null {
  let host = authority;
  let portText: string | null = null;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close === -1) return null;
    host = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon !== -1) {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  if (host === "" || !(host.startsWith("[") ? IP_LITERAL.test(host) : REG_NAME.test(host))) return null;
  let port: number | null = null;
  // RFC 3986 §3.2.3 allows an empty port (`a.com:`): same as no port.
  if (portText !== null && portText !== "") {
    if (!/^\d{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port > 65535) return null;
  }
  return { host: host.toLowerCase(), port };
}

/** Facts from already separated parts (CLI, tests). */
export function factsFromParts(parts: FactsParts): FactsResult {
  const normalized = normalizePath(parts.path, parts.pathNormalization);
  if ("error" in normalized) return normalized;
  const hp = splitHost(parts.authority);
  if (!hp) return { error: 400, reason: `invalid Host header: ${JSON.stringify(parts.authority)}` };
  const facts: RequestFacts = {
    method: parts.method,
    scheme: parts.scheme,
    authority: parts.authority,
    host: hp.host,
    port: hp.port,
    path: normalized.path,
    query: parts.query,
    headers: parts.headers,
  };
  if (parts.clientIp !== undefined) facts.clientIp = parts.clientIp;
  return facts;
}

/**
 * Facts from a fetch Request (the Worker). The scheme is the URL's (Cloudflare terminates TLS,
 * so `https:` means the client used TLS). The client address comes from `opts.clientIp`, else
 * `cf-connecting-ip` (set by Cloudflare, not spoofable from the Internet).
 */
export function factsFromRequest(req: Request, opts?: { clientIp?: string; pathNormalization?: PathNormalization }): FactsResult {
  if (REFUSED_METHODS.has(req.method.toUpperCase())) return { error: 405, reason: `method ${req.method} is not allowed` };
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { error: 400, reason: "invalid URL" };
  }
  const scheme = url.protocol === "https:" ? "https" : url.protocol === "http:" ? "http" : null;
  if (!scheme) return { error: 400, reason: `unsupported scheme ${url.protocol}` };
  const clientIp = opts?.clientIp ?? req.headers.get("cf-connecting-ip") ?? undefined;
  const parts: FactsParts = {
    method: req.method,
    scheme,
    authority: req.headers.get("host") ?? url.host,
    // `url.pathname` of "http://a/p?" is "/p" and `url.search` is "" for a bare "?": harmless.
    path: url.pathname,
    query: url.search,
    headers: req.headers,
  };
  if (clientIp !== undefined) parts.clientIp = clientIp;
  if (opts?.pathNormalization !== undefined) parts.pathNormalization = opts.pathNormalization;
  return factsFromParts(parts);
}
