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
 * Path characters a WHATWG URL parser (http/https) keeps exactly as written: unreserved,
 * sub-delims, `:`, `@`, `/` and `%`. Everything else (controls, space, `"`, `<`, `>`, `` ` ``,
 * `{`, `}`, `\`, non-ASCII…) may be percent-encoded or rewritten by the parser.
 */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/%]*$/;
/** The same for the query, without `'` (the special-query percent-encode set has it). */
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
/** A segment the parser would resolve: `.` or `..`, literally or as `%2e` (WHATWG §4.4 single/double-dot). */
const DOT_SEGMENT_START = /\/(?:\.|%2e)/i;

const DOMAIN_LABELS = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/;
const DOTTED_DECIMAL = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * An authority the WHATWG parser accepts as is (no userinfo, no IPv6, no IDNA work): ASCII
 * labels, none starting with `xn--` (punycode is validated by the parser); a host whose last
 * label is a number is an IPv4 address there, so it must be plain dotted decimal; port digits
 * up to 65535 or empty. Anything else goes to `new URL`, which may refuse it.
 */
function plainAuthority(authority: string): boolean {
  const colon = authority.indexOf(":");
  const host = colon < 0 ? authority : authority.slice(0, colon);
  if (colon >= 0) {
    const port = authority.slice(colon + 1);
    if (!/^\d{0,5}$/.test(port) || (port !== "" && Number(port) > 65535)) return false;
  }
  if (!DOMAIN_LABELS.test(host)) return false;
  const labels = host.split(".");
  if (labels.some((l) => l.slice(0, 4).toLowerCase() === "xn--")) return false;
  const last = labels[labels.length - 1] === "" ? labels[labels.length - 2]! : labels[labels.length - 1]!;
  if (/^(?:\d+|0[xX][0-9A-Fa-f]*)$/.test(last)) return DOTTED_DECIMAL.test(host);
  return true;
}

/**
 * Scheme, path and query of an absolute http(s) URL string, exactly as `new URL(url)` reports
 * them (`protocol`, `pathname`, `search`), without building a URL object (a runtime call and
 * four string conversions per request in workerd). Only for URLs the parser would leave as
 * written: lower-case scheme, a path made of PLAIN_PATH characters with no segment starting with
 * `.` or `%2e`, a query of PLAIN_QUERY characters, no fragment. Anything else returns null and
 * the caller parses with `new URL` (match/facts.test.ts checks both agree on random URLs).
 */
export function splitPlainUrl(url: string): { scheme: "http" | "https"; path: string; query: string } | null {
  const scheme = url.startsWith("https://") ? "https" : url.startsWith("http://") ? "http" : null;
  if (scheme === null) return null;
  const slash = url.indexOf("/", scheme.length + 3);
  if (slash < 0) return null;
  // The authority must not hide a path, query, fragment or userinfo delimiter the parser would see first.
  if (!plainAuthority(url.slice(scheme.length + 3, slash))) return null;
  if (url.includes("#", slash)) return null;
  const q = url.indexOf("?", slash);
  const path = q < 0 ? url.slice(slash) : url.slice(slash, q);
  const query = q < 0 ? "" : url.slice(q);
  if (!PLAIN_PATH.test(path) || DOT_SEGMENT_START.test(path) || !PLAIN_QUERY.test(query)) return null;
  // `search` of a bare "?" is "".
  return { scheme, path, query: query === "?" ? "" : query };
}

/**
 * Facts from a fetch Request (the Worker). The scheme is the URL's (Cloudflare terminates TLS,
 * so `https:` means the client used TLS). The client address comes from `opts.clientIp`, else
 * `cf-connecting-ip` (set by Cloudflare, not spoofable from the Internet). `opts.url`,
 * `opts.method` and `opts.headers` are `req.url` / `req.method` / `req.headers` when the caller
 * already read them (each getter on a workerd Request is a call into the runtime; `url` and
 * `method` make a new string each time).
 */
export function factsFromRequest(
  req: Request,
  opts?: { clientIp?: string; pathNormalization?: PathNormalization; url?: string; method?: string; headers?: Headers },
): FactsResult {
  const method = opts?.method ?? req.method;
  if (REFUSED_METHODS.has(method.toUpperCase())) return { error: 405, reason: `method ${method} is not allowed` };
  const href = opts?.url ?? req.url;
  const headers = opts?.headers ?? req.headers;
  const hostHeader = headers.get("host");
  let scheme: "http" | "https";
  let path: string;
  let query: string;
  let authority: string;
  const plain = hostHeader !== null ? splitPlainUrl(href) : null;
  if (plain !== null) {
    ({ scheme, path, query } = plain);
    authority = hostHeader!;
  } else {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return { error: 400, reason: "invalid URL" };
    }
    const s = url.protocol === "https:" ? "https" : url.protocol === "http:" ? "http" : null;
    if (!s) return { error: 400, reason: `unsupported scheme ${url.protocol}` };
    scheme = s;
    // `url.pathname` of "http://a/p?" is "/p" and `url.search` is "" for a bare "?": harmless.
    path = url.pathname;
    query = url.search;
    authority = hostHeader ?? url.host;
  }
  const clientIp = opts?.clientIp ?? headers.get("cf-connecting-ip") ?? undefined;
  const parts: FactsParts = { method, scheme, authority, path, query, headers };
  if (clientIp !== undefined) parts.clientIp = clientIp;
  if (opts?.pathNormalization !== undefined) parts.pathNormalization = opts.pathNormalization;
  return factsFromParts(parts);
}
