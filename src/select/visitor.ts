/**
 * The visitor id of a sticky split (DESIGN.md §4): a random id in a first-party cookie.
 *
 * The gateway owns the cookie when the split was configured with a TTL (DestinationRule
 * `consistentHash.httpCookie.ttl`, or the VirtualService annotation): it mints the id once and
 * sets it. A cookie value we did not mint (wrong length, wrong characters) is treated as absent,
 * so a forged or corrupted value can neither pick a variant nor be reflected into Set-Cookie.
 *
 * When a DestinationRule names the cookie *without* `ttl`, Envoy never generates it
 * (ISTIO-SEMANTICS.md §1.3): the application owns it. We then hash whatever value the application
 * set (bounded RFC 6265 cookie-octets) and never set or overwrite it.
 */
import type { HeaderReader, RequestFacts } from "../decision.ts";
import type { StickySplit } from "../table/types.ts";

/** Canonical form of a gateway-minted id: 32 lower-case hex digits (128 random bits). */
const CANONICAL_RE = /^[0-9a-f]{32}$/;
/** Accepted on input: 16–64 hex digits (Envoy's generated cookie is 16), any case… */
const HEX_RE = /^[0-9a-fA-F]{16,64}$/;
/** …or an RFC 9562 UUID in its 8-4-4-4-12 text form (what crypto.randomUUID returns). */
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** RFC 6265 §4.1.1 cookie-octet, bounded: application-owned values we are willing to hash. */
const APP_VALUE_RE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{1,256}$/;

/**
 * Validate and canonicalise a gateway visitor id: hex (16–64 digits) or a UUID, returned as
 * lower-case hex without dashes, so `ABC…`, `abc…` and the dashed UUID are one visitor.
 * Anything else ⇒ undefined (treated as no cookie).
 */
export function normalizeVisitorId(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  if (HEX_RE.test(raw)) return raw.toLowerCase();
  if (UUID_RE.test(raw)) return raw.replaceAll("-", "").toLowerCase();
  return undefined;
}

/** A fresh id from a UUID/hex generator (Worker: crypto.randomUUID); throws on a broken generator. */
export function mintVisitorId(generate: () => string = () => crypto.randomUUID()): string {
  const id = normalizeVisitorId(generate());
  if (!id || !CANONICAL_RE.test(id)) throw new Error("visitor id generator must return a UUID or 32 hex digits");
  return id;
}

/**
 * All values of cookie `name` in a Cookie header, in order, with one pair of surrounding double
 * quotes stripped (as Envoy does for hash cookies). Pairs are split on `;` and also on `,`,
 * because `Headers.get` joins repeated Cookie headers (HTTP/2 splits them) with ", ", and
 * cookie-octets never contain a comma (RFC 6265 §4.1.1).
 */
export function cookieValues(cookieHeader: string | null | undefined, name: string): string[] {
  if (!cookieHeader) return [];
  const out: string[] = [];
  for (const pair of cookieHeader.split(/[;,]/)) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    let v = pair.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.push(v);
  }
  return out;
}

/**
 * The visitor id carried by the request for `sticky`, or undefined. Several cookies of one name
 * (e.g. set for different paths) ⇒ the first valid one, so a stale garbage copy cannot evict a
 * good id.
 */
export function visitorIdFromRequest(headers: HeaderReader, sticky: StickySplit): string | undefined {
  for (const v of cookieValues(headers.get("cookie"), sticky.cookie)) {
    if (sticky.appOwned) {
      if (APP_VALUE_RE.test(v)) return v;
    } else {
      const id = normalizeVisitorId(v);
      if (id) return id;
    }
  }
  return undefined;
}

/**
 * The Set-Cookie value that stores a minted id. `Max-Age` omitted for ttl 0 (session cookie, as
 * Envoy's makeSetCookieValue). `Secure` only on https requests: a browser drops a Secure cookie
 * set over plain http, and then a plain-http site (or local development) would mint a new
 * visitor on every request and never be sticky. The id is not a secret, only an assignment.
 * `SameSite=Lax` keeps the assignment on top-level navigations from other sites.
 */
export function visitorSetCookie(sticky: StickySplit, visitorId: string, secure: boolean): string {
  const parts = [`${sticky.cookie}=${visitorId}`];
  if (sticky.ttlSeconds > 0) parts.push(`Max-Age=${sticky.ttlSeconds}`);
  parts.push(`Path=${sticky.path}`);
  if (secure) parts.push("Secure");
  parts.push("HttpOnly", "SameSite=Lax");
  return parts.join("; ");
}

/**
 * `facts` as the rest of this request should see them once a visitor id was minted: the Cookie
 * header gains `name=id`. Used for the endpoint choice, so a DestinationRule
 * `consistentHash.httpCookie` of the same name hashes the new id (as it will on every later
 * request) instead of generating a second, different cookie (Envoy would, vector #43).
 */
export function withVisitorCookie(facts: RequestFacts, cookie: string, id: string): RequestFacts {
  const prior = facts.headers.get("cookie");
  // First, so a rejected (forged) value of the same name later in the header is not the one hashed.
  const value = prior ? `${cookie}=${id}; ${prior}` : `${cookie}=${id}`;
  const base = facts.headers;
  const headers: HeaderReader = {
    get: (name) => (name === "cookie" ? value : base.get(name)),
    has: (name) => name === "cookie" || base.has(name),
  };
  return { ...facts, headers };
}
