import { describe, expect, it } from "vitest";
import { setForwardingHeaders, stripEnvoyControlHeaders } from "./proxy-headers.ts";

const facts = { clientIp: "203.0.113.9", scheme: "https" as const, originalAuthority: "shop.example.com", requestId: "r1" };

describe("what the origin may trust of the forwarding headers (SECURITY.md, what the edge is trusted for)", () => {
  it("x-forwarded-for: the client's entries are kept and the client address is appended last", () => {
    const h = new Headers({ "x-forwarded-for": "10.0.0.1, 198.51.100.1" });
    setForwardingHeaders(h, facts);
    expect(h.get("x-forwarded-for")).toBe("10.0.0.1, 198.51.100.1, 203.0.113.9");
  });

  it("x-forwarded-for: not appended twice when Cloudflare already appended the same address last", () => {
    const h = new Headers({ "x-forwarded-for": "198.51.100.1, 203.0.113.9" });
    setForwardingHeaders(h, facts);
    expect(h.get("x-forwarded-for")).toBe("198.51.100.1, 203.0.113.9");
  });

  it("x-forwarded-proto and x-forwarded-host are overwritten, whatever the client sent", () => {
    const h = new Headers({ "x-forwarded-proto": "http", "x-forwarded-host": "evil.test" });
    setForwardingHeaders(h, { ...facts, originalAuthority: "Shop.Example.com:443" });
    expect([h.get("x-forwarded-proto"), h.get("x-forwarded-host")]).toEqual(["https", "Shop.Example.com:443"]);
  });

  it("every x-envoy-* header from the client is dropped", () => {
    const h = new Headers({ "x-envoy-max-retries": "10", "X-Envoy-Upstream-Rq-Timeout-Ms": "1", "x-envoyish": "kept" });
    stripEnvoyControlHeaders(h);
    expect([...h.keys()]).toEqual(["x-envoyish"]);
  });
});
