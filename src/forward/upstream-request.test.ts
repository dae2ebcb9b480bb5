import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HeaderOps } from "../table/types.ts";
import type { RequestFacts } from "../decision.ts";
import { cluster, decision } from "../../test/fixtures/forward.ts";
import { req } from "../../test/fixtures/table.ts";
import { applyHeaderOps, type HeaderVars } from "../actions/header-ops.ts";
import { isWebSocketUpgrade, stripHopByHop } from "./hop-by-hop.ts";
import { RequestId, requestIdOf, setForwardingHeaders, stripEnvoyControlHeaders } from "./proxy-headers.ts";
import { planUpstream, requestInit } from "./upstream-request.ts";

/**
 * The upstream headers as the building blocks define them, one step after the other on a copy
 * (the order upstream-request.ts documents). planUpstream does the same in one pass over the
 * names; the property below holds it to this definition.
 */
function referenceHeaders(request: Request, facts: RequestFacts, requestId: string, ops: readonly HeaderOps[], originalPath: string | undefined): Headers {
  const headers = new Headers(request.headers);
  stripHopByHop(headers, isWebSocketUpgrade(request.method, request.headers.get("upgrade")));
  stripEnvoyControlHeaders(headers);
  setForwardingHeaders(headers, { clientIp: facts.clientIp, scheme: facts.scheme, originalAuthority: facts.authority, requestId });
  applyHeaderOps(headers, ops, { request: request.headers });
  if (originalPath !== undefined) headers.set("x-envoy-original-path", originalPath);
  headers.delete("host");
  return headers;
}

const NAMES = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "http2-settings",
  "x-envoy-retry-on",
  "x-envoy-attempt-count",
  "x-envoy-original-path",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-request-id",
  "content-length",
  "cookie",
  "accept",
  "x-custom",
];
const VALUES = ["1", "websocket", "WebSocket", "h2c", "keep-alive", "Upgrade", "close, X-Custom", "x-forwarded-for, cookie", "x-request-id", "host, content-length", "203.0.113.7", " ,, te ,", ""];

const headerList = fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)), { maxLength: 10 });
const opsList = fc.array(
  fc.record({
    remove: fc.option(fc.array(fc.constantFrom("x-custom", "cookie", "x-forwarded-for", "connection"), { maxLength: 2 }), { nil: undefined }),
    set: fc.option(fc.array(fc.tuple(fc.constantFrom("x-custom", "x-forwarded-proto", "x-envoy-x", "upgrade"), fc.constantFrom("v", "%REQ(host)%")), { maxLength: 2 }), { nil: undefined }),
    add: fc.option(fc.array(fc.tuple(fc.constantFrom("x-custom", "x-forwarded-for"), fc.constantFrom("a", "b")), { maxLength: 2 }), { nil: undefined }),
  }),
  { maxLength: 2 },
);

const entries = (h: Headers) => [...h];

function outcome(f: () => Headers): { headers: Array<[string, string]> } | { threw: string } {
  try {
    return { headers: entries(f()) };
  } catch (e) {
    return { threw: (e as Error).name };
  }
}

describe("planUpstream headers", () => {
  it("equal the step-by-step definition for any client headers, method, client address and header ops", () => {
    fc.assert(
      fc.property(
        headerList,
        fc.constantFrom("GET", "POST", "HEAD"),
        fc.option(fc.constantFrom("203.0.113.7", "198.51.100.1"), { nil: undefined }),
        opsList,
        fc.option(fc.constant("/original"), { nil: undefined }),
        (list, method, clientIp, ops, originalPath) => {
          const init = new Headers({ host: "a.com" });
          for (const [name, value] of list) init.append(name, value);
          const request = () => new Request("http://a.com/p", { method, headers: init });
          const facts = req("http://a.com/p", { method, ...(clientIp !== undefined ? { clientIp } : {}) });
          const d = decision(cluster(1), { requestHeaders: ops as HeaderOps[], ...(originalPath !== undefined ? { originalPath } : {}) });
          const vars: HeaderVars = { request: init };
          const got = outcome(() => planUpstream(d, request(), facts, "rid-1", vars).headers);
          const want = outcome(() => referenceHeaders(request(), facts, "rid-1", ops as HeaderOps[], originalPath));
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("with the request's lazily resolved id: the same headers, and the id requestIdOf gives", () => {
    fc.assert(
      fc.property(headerList, fc.constantFrom("GET", "POST"), (list, method) => {
        const init = new Headers({ host: "a.com" });
        for (const [name, value] of list) init.append(name, value);
        const request = () => new Request("http://a.com/p", { method, headers: init });
        const facts = req("http://a.com/p", { method, clientIp: "203.0.113.7" });
        const d = decision(cluster(1));
        const id = new RequestId(init, () => "generated-1");
        const got = outcome(() => planUpstream(d, request(), facts, id, { request: init }).headers);
        const wantId = requestIdOf(init, () => "generated-1");
        const want = outcome(() => referenceHeaders(request(), facts, wantId, [], undefined));
        expect(got).toEqual(want);
        // The id the request is logged under is the one that went upstream.
        if ("headers" in got) expect(id.value).toBe(wantId);
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ["GET", "websocket", true],
    ["GET", "WebSocket", true],
    ["POST", "websocket", false],
    ["GET", "h2c", false],
    ["GET", undefined, false],
  ])("%s with Upgrade %s is a WebSocket plan: %s", (method, upgrade, expected) => {
    const headers: Record<string, string> = { host: "a.com", connection: "Upgrade" };
    if (upgrade !== undefined) headers.upgrade = upgrade;
    const plan = planUpstream(decision(cluster(1)), new Request("http://a.com/p", { method, headers }), req("http://a.com/p", { method }), "r", {});
    expect(plan.webSocket).toBe(expected);
    expect(plan.headers.get("upgrade")).toBe(expected ? upgrade : null);
  });
});

describe("requestInit", () => {
  it("sends the first attempt with the plan's headers and count 1, retries with a copy and their own count", () => {
    const plan = planUpstream(decision(cluster(1)), new Request("http://a.com/p", { headers: { host: "a.com", "x-a": "1" } }), req("http://a.com/p"), "r", {});
    const first = requestInit(plan, { attempt: 1 });
    const second = requestInit(plan, { attempt: 2 });
    expect(first.headers).toBe(plan.headers);
    expect(new Headers(first.headers).get("x-envoy-attempt-count")).toBe("1");
    expect(second.headers).not.toBe(plan.headers);
    expect(new Headers(second.headers).get("x-envoy-attempt-count")).toBe("2");
    expect(new Headers(second.headers).get("x-a")).toBe("1");
    expect(plan.headers.get("x-envoy-attempt-count")).toBe("1");
  });
});
