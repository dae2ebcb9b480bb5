import { describe, expect, it } from "vitest";
import { codes, compileYaml, doc, gateway, table, vs } from "./helpers.ts";
import type { RouteTable } from "../../../src/table/types.ts";

/** One VirtualService routing a.com to `dest` (YAML flow map of a Destination), plus `extra` docs. */
async function withDestination(dest: string, extra: string): Promise<RouteTable> {
  return table(gateway(["a.com"]) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- route: [{destination: ${dest}}]`) + extra);
}

const se = (name: string, body: string) => doc("ServiceEntry", name, body);
const dr = (name: string, body: string) => doc("DestinationRule", name, body);

describe("clusters from ServiceEntries (DESIGN.md §3, §1.4)", () => {
  it("builds one endpoint URL per ServiceEntry endpoint, omitting default ports, weight default 1", async () => {
    const t = await withDestination(`{host: shop.internal}`, se("shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP}]
resolution: DNS
endpoints:
- {address: origin-1.example.com}
- {address: 127.0.0.1, ports: {http: 8081}, weight: 3}
- {address: "::1", ports: {http: 8082}}`));
    expect(t.clusters["shop.internal||80"]).toEqual({
      host: "shop.internal",
      port: 80,
      external: false,
      endpoints: [
        { url: "http://origin-1.example.com", weight: 1 },
        { url: "http://127.0.0.1:8081", weight: 3 },
        { url: "http://[::1]:8082", weight: 1 },
      ],
    });
  });

  it("uses the ServiceEntry's only port when the destination names none, and targetPort for the endpoint", async () => {
    const t = await withDestination(`{host: api.internal}`, se("api", `
hosts: [api.internal]
ports: [{number: 443, name: https, protocol: HTTPS, targetPort: 8443}]
resolution: DNS
endpoints: [{address: api.example.com}]`));
    const route = t.vhosts[0]!.routes[0]!;
    expect(route.action.kind === "route" && route.action.destinations[0]).toMatchObject({ port: 443, cluster: "api.internal||443" });
    expect(t.clusters["api.internal||443"]!.endpoints).toEqual([{ url: "https://api.example.com:8443", weight: 1 }]);
  });

  it("makes the host itself the endpoint for resolution DNS without endpoints", async () => {
    const t = await withDestination(`{host: api.example.com, port: {number: 8080}}`, se("api", `
hosts: [api.example.com]
ports: [{number: 8080, name: http, protocol: HTTP}]
resolution: DNS`));
    expect(t.clusters["api.example.com||8080"]!.endpoints).toEqual([{ url: "http://api.example.com:8080", weight: 1 }]);
  });

  it("treats a host that no ServiceEntry names as a public DNS name over https", async () => {
    const t = await withDestination(`{host: www.example.org}`, "");
    expect(t.clusters["www.example.org||"]).toEqual({ host: "www.example.org", external: true, endpoints: [{ url: "https://www.example.org", weight: 1 }] });
    const withPort = await withDestination(`{host: www.example.org, port: {number: 8443}}`, "");
    expect(withPort.clusters["www.example.org||8443"]!.endpoints[0]!.url).toBe("https://www.example.org:8443");
  });

  it("switches to https for a DestinationRule tls mode SIMPLE on an HTTP port", async () => {
    const t = await withDestination(`{host: shop.internal}`, se("shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP, targetPort: 443}]
resolution: DNS
endpoints: [{address: shop.example.com}]`) + dr("shop", `host: shop.internal\ntrafficPolicy: {tls: {mode: SIMPLE, sni: shop.example.com}}`));
    const c = t.clusters["shop.internal||80"]!;
    expect(c.endpoints[0]!.url).toBe("https://shop.example.com");
    expect(c.trafficPolicy).toEqual({ tls: { mode: "SIMPLE", sni: "shop.example.com" } });
  });

  it("selects subset endpoints by labels and keeps their labels", async () => {
    const t = await withDestination(`{host: shop.internal, subset: v2}`, se("shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP}]
resolution: DNS
endpoints:
- {address: v1.example.com, labels: {version: v1}}
- {address: v2.example.com, labels: {version: v2, zone: a}}`) + dr("shop", `host: shop.internal\nsubsets:\n- {name: v1, labels: {version: v1}}\n- {name: v2, labels: {version: v2}}`));
    expect(t.clusters["shop.internal|v2|80"]).toMatchObject({
      subset: "v2",
      endpoints: [{ url: "http://v2.example.com", labels: { version: "v2", zone: "a" }, weight: 1 }],
    });
  });

  it("compiles a subset whose labels select no endpoint to an empty cluster (503 no healthy upstream, §2.16 #39)", async () => {
    const t = await withDestination(`{host: shop.internal, subset: v3}`, se("shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP}]
resolution: DNS
endpoints: [{address: v1.example.com, labels: {version: v1}}]`) + dr("shop", `host: shop.internal\nsubsets: [{name: v3, labels: {version: v3}}]`));
    expect(t.clusters["shop.internal|v3|80"]!.endpoints).toEqual([]);
  });

  it("gives a destination with an undefined subset no cluster (503, §2.16 #38)", async () => {
    const r = await compileYaml(
      gateway(["a.com"]) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- route: [{destination: {host: s1.example.com, subset: nope}}]`),
      { allowLoadErrors: true },
    );
    // Validation reports the reference as an error; the compiler still says what the table would do: 503.
    expect(r.loadIssues.some((i) => i.severity === "error" && i.path.endsWith("destination.subset"))).toBe(true);
    const d = r.table!.vhosts[0]!.routes[0]!.action;
    expect(d.kind === "route" && d.destinations[0]).toEqual({ host: "s1.example.com", subset: "nope", cluster: null, weight: 1 });
    expect(r.table!.clusters).toEqual({});
    expect(codes(r.issues, "warning")).toContain("unknown-subset");
  });
});

describe("DestinationRule policy layering (§1.3)", () => {
  const shop = se("shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP}, {number: 8080, name: alt, protocol: HTTP}]
resolution: DNS
endpoints: [{address: a.example.com, labels: {v: "1"}}]`);

  it("fills outlierDetection defaults in ms", async () => {
    const t = await withDestination(`{host: shop.internal, port: {number: 80}}`, shop + dr("shop", `host: shop.internal\ntrafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}`));
    expect(t.clusters["shop.internal||80"]!.trafficPolicy).toEqual({
      outlierDetection: { consecutive5xxErrors: 3, intervalMs: 10000, baseEjectionTimeMs: 30000, maxEjectionPercent: 10, minHealthPercent: 0 },
    });
  });

  it("replaces DR-level fields with the subset's per top-level field, without deep merge", async () => {
    const t = await withDestination(`{host: shop.internal, subset: s, port: {number: 80}}`, shop + dr("shop", `
host: shop.internal
trafficPolicy:
  loadBalancer: {simple: ROUND_ROBIN}
  outlierDetection: {consecutive5xxErrors: 7, interval: 1s}
subsets:
- name: s
  labels: {v: "1"}
  trafficPolicy: {outlierDetection: {baseEjectionTime: 1m}}`));
    expect(t.clusters["shop.internal|s|80"]!.trafficPolicy).toEqual({
      loadBalancer: { simple: "ROUND_ROBIN" },
      outlierDetection: { consecutive5xxErrors: 5, intervalMs: 10000, baseEjectionTimeMs: 60000, maxEjectionPercent: 10, minHealthPercent: 0 },
    });
  });

  it("lets portLevelSettings for the cluster port replace the DR-level settings entirely", async () => {
    const t = await withDestination(`{host: shop.internal, port: {number: 8080}}`, shop + dr("shop", `
host: shop.internal
trafficPolicy:
  loadBalancer: {simple: ROUND_ROBIN}
  outlierDetection: {consecutive5xxErrors: 7}
  portLevelSettings:
  - port: {number: 8080}
    loadBalancer: {simple: RANDOM}`));
    expect(t.clusters["shop.internal||8080"]!.trafficPolicy).toEqual({ loadBalancer: { simple: "RANDOM" } });
  });

  it.each([
    ["UNSPECIFIED", { simple: "LEAST_REQUEST" }],
    ["LEAST_CONN", { simple: "LEAST_REQUEST" }],
  ])("maps loadBalancer simple %s to Istio's LEAST_REQUEST", async (simple, expected) => {
    const t = await withDestination(`{host: shop.internal, port: {number: 80}}`, shop + dr("shop", `host: shop.internal\ntrafficPolicy: {loadBalancer: {simple: ${simple}}}`));
    expect(t.clusters["shop.internal||80"]!.trafficPolicy!.loadBalancer).toEqual(expected);
  });

  it("converts a consistentHash cookie ttl to seconds", async () => {
    const t = await withDestination(`{host: shop.internal, port: {number: 80}}`, shop + dr("shop", `host: shop.internal\ntrafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: u, ttl: 1h, path: /}}}}`));
    expect(t.clusters["shop.internal||80"]!.trafficPolicy!.loadBalancer).toEqual({ consistentHash: { httpCookie: { name: "u", path: "/", ttlSeconds: 3600 } } });
  });

  it("merges several DestinationRules for a host: subsets concatenated, first trafficPolicy wins", async () => {
    const t = await withDestination(`{host: shop.internal, subset: two, port: {number: 80}}`, shop +
      dr("a-first", `host: shop.internal\ntrafficPolicy: {loadBalancer: {simple: RANDOM}}\nsubsets: [{name: one, labels: {v: "1"}}]`) +
      dr("b-second", `host: shop.internal\ntrafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\nsubsets: [{name: two, labels: {v: "1"}}]`));
    expect(t.clusters["shop.internal|two|80"]).toMatchObject({ subset: "two", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } });
    expect(t.clusters["shop.internal|two|80"]!.endpoints).toHaveLength(1);
  });
});
