import { describe, expect, it } from "vitest";
import {
  bearerAuthorized,
  bearerToken,
  clearedSessionCookie,
  cookieValue,
  csrfToken,
  csrfValid,
  issueSession,
  sameOrigin,
  sessionCookie,
  sessionValid,
  tokensEqual,
} from "./auth.ts";

const T = "admin-token-for-unit-tests";
const NOW = Date.UTC(2026, 11, 3, 12);
const hdrs = (h: Record<string, string>) => new Headers(h);

describe("bearer tokens", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER   abc  ", "abc"],
    ["Basic abc", null],
    ["abc", null],
    ["", null],
  ])("reads %j as %j", (header, token) => expect(bearerToken(header)).toBe(token));

  it("authorizes only the exact token, and never without a configured one", async () => {
    expect(await bearerAuthorized(`Bearer ${T}`, T)).toBe(true);
    expect(await bearerAuthorized(`Bearer ${T}x`, T)).toBe(false);
    expect(await bearerAuthorized(`Bearer ${T.slice(1)}`, T)).toBe(false);
    expect(await bearerAuthorized("Bearer ", "")).toBe(false);
    expect(await bearerAuthorized(`Bearer ${T}`, undefined)).toBe(false);
  });

  it("compares tokens of any length", async () => {
    expect(await tokensEqual("a", "a")).toBe(true);
    expect(await tokensEqual("a", "a".repeat(1000))).toBe(false);
  });
});

describe("sessions", () => {
  it("a fresh session is valid until it expires, then not", async () => {
    const s = await issueSession(T, NOW, 60);
    expect(s).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(await sessionValid(s, T, NOW)).toBe(true);
    expect(await sessionValid(s, T, NOW + 59_999)).toBe(true);
    expect(await sessionValid(s, T, NOW + 60_000)).toBe(false);
  });

  it("is refused under another ADMIN_TOKEN (rotating the token ends every session)", async () => {
    const s = await issueSession(T, NOW);
    expect(await sessionValid(s, `${T}-rotated`, NOW)).toBe(false);
    expect(await sessionValid(s, undefined, NOW)).toBe(false);
  });

  it("is refused when its expiry or signature is edited", async () => {
    const s = await issueSession(T, NOW, 60);
    const [v, exp, sig] = s.split(".") as [string, string, string];
    expect(await sessionValid(`${v}.${Number(exp) + 3_600_000}.${sig}`, T, NOW)).toBe(false);
    const flipped = sig.slice(0, -2) + (sig.at(-2) === "A" ? "B" : "A") + sig.at(-1);
    expect(await sessionValid(`${v}.${exp}.${flipped}`, T, NOW)).toBe(false);
    for (const junk of ["", "v1", "v1.1.", `v2.${exp}.${sig}`, `v1.${exp}.${sig}=`, `v1.-1.${sig}`]) expect(await sessionValid(junk, T, NOW)).toBe(false);
  });

  it("cookies are HttpOnly, SameSite=Strict, on the admin path, Secure and __Secure- over https", () => {
    expect(sessionCookie("v", false, 1800)).toBe("gateway-session=v; Max-Age=1800; Path=/__gateway/; HttpOnly; SameSite=Strict");
    expect(sessionCookie("v", true, 1800)).toBe("__Secure-gateway-session=v; Max-Age=1800; Path=/__gateway/; HttpOnly; SameSite=Strict; Secure");
    expect(clearedSessionCookie(true)).toBe("__Secure-gateway-session=; Max-Age=0; Path=/__gateway/; HttpOnly; SameSite=Strict; Secure");
  });

  it("finds a cookie among others", () => {
    expect(cookieValue("a=1; gateway-session=v1.2.x; b=3", "gateway-session")).toBe("v1.2.x");
    expect(cookieValue("xgateway-session=1", "gateway-session")).toBeUndefined();
    expect(cookieValue(undefined, "gateway-session")).toBeUndefined();
  });
});

describe("CSRF", () => {
  it("a form token fits its own session only", async () => {
    const s1 = await issueSession(T, NOW);
    const s2 = await issueSession(T, NOW + 1);
    const t1 = await csrfToken(T, s1);
    expect(await csrfValid(t1, T, s1)).toBe(true);
    expect(await csrfValid(t1, T, s2)).toBe(false);
    expect(await csrfValid(t1, `${T}x`, s1)).toBe(false);
    expect(await csrfValid(undefined, T, s1)).toBe(false);
    expect(await csrfValid("not base64!", T, s1)).toBe(false);
  });

  it("the CSRF token is not the session's own signature", async () => {
    const s = await issueSession(T, NOW);
    expect(s.endsWith(await csrfToken(T, s))).toBe(false);
  });

  it.each([
    [{}, true],
    [{ origin: "https://gw.example" }, true],
    [{ origin: "https://evil.example" }, false],
    [{ origin: "null" }, false],
    [{ "sec-fetch-site": "same-origin" }, true],
    [{ "sec-fetch-site": "none" }, true],
    [{ "sec-fetch-site": "same-site" }, false],
    [{ "sec-fetch-site": "cross-site", origin: "https://gw.example" }, false],
  ])("same origin of %j: %s", (h, ok) => expect(sameOrigin(hdrs(h), "https://gw.example/__gateway/ui/logout")).toBe(ok));
});
