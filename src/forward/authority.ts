/**
 * Which Host an origin sees (DESIGN.md §6).
 *
 * Envoy forwards the client's Host unless `rewrite.authority` changes it. A Worker cannot do that:
 * `fetch()` always sends the URL's host as `Host`. The rule we implement:
 *
 * 1. Default (no `rewrite.authority`, no destination-level `host` header op): the origin sees its
 *    own endpoint host (`Host: api.internal.example:8443` — exactly the ServiceEntry endpoint), and
 *    the client's Host in `x-forwarded-host` (always set, see proxy-headers.ts). Sending the
 *    client's Host to a third-party origin would fail its virtual hosting and TLS (SNI).
 * 2. `rewrite.authority: B` with an endpoint that is a DNS name E ≠ B: fetch `scheme://B:port/path`
 *    with `cf.resolveOverride = E`, so the connection goes to E and the origin sees `Host: B`.
 *    Cloudflare honours resolveOverride only when E is proxied in the same zone as the request
 *    (a CNAME in the zone works); otherwise it is ignored and B's own DNS is used.
 * 3. `rewrite.authority` with an IP endpoint (local development; Cloudflare refuses IPs in fetch
 *    URLs and in resolveOverride anyway) or with B equal to the endpoint host: the URL is left
 *    alone and the origin sees the endpoint host.
 *
 * Local runs (wrangler dev / Miniflare) ignore resolveOverride: with rule 2 a local fetch goes to
 * B's DNS. Local configs use IP endpoints, which fall under rule 3.
 */

export interface UpstreamAddress {
  /** URL passed to fetch(). */
  url: string;
  /** `cf.resolveOverride` (rule 2), else undefined. */
  resolveOverride?: string;
  /** The Host header the origin will see (for logs and tests). */
  host: string;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function isIpLiteral(hostname: string): boolean {
  return IPV4.test(hostname) || hostname.startsWith("[") || hostname.includes(":");
}

/** Strips a `:port` (and IPv6 brackets stay) from an authority. */
export function hostnameOf(authority: string): string {
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    return end < 0 ? authority : authority.slice(0, end + 1);
  }
  const colon = authority.lastIndexOf(":");
  return (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
}

/**
 * @param targetUrl       endpoint URL + upstream path + query (UpstreamTarget.url)
 * @param rewriteAuthority the authority configured by `rewrite.authority` / a destination `host`
 *                        header op, or undefined when none applies
 */
export function upstreamAddress(targetUrl: string, rewriteAuthority: string | undefined): UpstreamAddress {
  if (rewriteAuthority === undefined) {
    const host = cachedHost(targetUrl);
    if (host !== undefined) return { url: targetUrl, host };
  }
  const url = new URL(targetUrl);
  if (rewriteAuthority === undefined) return { url: targetUrl, host: rememberHost(targetUrl, url.host) };
  const wanted = hostnameOf(rewriteAuthority);
  const endpointHost = url.hostname.toLowerCase();
  if (wanted === "" || wanted === endpointHost || isIpLiteral(endpointHost) || isIpLiteral(wanted)) {
    return { url: targetUrl, host: url.host };
  }
  url.hostname = wanted;
  return { url: url.toString(), resolveOverride: endpointHost, host: url.host };
}

/**
 * `new URL(target).host` by the target's `scheme://authority` prefix: a forwarded request's URL
 * is its endpoint's URL plus a path, so the host is the same for every request to an endpoint,
 * and parsing the whole URL per request only to read it back costs a runtime call. A prefix is
 * cached only when its authority holds none of the characters that could end it early or hide
 * userinfo (`? # @ \ %`, whitespace), so the first `/` after `://` really ends the authority and
 * every URL sharing the prefix has the same host. Bounded: endpoints are few per table.
 */
const hostByOrigin = new Map<string, string>();
const HOST_CACHE_MAX = 1024;
const UNSAFE_AUTHORITY = /[?#@\\%\s]/;

function originOf(targetUrl: string): string | undefined {
  const sep = targetUrl.indexOf("://");
  if (sep < 0) return undefined;
  const slash = targetUrl.indexOf("/", sep + 3);
  if (slash < 0) return undefined;
  return UNSAFE_AUTHORITY.test(targetUrl.slice(sep + 3, slash)) ? undefined : targetUrl.slice(0, slash);
}

function cachedHost(targetUrl: string): string | undefined {
  const origin = originOf(targetUrl);
  return origin === undefined ? undefined : hostByOrigin.get(origin);
}

function rememberHost(targetUrl: string, host: string): string {
  const origin = originOf(targetUrl);
  if (origin !== undefined) {
    if (hostByOrigin.size >= HOST_CACHE_MAX) hostByOrigin.clear();
    hostByOrigin.set(origin, host);
  }
  return host;
}
