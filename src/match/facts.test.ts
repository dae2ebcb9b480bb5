import { describe, expect, it } from "vitest";
import { factsFromParts, factsFromRequest, splitHost } from "./facts.ts";
import { headersFromObject } from "./headers.ts";

describe("splitHost", () => {
  it.each([
    ["A.Example.COM", { host: "a.example.com", port: null }],
    ["a.com:8080", { host: "a.com", port: 8080 }],
    ["a.com:", { host: "a.com", port: null }],
    ["[::1]:8443", { host: "[::1]", port: 8443 }],
    ["[2001:DB8::1]", { host: "[2001:db8::1]", port: null }],
  ])("%s", (authority, want) => {
    expect(splitHost(authority)).toEqual(want);
  });
  it.each(["", ":80", "a.com:abc", "a.com:99999", "[::1", "[::1]x"])("rejects %j", (authority) => {
    expect(splitHost(authority)).toBeNull();
  });
  // Issue #18 item 7: characters not allowed in an authority (RFC 3986 §3.2.2) are refused by
  // the gateway itself; `evil.test/x.w2.test` used to select the `*.w2.test` virtual host.
  it.each(["evil.test/x.w2.test", "a.com?x", "a.com#x", "a b.com", "user@a.com", "a\\b.com", "a%2fb.com", 'a".com', "a<b>.com", "a\tb.com", "é.com", "[::1%25eth0]", "[::g]", "a.com/"])(
    "rejects %j (not an authority)",
    (authority) => expect(splitHost(authority)).toBeNull(),
  );
  it.each(["a-b_c~d.example.com", "xn--bcher-kva.example", "127.0.0.1:8080", "a.com."])("accepts %j", (authority) => expect(splitHost(authority)).not.toBeNull());
});

describe("factsFromRequest", () => {
  it("takes scheme, Host as received, lower-cased host, port, normalized path and raw query", () => {
    const r = new Request("https://Shop.Example.com:8443/a/%7Euser/x?b=%2F&c", { method: "POST", headers: { "cf-connecting-ip": "203.0.113.9" } });
    const f = factsFromRequest(r);
    if ("error" in f) throw new Error(f.reason);
    expect([f.method, f.scheme, f.host, f.port, f.path, f.query, f.clientIp]).toEqual(["POST", "https", "shop.example.com", 8443, "/a/~user/x", "?b=%2F&c", "203.0.113.9"]);
    expect(f.authority.toLowerCase()).toBe("shop.example.com:8443");
  });
  it("prefers opts.clientIp over cf-connecting-ip", () => {
    const f = factsFromRequest(new Request("http://a.com/", { headers: { "cf-connecting-ip": "1.1.1.1" } }), { clientIp: "2.2.2.2" });
    expect("error" in f ? f : f.clientIp).toBe("2.2.2.2");
  });
  it("rejects %00 in the path with 400", () => {
    expect(factsFromRequest(new Request("http://a.com/a%00b"))).toMatchObject({ error: 400 });
  });
  it("WHATWG dot-segment resolution and our decode agree: %2e%2e cannot climb", () => {
    const f = factsFromRequest(new Request("http://a.com/a/%2e%2e/%2E%2E/b"));
    expect("error" in f ? f : f.path).toBe("/b");
  });
  it("keeps an encoded slash encoded", () => {
    const f = factsFromRequest(new Request("http://a.com/a%2Fadmin"));
    expect("error" in f ? f : f.path).toBe("/a%2Fadmin");
  });
  it("rejects dot-dot next to an encoded slash with 400 (an origin decoding %2F would climb)", () => {
    expect(factsFromRequest(new Request("http://a.com/a%2F..%2Fadmin"))).toMatchObject({ error: 400 });
  });
});

describe("factsFromParts", () => {
  it("rejects an invalid Host with 400", () => {
    const f = factsFromParts({ method: "GET", scheme: "http", authority: "a.com:x", path: "/", query: "", headers: headersFromObject({}) });
    expect(f).toMatchObject({ error: 400 });
  });
});

describe("headersFromObject", () => {
  it("is case-insensitive and joins repeated values like Headers.get", () => {
    const h = headersFromObject({ "X-A": ["1", "2"], "x-a": "3", Other: "" });
    expect([h.get("x-a"), h.get("X-A"), h.has("other"), h.get("other"), h.get("missing"), h.has("missing")]).toEqual(["1, 2, 3", "1, 2, 3", true, "", null, false]);
    const real = new Headers([["x-a", "1"], ["x-a", "2"]]);
    expect(real.get("x-a")).toBe(headersFromObject({ "x-a": ["1", "2"] }).get("x-a"));
  });
});
