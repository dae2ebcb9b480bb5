/**
 * Who may use the admin surface (`/__gateway/*`): the holder of the ADMIN_TOKEN secret, either
 * per request (`Authorization: Bearer <token>`, for scripts) or through a console session (a
 * login form exchanges the token for a cookie, for browsers).
 *
 * The session needs no server state: the cookie carries its expiry and an HMAC-SHA256 over it,
 * keyed by a key derived from ADMIN_TOKEN (HKDF, RFC 5869), so every isolate can verify it and
 * rotating the token ends every session. Forms that change something (rollback, logout) carry a
 * CSRF token, an HMAC over the session cookie under a second derived key; SameSite=Strict already
 * keeps the cookie off cross-site requests, the token covers browsers and proxies that do not.
 * Time is an argument (DESIGN.md §8), so expiry is testable without clocks.
 */

/** Short on purpose: a stolen cookie is useful for at most this long; logging in again is cheap. */
export const SESSION_LIFETIME_SECONDS = 30 * 60;

/**
 * Scoped to the admin prefix, never `/`: the gateway forwards the client's Cookie header to
 * origins, and a session cookie sent with every request to the site would reach them.
 */
export const SESSION_COOKIE_PATH = "/__gateway/";

/** `__Secure-` makes browsers refuse the cookie unless it was set over https with Secure. */
export function sessionCookieName(https: boolean): string {
  return https ? "__Secure-gateway-session" : "gateway-session";
}

const enc = new TextEncoder();

/** Length-independent, constant-time comparison: both sides are hashed to 32 bytes first. */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(given)), crypto.subtle.digest("SHA-256", enc.encode(expected))]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 §2.1), or null. */
export function bearerToken(authorization: string | null | undefined): string | null {
  const header = authorization ?? "";
  return /^bearer /i.test(header) ? header.slice(7).trim() : null;
}

/** `Authorization: Bearer <token>` against the ADMIN_TOKEN secret; no secret ⇒ never authorized. */
export async function bearerAuthorized(authorization: string | null | undefined, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  return tokensEqual(bearerToken(authorization) ?? "", adminToken);
}

interface Keys {
  session: CryptoKey;
  csrf: CryptoKey;
}

/** One derivation per token per isolate: HKDF is cheap, but the console renders many forms. */
let cached: { token: string; keys: Promise<Keys> } | null = null;

function keysFor(adminToken: string): Promise<Keys> {
  if (cached?.token === adminToken) return cached.keys;
  const derive = async (): Promise<Keys> => {
    const base = await crypto.subtle.importKey("raw", enc.encode(adminToken), "HKDF", false, ["deriveKey"]);
    const key = (info: string) =>
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: enc.encode("edge-gateway admin console"), info: enc.encode(info) },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    const [session, csrf] = await Promise.all([key("session v1"), key("csrf v1")]);
    return { session, csrf };
  };
  cached = { token: adminToken, keys: derive() };
  return cached.keys;
}

function b64url(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(new ArrayBuffer(bin.length));
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** A session value `v1.<expires, ms since epoch>.<HMAC>`, valid until `now + lifetime`. */
export async function issueSession(adminToken: string, nowMs: number, lifetimeSeconds = SESSION_LIFETIME_SECONDS): Promise<string> {
  const body = `v1.${nowMs + lifetimeSeconds * 1000}`;
  const { session } = await keysFor(adminToken);
  return `${body}.${b64url(await crypto.subtle.sign("HMAC", session, enc.encode(body)))}`;
}

/** A session value this token signed and that has not expired. `subtle.verify` compares in constant time. */
export async function sessionValid(value: string | undefined, adminToken: string | undefined, nowMs: number): Promise<boolean> {
  if (!value || !adminToken) return false;
  const m = /^(v1\.(\d{1,16}))\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const sig = fromB64url(m[3]!);
  if (!sig) return false;
  const { session } = await keysFor(adminToken);
  if (!(await crypto.subtle.verify("HMAC", session, sig, enc.encode(m[1]!)))) return false;
  return Number(m[2]) > nowMs;
}

/** The CSRF token of the forms rendered for one session (or for a Bearer request: `""`). */
export async function csrfToken(adminToken: string, sessionValue: string): Promise<string> {
  const { csrf } = await keysFor(adminToken);
  return b64url(await crypto.subtle.sign("HMAC", csrf, enc.encode(`csrf|${sessionValue}`)));
}

export async function csrfValid(given: string | undefined, adminToken: string, sessionValue: string): Promise<boolean> {
  const sig = given ? fromB64url(given) : null;
  if (!sig) return false;
  const { csrf } = await keysFor(adminToken);
  return crypto.subtle.verify("HMAC", csrf, sig, enc.encode(`csrf|${sessionValue}`));
}

/** Set-Cookie for a new session: HttpOnly, SameSite=Strict, Secure on https, the admin path only. */
export function sessionCookie(value: string, https: boolean, lifetimeSeconds = SESSION_LIFETIME_SECONDS): string {
  return [
    `${sessionCookieName(https)}=${value}`,
    `Max-Age=${lifetimeSeconds}`,
    `Path=${SESSION_COOKIE_PATH}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(https ? ["Secure"] : []),
  ].join("; ");
}

/** Set-Cookie that ends the session in this browser (a signed cookie cannot be revoked elsewhere: it expires). */
export function clearedSessionCookie(https: boolean): string {
  return [`${sessionCookieName(https)}=`, "Max-Age=0", `Path=${SESSION_COOKIE_PATH}`, "HttpOnly", "SameSite=Strict", ...(https ? ["Secure"] : [])].join("; ");
}

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4 pairs), or undefined. */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A state-changing browser request must come from our own pages: when the browser says where it
 * comes from (`Origin`, or `Sec-Fetch-Site`), it must be this origin. Absent headers pass (old
 * browsers, curl); the CSRF token still has to match.
 */
export function sameOrigin(headers: { get(name: string): string | null }, requestUrl: string): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return false;
  const origin = headers.get("origin");
  if (origin === null) return true;
  return origin === new URL(requestUrl).origin;
}
