import { describe, expect, it, vi } from "vitest";
import { RequestId, setForwardingHeaders, stripEnvoyControlHeaders } from "./proxy-headers.ts";

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

describe("RequestId: the request id, resolved once, when first needed", () => {
  it("keeps a client id that looks like one, else generates one (requestIdOf)", () => {
    expect(new RequestId(new Headers({ "x-request-id": "trace-abc-123" }), () => "gen").value).toBe("trace-abc-123");
    expect(new RequestId(new Headers({ "x-request-id": "has space" }), () => "gen").value).toBe("gen");
    expect(new RequestId(new Headers(), () => "gen").value).toBe("gen");
  });

  it("known(false): generates without looking the header up", () => {
    const headers = new Headers();
    const get = vi.spyOn(headers, "get");
    expect(new RequestId(headers, () => "gen").known(false)).toBe("gen");
    expect(get).not.toHaveBeenCalled();
  });

  it("known(true): the client's id when valid", () => {
    expect(new RequestId(new Headers({ "x-request-id": "abc" }), () => "gen").known(true)).toBe("abc");
    expect(new RequestId(new Headers({ "x-request-id": "" }), () => "gen").known(true)).toBe("gen");
  });

  it("is resolved once: every later read gives the same id", () => {
    let n = 0;
    const id = new RequestId(new Headers(), () => `gen-${++n}`);
    expect(id.known(false)).toBe("gen-1");
    expect(id.value).toBe("gen-1");
    expect(id.known(true)).toBe("gen-1");
    expect(n).toBe(1);
  });
});
