import { describe, expect, it } from "vitest";
import { isWebSocketUpgrade, stripHopByHop } from "./hop-by-hop.ts";

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
