import { describe, expect, it } from "vitest";
import type { StickySplit } from "../table/types.ts";
import type { HeaderReader } from "../decision.ts";
import { cookieValues, mintVisitorId, normalizeVisitorId, visitorIdFromRequest, visitorSetCookie } from "./visitor.ts";

const ID = "0123456789abcdef0123456789abcdef";
const sticky: StickySplit = { cookie: "ab_visitor", ttlSeconds: 2592000, path: "/", splitId: "web/www/home-ab" };

function headers(cookie?: string): HeaderReader {
  return { get: (n) => (n === "cookie" ? (cookie ?? null) : null), has: (n) => n === "cookie" && cookie !== undefined };
}

describe("normalizeVisitorId", () => {
  const cases: Array<[string, string | null | undefined, string | undefined]> = [
    ["accepts a canonical 32-hex id unchanged", ID, ID],
    ["lower-cases an upper-case hex id so it stays the same visitor", ID.toUpperCase(), ID],
    ["accepts Envoy's 16-hex generated cookie", "00ff00ff00ff00ff", "00ff00ff00ff00ff"],
    ["strips the dashes of a UUID", "01234567-89ab-cdef-0123-456789abcdef", ID],
    ["rejects a too short hex value", "abcdef", undefined],
    ["rejects a too long hex value", "a".repeat(65), undefined],
    ["rejects non-hex characters", "0123456789abcdef0123456789abcdeg", undefined],
    ["rejects a value with a cookie attribute smuggled in", `${ID}; Path=/`, undefined],
    ["rejects a UUID with misplaced dashes", "0123456789-ab-cdef-0123-456789abcdef", undefined],
    ["treats empty as absent", "", undefined],
    ["treats null as absent", null, undefined],
  ];
  it.each(cases)("%s", (_name, raw, expected) => {
    expect(normalizeVisitorId(raw)).toBe(expected);
  });
});

describe("mintVisitorId", () => {
  it("returns 32 lower-case hex digits from crypto.randomUUID by default", () => {
    expect(mintVisitorId()).toMatch(/^[0-9a-f]{32}$/);
  });
  it("returns distinct ids on successive calls", () => {
    expect(new Set(Array.from({ length: 100 }, () => mintVisitorId())).size).toBe(100);
  });
  it("canonicalises an injected UUID generator", () => {
    expect(mintVisitorId(() => "01234567-89AB-CDEF-0123-456789ABCDEF")).toBe(ID);
  });
  it("refuses a generator that returns something that is not an id", () => {
    expect(() => mintVisitorId(() => "visitor-1")).toThrow(/UUID/);
  });
});

describe("cookieValues", () => {
  const cases: Array<[string, string | null, string[]]> = [
    ["finds a cookie among others", `a=1; ab_visitor=${ID}; b=2`, [ID]],
    ["strips one pair of surrounding double quotes, as Envoy", `ab_visitor="${ID}"`, [ID]],
    ["returns every value of a repeated cookie in order", "ab_visitor=x; ab_visitor=y", ["x", "y"]],
    ["splits repeated Cookie headers joined by Headers.get with ', '", `a=1, ab_visitor=${ID}`, [ID]],
    ["does not match a cookie whose name only ends with the name", "xab_visitor=1", []],
    ["ignores pairs without '='", "ab_visitor; c=1", []],
    ["returns nothing without a Cookie header", null, []],
  ];
  it.each(cases)("%s", (_name, header, expected) => {
    expect(cookieValues(header, "ab_visitor")).toEqual(expected);
  });
});

describe("visitorIdFromRequest", () => {
  it("reads and canonicalises the gateway cookie", () => {
    expect(visitorIdFromRequest(headers(`ab_visitor=${ID.toUpperCase()}`), sticky)).toBe(ID);
  });
  it("treats a forged, non-hex gateway cookie as absent", () => {
    expect(visitorIdFromRequest(headers("ab_visitor=alice"), sticky)).toBeUndefined();
  });
  it("skips a garbage copy and uses the first valid one", () => {
    expect(visitorIdFromRequest(headers(`ab_visitor=garbage; ab_visitor=${ID}`), sticky)).toBe(ID);
  });
  it("hashes any cookie-octet value of an application-owned cookie", () => {
    expect(visitorIdFromRequest(headers("JSESSIONID=Ab.12-xyz"), { ...sticky, cookie: "JSESSIONID", appOwned: true })).toBe("Ab.12-xyz");
  });
  it("rejects an application-owned value with characters outside RFC 6265 cookie-octet", () => {
    expect(visitorIdFromRequest(headers('sid=a\\b'), { ...sticky, cookie: "sid", appOwned: true })).toBeUndefined();
  });
  it("returns undefined when the cookie is missing", () => {
    expect(visitorIdFromRequest(headers("other=1"), sticky)).toBeUndefined();
  });
});

describe("visitorSetCookie", () => {
  const cases: Array<[string, StickySplit, boolean, string]> = [
    ["sets a persistent, Secure cookie on https", sticky, true, `ab_visitor=${ID}; Max-Age=2592000; Path=/; Secure; HttpOnly; SameSite=Lax`],
    ["omits Max-Age for ttl 0 (session cookie)", { ...sticky, ttlSeconds: 0 }, true, `ab_visitor=${ID}; Path=/; Secure; HttpOnly; SameSite=Lax`],
    ["omits Secure on plain http so the browser keeps it", sticky, false, `ab_visitor=${ID}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax`],
    ["uses the configured path", { ...sticky, path: "/shop" }, true, `ab_visitor=${ID}; Max-Age=2592000; Path=/shop; Secure; HttpOnly; SameSite=Lax`],
  ];
  it.each(cases)("%s", (_name, s, secure, expected) => {
    expect(visitorSetCookie(s, ID, secure)).toBe(expected);
  });
});
