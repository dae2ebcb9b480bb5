/**
 * decide() over hand-written tables: what the ISTIO-SEMANTICS §2.16 worked vectors do not show —
 * the processing order of §2.1, the documented rand() call order, the precedence of header
 * operations and authorities, and table shapes the compiler never writes (a destination without a
 * cluster). The vectors themselves run once, through the real path (YAML → compile → decide), in
 * test/unit/vectors.
 */
import { describe, expect, it } from "vitest";
import type { Decision, ForwardDecision } from "./decision.ts";
import { decide } from "./decide.ts";
import { prepare } from "./prepare.ts";
import type { RouteTable } from "./table/types.ts";
import { cluster, dest, req, route, scripted, table, to } from "../test/fixtures/table.ts";

const NO_RAND = () => {
  throw new Error("rand() must not be called");
};

function run(t: RouteTable, facts: ReturnType<typeof req>, rand: () => number = NO_RAND): Decision {
  return decide(prepare(t), facts, { rand, now: 0 });
}

function fwd(d: Decision): ForwardDecision {
  if (d.kind !== "forward") throw new Error(`expected forward, got ${d.kind}`);
  return d;
}

const host = (d: Decision) => fwd(d).target.destination.host;

describe("virtual host and route choice", () => {
  it("answers noRoute without a vhost when no domain matches", () => {
    const t = table([{ domain: "a.com", routes: [route()] }]);
    expect(run(t, req("http://b.com/"))).toEqual({ kind: "noRoute" });
  });
});

describe("rewrites and authority", () => {
  it.each([
    { rewrite: "\\2/\\1", want: "/b/a?x" },
    { rewrite: "\\2/instance/\\1", want: "/b/instance/a?x" },
  ])("uriRegexRewrite substitutes capture groups of $rewrite and keeps the query (§2.16 #13 has one more template)", ({ rewrite, want }) => {
    const rw = { match: "^/svc/([^/]+)(/.*)$", js: "^/svc/([^/]+)(/.*)$", flags: "u", rewrite };
    const t = table([{ domain: "a.com", routes: [route({ rewrite: { uriRegexRewrite: rw } })] }]);
    const d = fwd(run(t, req("http://a.com/svc/a/b?x")));
    expect([d.upstreamPath, d.originalPath]).toEqual([want, "/svc/a/b?x"]);
  });
  it("keeps the Host as authority and sets no original path without a rewrite", () => {
    const t = table([{ domain: "a.com", routes: [route()] }]);
    const d = fwd(run(t, req("http://a.com:8080/p?q")));
    expect([d.authority, d.upstreamPath, d.originalPath]).toEqual(["a.com:8080", "/p?q", undefined]);
  });
  it("route-level authority wins over the destination's; the destination's applies alone", () => {
    const withDest = (rewrite?: { authority: string }) =>
      table([{ domain: "a.com", routes: [route({ ...(rewrite ? { rewrite } : {}), action: { kind: "route", destinations: [dest("s1", { authority: "d.internal" })], totalWeight: 1 } })] }]);
    expect(fwd(run(withDest({ authority: "r.internal" }), req("http://a.com/"))).authority).toBe("r.internal");
    expect(fwd(run(withDest(), req("http://a.com/"))).authority).toBe("d.internal");
  });
});

describe("redirects and direct responses", () => {
  it("httpsRedirect is decided before route matching (a vhost without routes) and names the vhost", () => {
    const t = table([{ domain: "a.com", httpsRedirect: true, routes: [] }]);
    expect(run(t, req("http://a.com:8080/x?y"))).toEqual({ kind: "httpsRedirect", location: "https://a.com:8080/x?y", vhost: "a.com" });
    expect(run(t, req("https://a.com/x")).kind).toBe("noRoute");
  });

  it("a direct response carries the route's response header ops and no delay", () => {
    const ops = { set: [["content-type", "text/plain"]] as Array<[string, string]> };
    const t = table([{ domain: "a.com", routes: [route({ headers: { response: ops }, action: { kind: "directResponse", status: 503, body: { string: "unknown error" } } })] }]);
    const d = run(t, req("http://a.com/anything"));
    expect(d).toMatchObject({ kind: "directResponse", status: 503, body: { string: "unknown error" }, responseHeaders: [ops], delayMs: 0 });
  });

  it("redirects use the configured code and route response ops", () => {
    const ops = { add: [["x-r", "1"]] as Array<[string, string]> };
    const t = table([{ domain: "a.com", routes: [route({ headers: { response: ops }, action: { kind: "redirect", uri: "/n", redirectCode: 308 } })] }]);
    expect(run(t, req("http://a.com/p"))).toMatchObject({ kind: "redirect", status: 308, location: "http://a.com/n", responseHeaders: [ops] });
  });
});

describe("weighted destinations", () => {
  const split = (w1: number, w2: number) =>
    table([{ domain: "a.com", routes: [route({ action: { kind: "route", destinations: [dest("s1", { weight: w1 }), dest("s2", { weight: w2 })], totalWeight: w1 + w2 } })] }]);

  it("names the chosen variant of a split", () => {
    expect(fwd(run(split(1, 1), req("http://a.com/"), () => 0.9)).variant).toBe("s2");
  });
  it("a single destination rolls no die and names no variant", () => {
    const t = table([{ domain: "a.com", routes: [route({ action: { kind: "route", destinations: [dest("s1", { weight: 1 })], totalWeight: 1 } })] }]);
    const d = fwd(run(t, req("http://a.com/")));
    expect([d.target.destination.host, d.variant]).toEqual(["s1", undefined]);
  });
});

describe("faults: dice order", () => {
  const faulty = (fault: NonNullable<RouteTable["vhosts"][number]["routes"][number]["fault"]>, extra = {}) =>
    table([{ domain: "a.com", routes: [route({ fault, mirrors: [{ destination: dest("s2"), percentage: 100 }], ...extra })] }]);

  it("an abort that fires rolls its one die only: no destination, endpoint or mirror die", () => {
    const s = scripted(0.5);
    const d = run(faulty({ abort: { httpStatus: 500, percentage: 100 } }), req("http://a.com/"), s.rand);
    expect(d).toMatchObject({ kind: "faultAbort", status: 500, delayMs: 0 });
    expect(s.calls()).toBe(1);
  });
  it("an abort that does not fire still marks the fault configured, and the mirror rolls its die", () => {
    const s = scripted(0, 0.5, 0.5);
    const d = fwd(run(faulty({ abort: { httpStatus: 500, percentage: 0 } }), req("http://a.com/"), s.rand));
    expect([d.faultConfigured, d.mirrors.length]).toEqual([true, 1]);
  });
  it("delay die then abort die: both firing gives an abort with the delay", () => {
    const d = run(faulty({ delay: { fixedDelayMs: 7000, percentage: 50 }, abort: { httpStatus: 503, percentage: 50 } }), req("http://a.com/"), scripted(0.1, 0.2).rand);
    expect(d).toMatchObject({ kind: "faultAbort", status: 503, delayMs: 7000 });
  });
  it("a delay that fires without an abort delays the forward", () => {
    const d = fwd(run(faulty({ delay: { fixedDelayMs: 100, percentage: 50 } }), req("http://a.com/"), scripted(0.4999, 0).rand));
    expect(d.delayMs).toBe(100);
  });
  it("a delay die above the percentage does not delay", () => {
    const d = fwd(run(faulty({ delay: { fixedDelayMs: 100, percentage: 50 } }), req("http://a.com/"), scripted(0.5, 0).rand));
    expect(d.delayMs).toBe(0);
  });
  it("an abort also hits CORS preflights (fault filter runs first)", () => {
    const cors = { allowOrigins: [{ exact: "https://a.com" }], allowMethods: ["GET"], allowHeaders: [], exposeHeaders: [], unmatchedPreflights: "FORWARD" as const };
    const t = faulty({ abort: { httpStatus: 418, percentage: 100 } }, { corsPolicy: cors });
    const d = run(t, req("http://a.com/", { method: "OPTIONS", headers: { origin: "https://a.com", "access-control-request-method": "GET" } }), () => 0);
    expect(d.kind).toBe("faultAbort");
  });
  it("passes timeout and retries through", () => {
    const t = table([{ domain: "a.com", routes: [route({ timeoutMs: 1500 })] }]);
    const d = fwd(run(t, req("http://a.com/")));
    expect([d.timeoutMs, d.retries.attempts, d.faultConfigured]).toEqual([1500, 2, false]);
  });
});

describe("mirrors", () => {
  it("a mirror goes to its own cluster with the rewritten path", () => {
    const t = table([{ domain: "a.com", routes: [route({ match: { uri: { prefix: "/p" } }, rewrite: { uri: "/q" }, mirrors: [{ destination: dest("s2"), percentage: 100 }] })] }]);
    const d = fwd(run(t, req("http://a.com/p/1"), () => 0.99));
    expect(d.target.url).toBe("http://s1.test/q/1");
    expect(d.mirrors.map((m) => [m.destination.host, m.url])).toEqual([["s2", "http://s2.test/q/1"]]);
  });
  it("each mirror rolls its own die; an unknown mirror cluster is skipped", () => {
    const t = table([{ domain: "a.com", routes: [route({ mirrors: [
      { destination: dest("s2"), percentage: 50 },
      { destination: dest("s3"), percentage: 50 },
      { destination: { host: "nope", cluster: null }, percentage: 100 },
    ] })] }]);
    const s = scripted(0.7, 0.2, 0);
    const d = fwd(run(t, req("http://a.com/"), s.rand));
    expect(d.mirrors.map((m) => m.destination.host)).toEqual(["s3"]);
    expect(s.calls()).toBe(3);
  });
  it("CONNECT is never mirrored", () => {
    const t = table([{ domain: "a.com", routes: [route({ mirrors: [{ destination: dest("s2"), percentage: 100 }] })] }]);
    expect(fwd(run(t, req("http://a.com/", { method: "CONNECT" }))).mirrors).toEqual([]);
  });
});

describe("CORS", () => {
  const policy = { allowOrigins: [{ exact: "https://a.com" }], allowMethods: ["GET", "POST"], allowHeaders: [], exposeHeaders: [], maxAgeSeconds: 86400, unmatchedPreflights: "FORWARD" as const };
  const t = table([{ domain: "a.com", routes: [route({ corsPolicy: policy })] }]);
  const preflight = (origin: string) => req("http://a.com/", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

  it("IGNORE answers a disallowed preflight locally without CORS headers", () => {
    const ti = table([{ domain: "a.com", routes: [route({ corsPolicy: { ...policy, unmatchedPreflights: "IGNORE" } })] }]);
    expect(run(ti, preflight("https://b.com"))).toMatchObject({ kind: "corsPreflight", headers: [] });
  });
  it("CORS headers of an actual request are added to a direct response as a final set", () => {
    const td = table([{ domain: "a.com", routes: [route({ corsPolicy: policy, action: { kind: "directResponse", status: 200 } })] }]);
    expect(run(td, req("http://a.com/", { headers: { origin: "https://a.com" } }))).toMatchObject({ responseHeaders: [{ set: [["access-control-allow-origin", "https://a.com"]] }] });
  });
});

describe("header operations: route and destination order (§2.8)", () => {
  const rOps = { request: { set: [["x", "1"]] as Array<[string, string]>, add: [["y", "2"]] as Array<[string, string]>, remove: ["z"] }, response: { set: [["r", "route"]] as Array<[string, string]> } };
  const dOps = { request: { set: [["x", "dest"]] as Array<[string, string]> }, response: { set: [["r", "dest"]] as Array<[string, string]> } };

  it("single destination: route ops then destination ops (destination set wins)", () => {
    const t = table([{ domain: "a.com", routes: [route({ headers: rOps, action: { kind: "route", destinations: [dest("s1", { headers: dOps })], totalWeight: 1 } })] }]);
    const d = fwd(run(t, req("http://a.com/")));
    expect([d.requestHeaders, d.responseHeaders]).toEqual([[rOps.request, dOps.request], [rOps.response, dOps.response]]);
  });
  it("weighted destinations: destination ops then route ops (route set wins)", () => {
    const t = table([{ domain: "a.com", routes: [route({ headers: rOps, action: { kind: "route", destinations: [dest("s1", { headers: dOps }), dest("s2")], totalWeight: 2 } })] }]);
    const d = fwd(run(t, req("http://a.com/"), () => 0));
    expect([d.requestHeaders, d.responseHeaders]).toEqual([[dOps.request, rOps.request], [dOps.response, rOps.response]]);
  });
});

describe("clusters, endpoints and the hash cookie", () => {
  it("a destination whose cluster cannot exist (null) is clusterNotFound (§2.16 #38 runs the missing-key case)", () => {
    const t = table([{ domain: "a.com", routes: [route({ action: { kind: "route", destinations: [{ host: "s1", subset: "v3", cluster: null, weight: 1 }], totalWeight: 1 } })] }]);
    expect(run(t, req("http://a.com/")).kind).toBe("clusterNotFound");
  });
  it("a hash cookie from scripted dice has the dice's value, and is read back quoted, unquoted or among other cookies", () => {
    const c = cluster("s1", ["http://e1", "http://e2", "http://e3", "http://e4"], { trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "u", ttlSeconds: 0 } } } } });
    const t = table([{ domain: "a.com", routes: [route()] }], [c]);
    const first = fwd(run(t, req("http://a.com/"), scripted(0.25, 0.75).rand));
    expect(first.setCookies).toEqual(['u="40000000c0000000"; HttpOnly']);
    for (const cookie of ['u="40000000c0000000"', "u=40000000c0000000", 'a=1; u="40000000c0000000"']) {
      const again = fwd(run(t, req("http://a.com/", { headers: { cookie } })));
      expect([again.target.endpoint.url, again.setCookies]).toEqual([first.target.endpoint.url, []]);
    }
  });
});
