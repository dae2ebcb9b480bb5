import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectionListed, HOP_BY_HOP_NAMES, isWebSocketUpgrade, RUNTIME_DROPPED_RESPONSE, stripHopByHop, stripResponseHopByHop } from "./hop-by-hop.ts";

/** The definition: every name Connection lists, then every hop-by-hop name, deleted blindly. */
function blindStrip(headers: Headers, keepWebSocketUpgrade: boolean): void {
  const upgrade = headers.get("upgrade");
  const connection = headers.get("connection");
  if (connection) for (const name of connectionListed(connection)) headers.delete(name);
  for (const name of HOP_BY_HOP_NAMES) headers.delete(name);
  if (keepWebSocketUpgrade && upgrade && upgrade.toLowerCase() === "websocket") {
    headers.set("upgrade", upgrade);
    headers.set("connection", "Upgrade");
  }
}

describe("stripHopByHop", () => {
  it.each([
    ["connection", "keep-alive"],
    ["keep-alive", "timeout=5"],
    ["proxy-connection", "keep-alive"],
    ["te", "trailers"],
    ["transfer-encoding", "chunked"],
    ["upgrade", "h2c"],
    ["proxy-authorization", "Basic Zm9vOmJhcg=="],
    ["trailer", "x-checksum"],
  ])("removes %s", (name, value) => {
    const h = new Headers({ [name]: value, accept: "*/*" });
    stripHopByHop(h, false);
    expect(h.has(name)).toBe(false);
    expect(h.get("accept")).toBe("*/*");
  });

  it("removes the headers named by Connection (RFC 9110 §7.6.1)", () => {
    const h = new Headers({ connection: "close, X-Secret-Hop", "x-secret-hop": "1", "x-keep": "1" });
    stripHopByHop(h, false);
    expect(h.has("x-secret-hop")).toBe(false);
    expect(h.get("x-keep")).toBe("1");
  });

  it("does not let Connection remove host", () => {
    const h = new Headers({ connection: "host", host: "a.com" });
    stripHopByHop(h, false);
    expect(h.get("host")).toBe("a.com");
  });

  it("keeps a WebSocket upgrade pair when asked", () => {
    const h = new Headers({ connection: "keep-alive, Upgrade", upgrade: "websocket", "keep-alive": "x" });
    stripHopByHop(h, true);
    expect(h.get("upgrade")).toBe("websocket");
    expect(h.get("connection")).toBe("Upgrade");
    expect(h.has("keep-alive")).toBe(false);
  });

  it("drops a non-WebSocket upgrade even when upgrades are kept", () => {
    const h = new Headers({ connection: "Upgrade", upgrade: "h2c" });
    stripHopByHop(h, true);
    expect(h.has("upgrade")).toBe(false);
    expect(h.has("connection")).toBe(false);
  });
});

describe("stripHopByHop against the blind definition", () => {
  const NAMES = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "x-custom", "cookie", "content-length", "host"];
  const VALUES = ["keep-alive", "Keep-Alive, X-Custom", "close, te", "Upgrade", "websocket", "h2c", "host, content-length", " ,, cookie ,", "1", ""];
  it("leaves the same headers for any header list, with and without a kept WebSocket upgrade", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)), { maxLength: 8 }), fc.boolean(), (list, keep) => {
        const got = new Headers();
        const want = new Headers();
        for (const [n, v] of list) {
          got.append(n, v);
          want.append(n, v);
        }
        stripHopByHop(got, keep);
        blindStrip(want, keep);
        expect([...got]).toEqual([...want]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("stripResponseHopByHop (a proxied, non-101 response)", () => {
  /** What workerd's HTTP layer sends of a response's headers: everything but RUNTIME_DROPPED_RESPONSE. */
  const onTheWire = (h: Headers) => [...h].filter(([n]) => !RUNTIME_DROPPED_RESPONSE.has(n));

  it("removes the names Connection lists and the hop-by-hop names workerd would pass through", () => {
    const h = new Headers({
      connection: "keep-alive, X-Secret",
      "x-secret": "s",
      "proxy-connection": "keep-alive",
      "proxy-authenticate": "Basic",
      "proxy-authorization": "Basic eA==",
      "http2-settings": "AAMAAABkAAQCAAAAAAIAAAAA",
      "x-keep": "1",
    });
    stripResponseHopByHop(h);
    expect(onTheWire(h)).toEqual([["x-keep", "1"]]);
  });

  it("deletes Connection itself (known present: it would still be copied into the send)", () => {
    const h = new Headers({ connection: "keep-alive", "x-keep": "1" });
    stripResponseHopByHop(h);
    expect([...h]).toEqual([["x-keep", "1"]]);
  });

  it("leaves to the runtime only names it never sends", () => {
    expect([...RUNTIME_DROPPED_RESPONSE].sort()).toEqual(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);
    for (const name of RUNTIME_DROPPED_RESPONSE) expect(HOP_BY_HOP_NAMES.has(name)).toBe(true);
  });

  it("puts on the wire exactly what the blind definition leaves, for any header list", () => {
    const NAMES = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection", "proxy-authenticate", "http2-settings", "x-custom", "set-cookie", "content-length"];
    const VALUES = ["keep-alive", "Keep-Alive, X-Custom", "close, te", "x-custom, set-cookie", "Upgrade", "h2c", "host, content-length", " ,, x-custom ,", "1", ""];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)), { maxLength: 8 }), (list) => {
        const got = new Headers();
        const want = new Headers();
        for (const [n, v] of list) {
          got.append(n, v);
          want.append(n, v);
        }
        stripResponseHopByHop(got);
        blindStrip(want, false);
        expect(onTheWire(got)).toEqual(onTheWire(want));
      }),
      { numRuns: 500 },
    );
  });
});

describe("isWebSocketUpgrade", () => {
  it.each([
    ["GET", "websocket", true],
    ["GET", "WebSocket", true],
    ["POST", "websocket", false],
    ["GET", "h2c", false],
  ])("%s with Upgrade: %s → %s", (method, upgrade, expected) => {
    expect(isWebSocketUpgrade(method, new Headers({ upgrade }).get("upgrade"))).toBe(expected);
  });
  it("GET without an Upgrade header → false", () => {
    expect(isWebSocketUpgrade("GET", new Headers().get("upgrade"))).toBe(false);
  });
});
