import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { factsFromParts, factsFromRequest, splitHost, splitPlainUrl } from "./facts.ts";
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

describe("splitPlainUrl (the URL fast path of factsFromRequest)", () => {
  // Mostly plain pieces, with every character the parser treats specially mixed in.
  const plain = ["a", "B", "z9", "0", "-", "_", "~", "!", "$", "&", "(", ")", "*", "+", ",", ";", "=", ":", "@", "/", "%41", ".js", "x.y"];
  const tricky = ["/.", "/..", "/%2e", "/%2E%2e", "%", "%zz", "%2F", "?", "#", "\\", " ", "\t", "'", '"', "<", ">", "`", "{", "|", "^", "[", "]", "é", "\u0000", "//"];
  const text = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...plain) }, { weight: 1, arbitrary: fc.constantFrom(...tricky) }), { maxLength: 10 }).map((a) => a.join(""));
  const host = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("a.com", "a.com", "127.0.0.1", "a.com", "Shop.Example.COM", "127.0.0.1", "10.0.0.255", "1.2.3.256", "01.2.3.4", "xn--bcher-kva.example", "XN--x.com", "0x7f", "7f.0x1", "a..b", "a_b.c", "a.com.", "1.2.3.4.", "[::1]", "u@a.com", "a b", "") },
    { weight: 1, arbitrary: text },
  );
  const port = fc.constantFrom("", "", ":", ":80", ":8080", ":65535", ":65536", ":x", ":099");
  const url = fc
    .tuple(fc.constantFrom("http://", "https://", "http://", "https://", "HTTP://", "ftp://", "http:/"), host, port, fc.constantFrom("/", "/", "/", "/", "", "?", "#"), text, fc.constantFrom("", "?", "?a=1&b", "?x='", "#f"), text)
    .map((p) => p.join(""));

  it("agrees with new URL() on every URL it accepts (protocol, pathname, search)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(url, (u) => {
        const fast = splitPlainUrl(u);
        if (fast === null) return;
        accepted++;
        const parsed = new URL(u);
        expect([fast.scheme + ":", fast.path, fast.query]).toEqual([parsed.protocol, parsed.pathname, parsed.search]);
      }),
      { numRuns: 40_000 },
    );
    // Not vacuous: a good share of the generated URLs take the fast path.
    expect(accepted).toBeGreaterThan(400);
  });
  it.each([
    ["http://shop.example.com/a/b?x=1&y", { scheme: "http", path: "/a/b", query: "?x=1&y" }],
    ["https://127.0.0.1:8443/p?", { scheme: "https", path: "/p", query: "" }],
  ])("takes the plain URL %s as written", (u, want) => expect(splitPlainUrl(u)).toEqual(want));
  it.each(["http://a.com/a/../b", "http://a.com/.well-known/x", "http://a.com/%2e%2e/x", "http://a.com/a b", "http://a.com/x#f", "http://1.2.3.256/", "http://xn--a.com/", "http://a.com:99999/", "http://u@a.com/", "http://a.com", "http://a.com/?q='"])(
    "leaves %s to new URL()",
    (u) => expect(splitPlainUrl(u)).toBeNull(),
  );
  it("gives factsFromRequest the same facts as the URL parser on a plain URL", () => {
    const r = new Request("https://a.example.com/x/y?z=1", { headers: { host: "a.example.com" } });
    const f = factsFromRequest(r);
    if ("error" in f) throw new Error(f.reason);
    expect([f.scheme, f.path, f.query, f.authority]).toEqual(["https", "/x/y", "?z=1", "a.example.com"]);
  });
});
