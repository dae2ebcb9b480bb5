import { routeRetries } from "../../../src/table/types.ts";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import { codes, compileYaml, doc, firstRoute, gateway, table, vs } from "./helpers.ts";
import type { Route } from "../../../src/table/types.ts";

/** Compile one rule (YAML under `http: - `) for host a.com and return its first route. */
async function rule(body: string, extra = ""): Promise<Route> {
  const t = await table(gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- ${body.replace(/^\n+/, "").replace(/\n/g, "\n  ")}`) + extra);
  return firstRoute(t);
}

const DEFAULT_RETRIES = {
  attempts: 2,
  retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"],
  retriableStatusCodes: [],
  backoffBaseMs: 25,
  retryIgnorePreviousHosts: true,
};

describe("route destinations and weights (§1.2 weight, §5 item 7)", () => {
  it("gives a single destination weight 1 whatever its weight (§2.16 #22)", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}, weight: 0}]`);
    expect(r.action).toMatchObject({ kind: "route", totalWeight: 1, destinations: [{ host: "s1.example.com", weight: 1, cluster: "s1.example.com||" }] });
  });

  it("drops zero-weight entries of a split and sums the rest", async () => {
    const r = await rule(`route:
- {destination: {host: s1.example.com}, weight: 25}
- {destination: {host: s2.example.com}, weight: 0}
- {destination: {host: s3.example.com}, weight: 75}`);
    expect(r.action).toMatchObject({ kind: "route", totalWeight: 100 });
    expect(r.action.kind === "route" && r.action.destinations.map((d) => [d.host, d.weight])).toEqual([
      ["s1.example.com", 25],
      ["s3.example.com", 75],
    ]);
  });

  it("rejects a split whose weights add up to 0 (§2.16 #23), at load and again at compile", async () => {
    const yaml = (w: number) => gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- route: [{destination: {host: s1.example.com}, weight: ${w}}, {destination: {host: s2.example.com}, weight: ${w}}]`);
    const loaded = await compileYaml(yaml(0), { allowLoadErrors: true });
    expect(loaded.loadIssues.some((i) => i.severity === "error" && /add up to 0/.test(i.message))).toBe(true);
    // The compiler does not trust its input: objects that bypassed validation still fail.
    const objects = loadConfig([{ path: "routes/test.yaml", text: yaml(1) }]).objects;
    for (const d of objects.virtualServices[0]!.value.spec.http![0]!.route!) d.weight = 0;
    const r = await compile(objects);
    expect(r.table).toBeNull();
    expect(codes(r.issues, "error")).toEqual(["weights"]);
  });

  it("lower-cases destination hosts", async () => {
    const r = await rule(`route: [{destination: {host: S1.Example.com}}]`);
    expect(r.action.kind === "route" && r.action.destinations[0]!.host).toBe("s1.example.com");
  });

  it("leaves sticky unset for a plain weighted split", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}, weight: 1}, {destination: {host: s2.example.com}, weight: 1}]`);
    expect(r.action.kind === "route" && r.action.sticky).toBeUndefined();
  });
});

describe("redirect and direct response", () => {
  it("defaults redirectCode to 301 and keeps the given fields", async () => {
    const r = await rule(`redirect: {uri: /new, authority: b.com, scheme: https, derivePort: FROM_REQUEST_PORT}`);
    expect(r.action).toEqual({ kind: "redirect", uri: "/new", authority: "b.com", scheme: "https", derivePort: "FROM_REQUEST_PORT", redirectCode: 301 });
  });

  it("keeps an explicit redirect code and port", async () => {
    const r = await rule(`match: [{uri: {prefix: /old}}]\nredirect: {prefixRewrite: /new, port: 8443, redirectCode: 308}`);
    expect(r.action).toEqual({ kind: "redirect", prefixRewrite: "/new", port: 8443, redirectCode: 308 });
  });

  it.each([
    ["a string body", `{status: 503, body: {string: "unknown error"}}`, { kind: "directResponse", status: 503, body: { string: "unknown error" } }],
    ["base64 bytes kept as base64", `{status: 200, body: {bytes: "aGk="}}`, { kind: "directResponse", status: 200, body: { bytes: "aGk=" } }],
    ["no body", `{status: 204}`, { kind: "directResponse", status: 204 }],
  ])("direct response with %s", async (_n, y, expected) => {
    const r = await rule(`directResponse: ${y}`);
    expect(r.action).toEqual(expected);
  });
});

describe("header operations (§2.8)", () => {
  it("lower-cases names and orders each list: remove, set sorted by key, add sorted by key", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
headers:
  request:
    set: {X-B: "2", x-a: "1"}
    add: {Z: "9", Y: "8"}
    remove: [X-Old]
  response:
    set: {Cache-Control: no-store}`);
    expect(r.headers).toEqual({
      request: { remove: ["x-old"], set: [["x-a", "1"], ["x-b", "2"]], add: [["y", "8"], ["z", "9"]] },
      response: { set: [["cache-control", "no-store"]] },
    });
  });

  it("keeps destination ops on the destination for a single destination (forwarder applies them after route ops)", async () => {
    const r = await rule(`route:
- destination: {host: s1.example.com}
  headers: {request: {set: {x: dest}}}
headers: {request: {set: {x: route}}}`);
    expect(r.headers).toEqual({ request: { set: [["x", "route"]] } });
    expect(r.action.kind === "route" && r.action.destinations[0]!.headers).toEqual({ request: { set: [["x", "dest"]] } });
  });

  it("keeps destination ops per weighted destination (forwarder applies them before route ops)", async () => {
    const r = await rule(`route:
- {destination: {host: s1.example.com}, weight: 1, headers: {response: {add: {x-variant: a}}}}
- {destination: {host: s2.example.com}, weight: 1, headers: {response: {add: {x-variant: b}}}}
headers: {response: {set: {x-variant: route}}}`);
    expect(r.action.kind === "route" && r.action.destinations.map((d) => d.headers)).toEqual([
      { response: { add: [["x-variant", "a"]] } },
      { response: { add: [["x-variant", "b"]] } },
    ]);
    expect(r.headers).toEqual({ response: { set: [["x-variant", "route"]] } });
  });

  it("turns a route-level request set of host into an authority rewrite, not a header", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
headers: {request: {set: {Host: b.internal, x: "1"}}}`);
    expect(r.rewrite).toEqual({ authority: "b.internal" });
    expect(r.headers).toEqual({ request: { set: [["x", "1"]] } });
  });

  it("puts a destination-level :authority into the destination's authority", async () => {
    const r = await rule(`route:
- {destination: {host: s1.example.com}, weight: 1, headers: {request: {add: {":authority": one.internal}}}}
- {destination: {host: s2.example.com}, weight: 1}`);
    expect(r.action.kind === "route" && r.action.destinations.map((d) => d.authority)).toEqual(["one.internal", undefined]);
    expect(r.action.kind === "route" && r.action.destinations[0]!.headers).toBeUndefined();
  });

  it("lets a route-level authority win over a destination-level one", async () => {
    const r = await rule(`route:
- {destination: {host: s1.example.com}, headers: {request: {set: {host: dest.internal}}}}
rewrite: {authority: route.internal}`);
    expect(r.rewrite).toEqual({ authority: "route.internal" });
    expect(r.action.kind === "route" && r.action.destinations[0]!.authority).toBeUndefined();
  });

  // Setting and adding host together is an Istio error ("authority header cannot be set multiple
  // times", test/unit/config/virtual-service.test.ts); each alone rewrites the authority.
  it.each(["set", "add"])("turns a request %s of host into the authority rewrite", async (op) => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
headers: {request: {${op}: {host: new.internal}}}`);
    expect(r.rewrite?.authority).toBe("new.internal");
  });
});

describe("rewrite and timeout", () => {
  it("compiles uriRegexRewrite into an unanchored search regex (Envoy regex_rewrite replaces every match)", async () => {
    const r = await rule(`match: [{uri: {prefix: /api}}]
route: [{destination: {host: s1.example.com}}]
rewrite: {uriRegexRewrite: {match: "/v([0-9]+)/", rewrite: "/version-\\\\1/"}}`);
    const rw = r.rewrite!.uriRegexRewrite!;
    expect(rw).toMatchObject({ match: "/v([0-9]+)/", rewrite: "/version-\\1/" });
    expect("/api/v1/x/v2/".replace(new RegExp(rw.js, rw.flags + "g"), "/version-$1/")).toBe("/api/version-1/x/version-2/");
  });

  it("keeps a plain uri rewrite", async () => {
    const r = await rule(`match: [{uri: {prefix: /foo/}}]\nroute: [{destination: {host: s1.example.com}}]\nrewrite: {uri: /}`);
    expect(r.rewrite).toEqual({ uri: "/" });
  });

  it.each([
    ["1.5s", 1500],
    ["250ms", 250],
    ["1m", 60000],
  ])("converts timeout %s to %i ms", async (d, ms) => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\ntimeout: ${d}`);
    expect(r.timeoutMs).toBe(ms);
  });

  it("leaves timeoutMs absent when no timeout is given (no timeout, §2.4)", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]`);
    expect(r.timeoutMs).toBeUndefined();
  });
});

describe("retries (§2.5)", () => {
  it("applies Istio's default policy when retries is omitted", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]`);
    expect(r.retries).toBeUndefined(); // the table leaves the default implicit (smaller KV values)
    expect(routeRetries(r)).toEqual(DEFAULT_RETRIES);
  });

  it("applies the default policy to redirects and direct responses too (never used there)", async () => {
    const r = await rule(`directResponse: {status: 200}`);
    expect(routeRetries(r)).toEqual(DEFAULT_RETRIES);
  });

  it("disables retries with attempts 0", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\nretries: {attempts: 0}`);
    expect(routeRetries(r).attempts).toBe(0);
    expect(routeRetries(r).retryOn).toEqual([]);
  });

  it("replaces the default retryOn with the user's list and turns integers into status codes", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
retries: {attempts: 3, retryOn: "5xx,503,reset,429", perTryTimeout: 2s, backoff: 100ms}`);
    expect(routeRetries(r)).toEqual({
      attempts: 3,
      retryOn: ["5xx", "reset", "retriable-status-codes"],
      retriableStatusCodes: [503, 429],
      perTryTimeoutMs: 2000,
      backoffBaseMs: 100,
      retryIgnorePreviousHosts: true,
    });
  });

  it("keeps the default retryOn when only attempts is given", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\nretries: {attempts: 5}`);
    expect(routeRetries(r)).toEqual({ ...DEFAULT_RETRIES, attempts: 5 });
  });

  it("honours an explicit retryIgnorePreviousHosts: false", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\nretries: {attempts: 1, retryIgnorePreviousHosts: false}`);
    expect(routeRetries(r).retryIgnorePreviousHosts).toBe(false);
  });

  it("does not ignore previous hosts when the destination uses consistent hashing", async () => {
    const r = await rule(
      `route: [{destination: {host: s1.example.com}}]`,
      doc("DestinationRule", "dr", `host: s1.example.com\ntrafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}`),
    );
    expect(routeRetries(r)).toEqual({ ...DEFAULT_RETRIES, retryIgnorePreviousHosts: false });
  });
});

describe("fault injection (§2.6)", () => {
  it.each([
    ["percentage", `{delay: {fixedDelay: 7s, percentage: {value: 50}}, abort: {httpStatus: 500, percentage: {value: 10.5}}}`, { delay: { fixedDelayMs: 7000, percentage: 50 }, abort: { httpStatus: 500, percentage: 10.5 } }],
    ["the deprecated integer percent for delays", `{delay: {fixedDelay: 1s, percent: 100}}`, { delay: { fixedDelayMs: 1000, percentage: 100 } }],
    ["the deprecated integer percent for aborts (Istio's fault-injection task)", `{abort: {httpStatus: 500, percent: 100}}`, { abort: { httpStatus: 500, percentage: 100 } }],
    ["percentage wins over the deprecated percent", `{abort: {httpStatus: 503, percentage: {value: 5}, percent: 100}}`, { abort: { httpStatus: 503, percentage: 5 } }],
    ["no percentage: never fires (§2.16 #25)", `{abort: {httpStatus: 500}}`, { abort: { httpStatus: 500, percentage: 0 } }],
  ])("with %s", async (_n, y, expected) => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\nfault: ${y}`);
    expect(r.fault).toEqual(expected);
  });
});

describe("mirrors (§2.7)", () => {
  it("defaults mirrorPercentage to 100", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]\nmirror: {host: s2.example.com}`);
    expect(r.mirrors).toEqual([{ destination: { host: "s2.example.com", cluster: "s2.example.com||" }, percentage: 100 }]);
  });

  it("takes mirrorPercentage, or the deprecated mirror_percent", async () => {
    const a = await rule(`route: [{destination: {host: s1.example.com}}]\nmirror: {host: s2.example.com}\nmirrorPercentage: {value: 12.5}`);
    expect(a.mirrors![0]!.percentage).toBe(12.5);
    const b = await rule(`route: [{destination: {host: s1.example.com}}]\nmirror: {host: s2.example.com}\nmirror_percent: 30`);
    expect(b.mirrors![0]!.percentage).toBe(30);
  });

  it("compiles mirrors[] in order with their own percentages", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
mirrors:
- {destination: {host: s2.example.com}}
- {destination: {host: s3.example.com, port: {number: 8443}}, percentage: {value: 5}}`);
    expect(r.mirrors).toEqual([
      { destination: { host: "s2.example.com", cluster: "s2.example.com||" }, percentage: 100 },
      { destination: { host: "s3.example.com", port: 8443, cluster: "s3.example.com||8443" }, percentage: 5 },
    ]);
  });
});

describe("CORS (§2.12)", () => {
  it("converts origins, lists, maxAge seconds and defaults unmatchedPreflights to FORWARD", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
corsPolicy:
  allowOrigins: [{exact: "https://a.com"}, {regex: "https://.*\\\\.b\\\\.com"}]
  allowMethods: [GET, POST]
  allowHeaders: [x-a]
  maxAge: 24h
  allowCredentials: true`);
    expect(r.corsPolicy).toMatchObject({
      allowOrigins: [{ exact: "https://a.com" }, { regex: "https://.*\\.b\\.com" }],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["x-a"],
      exposeHeaders: [],
      maxAgeSeconds: 86400,
      allowCredentials: true,
      unmatchedPreflights: "FORWARD",
    });
  });

  it("uses the deprecated allowOrigin exact strings when allowOrigins is absent", async () => {
    const r = await rule(`route: [{destination: {host: s1.example.com}}]
corsPolicy: {allowOrigin: ["https://a.com"], unmatchedPreflights: IGNORE}`);
    expect(r.corsPolicy).toMatchObject({ allowOrigins: [{ exact: "https://a.com" }], unmatchedPreflights: "IGNORE" });
  });
});
