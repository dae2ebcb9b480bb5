import { describe, expect, it } from "vitest";
import type { WeightedDestination } from "./table/types.ts";
import type { ForwardDecision, MatchInfo, RequestFacts } from "./decision.ts";
import {
  badRequest,
  headerVars,
  localReply,
  methodNotAllowed,
  noHealthyUpstream,
  noRouteTable,
  proxiedHeaders,
  stamp,
  toResponse,
  upstreamReset,
  upstreamTimeout,
  type ResetReason,
} from "./respond.ts";

const match = {} as MatchInfo; // replies never read which route matched
const destination = { host: "reviews", weight: 100 } as WeightedDestination;
const facts = {
  method: "GET",
  scheme: "https",
  authority: "shop.example:8443",
  host: "shop.example",
  path: "/cart",
  query: "?id=1",
  headers: new Headers(),
  clientIp: "203.0.113.9",
} as unknown as RequestFacts;

describe("local replies (Envoy's exact statuses and bodies, ISTIO-SEMANTICS §2.2)", () => {
  it.each<[ResetReason, boolean, number, string]>([
    ["remote connection failure", false, 503, "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure"],
    ["remote connection failure", true, 503, "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure"],
    ["connection termination", false, 503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination"],
    ["overflow", false, 503, "upstream connect error or disconnect/reset before headers. reset reason: overflow"],
    ["protocol error", false, 502, "upstream connect error or disconnect/reset before headers. reset reason: protocol error"],
  ])("reset %s (retried: %s) → %i", (reason, retried, status, body) => {
    const r = upstreamReset(reason, retried);
    expect({ status: r.status, body: r.body }).toEqual({ status, body });
    expect(r.headers.get("content-type")).toBe("text/plain");
  });

  it("times out with 504 upstream request timeout", () => {
    expect(upstreamTimeout()).toMatchObject({ status: 504, body: "upstream request timeout" });
  });

  it("reports no healthy upstream with 503, after a decision or after a retry found every endpoint ejected", () => {
    expect(noHealthyUpstream()).toMatchObject({ status: 503, body: "no healthy upstream" });
    expect(localReply({ kind: "noHealthyUpstream", match, destination }, {})).toMatchObject({ status: 503, body: "no healthy upstream" });
  });

  it("answers no route and an unknown cluster with an empty body and no content-type", () => {
    for (const r of [localReply({ kind: "noRoute" }, {}), localReply({ kind: "clusterNotFound", match, destination }, {})]) {
      expect(r.body).toBeNull();
      expect(r.headers.has("content-type")).toBe(false);
    }
    expect(localReply({ kind: "noRoute" }, {}).status).toBe(404);
    expect(localReply({ kind: "clusterNotFound", match, destination }, {}).status).toBe(503);
  });

  it("aborts a fault with its configured status and body `fault filter abort`", () => {
    expect(localReply({ kind: "faultAbort", match, status: 418, delayMs: 0 }, {})).toMatchObject({ status: 418, body: "fault filter abort" });
  });

  it("redirects with the route's response header operations applied after `location`", () => {
    const r = localReply(
      { kind: "redirect", match, status: 302, location: "https://a.example/x", responseHeaders: [{ set: [["x-from", "%REQ(:authority)%"]] }], delayMs: 0 },
      headerVars(facts, new Headers()),
    );
    expect(r.status).toBe(302);
    expect(r.body).toBeNull();
    expect([...r.headers]).toEqual([
      ["location", "https://a.example/x"],
      ["x-from", "shop.example:8443"],
    ]);
  });

  it("sends a direct response's bytes as given, text/plain unless an operation set a content-type", () => {
    const plain = localReply({ kind: "directResponse", match, status: 200, body: { bytes: btoa("\u00ff\u0001") }, responseHeaders: [], delayMs: 0 }, {});
    expect(plain.body).toEqual(new Uint8Array([0xff, 0x01]));
    expect(plain.headers.get("content-type")).toBe("text/plain");
    const json = localReply(
      { kind: "directResponse", match, status: 200, body: { string: "{}" }, responseHeaders: [{ set: [["content-type", "application/json"]] }], delayMs: 0 },
      {},
    );
    expect(json.headers.get("content-type")).toBe("application/json");
  });

  it("never gives a 204 or 304 a body, even when one is configured", () => {
    for (const status of [204, 304]) {
      const r = localReply({ kind: "directResponse", match, status, body: { string: "ignored" }, responseHeaders: [], delayMs: 0 }, {});
      expect(r.body).toBeNull();
      expect(toResponse(r).body).toBeNull();
    }
  });

  it("answers a malformed request 400 and a refused method 405 naming what is proxied", () => {
    expect(badRequest("bad path")).toMatchObject({ status: 400, body: "bad request: bad path\n" });
    const r = methodNotAllowed("TRACE");
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
  });

  it("asks the client to come back in 5 s when the isolate has no route table", () => {
    const r = noRouteTable();
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("5");
  });
});

describe("proxiedHeaders: Envoy's filter order on a proxied response (ISTIO-SEMANTICS §2.8, §2.12)", () => {
  const forward = (over: Partial<ForwardDecision>) =>
    ({ responseHeaders: [], corsHeaders: [], setCookies: [], ...over }) as unknown as ForwardDecision;

  it("applies route operations, then CORS (its values win), then appends Set-Cookies", () => {
    const h = new Headers({ "set-cookie": "origin=1" });
    const d = forward({
      responseHeaders: [{ set: [["access-control-allow-origin", "*"], ["x-up", "%RESP(x-origin)%"]] }],
      corsHeaders: [["access-control-allow-origin", "https://app.example"]],
      setCookies: ["gw-visitor=abc"],
    });
    proxiedHeaders(h, d, headerVars(facts, new Headers()), new Headers({ "x-origin": "o1" }));
    expect(h.get("access-control-allow-origin")).toBe("https://app.example");
    expect(h.get("x-up")).toBe("o1");
    expect(h.getSetCookie()).toEqual(["origin=1", "gw-visitor=abc"]);
  });

  it("does not read the protocol unless an operation expands %PROTOCOL%", () => {
    let reads = 0;
    const vars = headerVars(facts, new Headers(), 0, () => {
      reads++;
      return "HTTP/2";
    });
    proxiedHeaders(new Headers(), forward({ responseHeaders: [{ set: [["x-a", "b"]] }] }), vars, new Headers());
    expect(reads).toBe(0);
    const h = new Headers();
    proxiedHeaders(h, forward({ responseHeaders: [{ set: [["x-p", "%PROTOCOL%"], ["x-q", "%PROTOCOL%"]] }] }), vars, new Headers());
    expect(h.get("x-p")).toBe("HTTP/2");
    expect(reads).toBe(1);
  });
});

describe("headerVars", () => {
  it("takes the pseudo-headers from the request's facts (path after normalization, with the query)", () => {
    const v = headerVars(facts, new Headers({ "x-a": "1" }), 0);
    expect(v.pseudo).toEqual({ authority: "shop.example:8443", path: "/cart?id=1", method: "GET", scheme: "https" });
    expect(v.clientIp).toBe("203.0.113.9");
    expect(v.protocol).toBeUndefined();
  });
});

describe("stamp", () => {
  it("overwrites the origin's server header and names the config version only when given", () => {
    const h = new Headers({ server: "nginx" });
    stamp(h, undefined);
    expect([...h]).toEqual([["server", "istio-envoy"]]);
    stamp(h, "v1");
    expect(h.get("x-gateway-config-version")).toBe("v1");
  });
});
