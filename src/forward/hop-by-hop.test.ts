import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectionListed, HOP_BY_HOP_NAMES, isWebSocketUpgrade, stripHopByHop } from "./hop-by-hop.ts";

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
