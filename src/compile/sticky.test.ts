import { describe, expect, it } from "vitest";
import { clusterKey, type Cluster, type LoadBalancer, type WeightedDestination } from "../table/types.ts";
import {
  DEFAULT_COOKIE,
  DEFAULT_TTL_SECONDS,
  parseStickyAnnotation,
  STICKY_ANNOTATION,
  stickySplitFor,
  type StickyInput,
  type StickyVirtualService,
} from "./sticky.ts";

interface Reported {
  severity: string;
  path: string;
  message: string;
  code: string;
}

function sink(): { issues: Reported[]; report: StickyInput["report"] } {
  const issues: Reported[] = [];
  return { issues, report: (severity, path, message, code) => issues.push({ severity, path: path.join("."), message, code }) };
}

// stickySplitFor is one pass of the compiler: its inputs are a rule's destinations and a cluster
// lookup (not a route table), built here directly. Sticky splits compiled from YAML are covered by
// test/e2e/ab.test.ts and test/worker/analytics.test.ts.
function dest(host: string, subset: string | undefined, weight: number): WeightedDestination {
  return { host, subset, weight, cluster: clusterKey(host, subset) };
}

function cluster(host: string, subset: string | undefined, lb?: LoadBalancer): Cluster {
  return { host, subset, endpoints: [], external: false, ...(lb ? { trafficPolicy: { loadBalancer: lb } } : {}) };
}

function vs(annotations?: Record<string, string>, ruleNames: Array<string | undefined> = ["home-ab"]): StickyVirtualService {
  return {
    metadata: { name: "www", namespace: "web", ...(annotations ? { annotations } : {}) },
    spec: { http: ruleNames.map((name) => (name ? { name } : {})) },
  };
}

const cookieLb = (name: string, ttlSeconds?: number, path?: string): LoadBalancer => ({
  consistentHash: { httpCookie: { name, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}), ...(path ? { path } : {}) } },
});

function run(v: StickyVirtualService, destinations: WeightedDestination[], clusters: Cluster[] = [], ruleIndex = 0) {
  const s = sink();
  const byKey = new Map(clusters.map((c) => [clusterKey(c.host, c.subset, c.port), c]));
  const sticky = stickySplitFor({ vs: v, ruleIndex, destinations, clusterOf: (k) => byKey.get(k), report: s.report });
  return { sticky, issues: s.issues };
}

const AB = [dest("a.origin.example", undefined, 50), dest("b.origin.example", undefined, 50)];
const SUBSETS = [dest("www.svc", "v1", 90), dest("www.svc", "v2", 10)];

describe("parseStickyAnnotation", () => {
  const ok: Array<[string, string, object]> = [
    ["applies every default to an empty value", "", { cookie: DEFAULT_COOKIE, ttlSeconds: DEFAULT_TTL_SECONDS, path: "/" }],
    ["reads cookie, ttl in seconds and path", "cookie=ab_visitor; ttl=2592000; path=/shop", { cookie: "ab_visitor", ttlSeconds: 2592000, path: "/shop" }],
    ["reads an Istio-style duration ttl", "ttl=720h", { ttlSeconds: 2592000 }],
    ["treats ttl 0 as a session cookie", "ttl=0s", { ttlSeconds: 0 }],
    ["splits the rules list on commas and trims", "rules= home-ab , hero", { rules: ["home-ab", "hero"] }],
    ["tolerates a trailing semicolon and spaces", " cookie=x ; ", { cookie: "x" }],
  ];
  it.each(ok)("%s", (_n, value, expected) => {
    const s = sink();
    expect(parseStickyAnnotation(value, s.report)).toMatchObject(expected);
    expect(s.issues).toEqual([]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["rejects an unknown key and lists the allowed ones", "cokie=x", /unknown key "cokie"; allowed: cookie, ttl, path, rules/],
    ["rejects a cookie name with a space", "cookie=a b", /RFC 6265 cookie name/],
    ["rejects a ttl without unit that is not an integer", "ttl=1.5", /ttl must be whole seconds/],
    ["rejects a ttl with sub-second precision", "ttl=1500ms", /ttl must be whole seconds/],
    ["rejects a relative path", "path=shop", /path must start with "\/"/],
    ["rejects an item without '='", "sticky", /expected "key=value"/],
    ["rejects a repeated key", "ttl=1; ttl=2", /"ttl" is given twice/],
    ["rejects an empty rules list", "rules=,", /rules must name at least one/],
  ];
  it.each(bad)("%s", (_n, value, message) => {
    const s = sink();
    expect(parseStickyAnnotation(value, s.report)).toBeUndefined();
    expect(s.issues.map((i) => i.message).join("\n")).toMatch(message);
    expect(s.issues.every((i) => i.path === `metadata.annotations.${STICKY_ANNOTATION}` && i.severity === "error")).toBe(true);
  });

  it("warns about a ttl beyond the 400-day browser cap but keeps it", () => {
    const s = sink();
    expect(parseStickyAnnotation("ttl=10000h", s.report)).toMatchObject({ ttlSeconds: 10000 * 3600 });
    expect(s.issues).toMatchObject([{ severity: "warning", code: "sticky-ttl" }]);
  });
});

describe("stickySplitFor: the VirtualService annotation", () => {
  it("makes a split across different hosts sticky, identified by namespace/name/rule name", () => {
    const { sticky, issues } = run(vs({ [STICKY_ANNOTATION]: "cookie=ab_visitor; ttl=30m" }), AB);
    expect(sticky).toEqual({ cookie: "ab_visitor", ttlSeconds: 1800, path: "/", splitId: "web/www/home-ab" });
    expect(issues).toEqual([]);
  });

  it("uses http[i] for an unnamed rule and warns that its identity is its position", () => {
    const { sticky, issues } = run(vs({ [STICKY_ANNOTATION]: "cookie=ab" }, ["forced", undefined]), AB, [], 1);
    expect(sticky?.splitId).toBe("web/www/http[1]");
    expect(issues).toMatchObject([{ severity: "warning", code: "sticky-unnamed-rule", path: "spec.http.1" }]);
  });

  it("gives each delegated split its own identity from the compiled rule name", () => {
    const v = vs({ [STICKY_ANNOTATION]: "rules=shop-hero" }, ["shop"]);
    const s = sink();
    const sticky = stickySplitFor({ vs: v, ruleIndex: 0, ruleName: "shop-hero", destinations: AB, clusterOf: () => undefined, report: s.report });
    expect(sticky?.splitId).toBe("web/www/shop-hero");
    expect(s.issues).toEqual([]);
  });

  it("warns about a delegated split whose delegate rule is unnamed", () => {
    const s = sink();
    stickySplitFor({ vs: vs({ [STICKY_ANNOTATION]: "" }, ["shop"]), ruleIndex: 0, ruleName: "shop-http[1]", destinations: AB, clusterOf: () => undefined, report: s.report });
    expect(s.issues).toMatchObject([{ code: "sticky-unnamed-rule" }]);
  });

  it("leaves a rule not listed in rules= a plain random split", () => {
    const { sticky } = run(vs({ [STICKY_ANNOTATION]: "rules=other" }, ["home-ab", "other"]), AB, [], 0);
    expect(sticky).toBeUndefined();
  });

  it("reports a rules= name that no rule has", () => {
    const { issues } = run(vs({ [STICKY_ANNOTATION]: "rules=hom-ab" }), AB);
    expect(issues).toMatchObject([{ severity: "error", message: expect.stringMatching(/no spec.http\[\] rule has that name/) }]);
  });

  it("does not make a single destination sticky (no cookie needed) and warns when rules= names it", () => {
    const { sticky, issues } = run(vs({ [STICKY_ANNOTATION]: "rules=home-ab" }), [dest("a.origin.example", undefined, 100)]);
    expect(sticky).toBeUndefined();
    expect(issues).toMatchObject([{ severity: "warning", code: "sticky-single" }]);
  });

  it("is not sticky when the annotation is invalid (the error fails the compile)", () => {
    const { sticky, issues } = run(vs({ [STICKY_ANNOTATION]: "cookie=" }), AB);
    expect(sticky).toBeUndefined();
    expect(issues[0]?.severity).toBe("error");
  });

  it("wins over a DestinationRule cookie", () => {
    const { sticky } = run(vs({ [STICKY_ANNOTATION]: "cookie=ab" }), SUBSETS, [
      cluster("www.svc", "v1", cookieLb("lb", 60)),
      cluster("www.svc", "v2", cookieLb("lb", 60)),
    ]);
    expect(sticky?.cookie).toBe("ab");
  });
});

describe("stickySplitFor: DestinationRule consistentHash.httpCookie", () => {
  it("makes a split across the host's subsets sticky on the DR cookie, gateway-owned when ttl is set", () => {
    const { sticky, issues } = run(vs(), SUBSETS, [cluster("www.svc", "v1", cookieLb("u", 3600, "/")), cluster("www.svc", "v2", cookieLb("u", 3600, "/"))]);
    expect(sticky).toEqual({ cookie: "u", ttlSeconds: 3600, path: "/", splitId: "web/www/home-ab" });
    expect(issues).toEqual([]);
  });

  it("keeps ttl 0s as a session cookie the gateway still mints (Envoy generates with ttl 0)", () => {
    const { sticky } = run(vs(), SUBSETS, [cluster("www.svc", "v1", cookieLb("u", 0)), cluster("www.svc", "v2", cookieLb("u", 0))]);
    expect(sticky).toMatchObject({ ttlSeconds: 0 });
    expect(sticky?.appOwned).toBeUndefined();
  });

  it("marks a cookie without ttl as application-owned (Envoy never generates it)", () => {
    const { sticky } = run(vs(), SUBSETS, [cluster("www.svc", "v1", cookieLb("JSESSIONID")), cluster("www.svc", "v2", cookieLb("JSESSIONID"))]);
    expect(sticky).toMatchObject({ cookie: "JSESSIONID", appOwned: true });
  });

  it("stays a plain split without any consistentHash cookie", () => {
    const { sticky, issues } = run(vs(), SUBSETS, [cluster("www.svc", "v1"), cluster("www.svc", "v2", { simple: "ROUND_ROBIN" })]);
    expect(sticky).toBeUndefined();
    expect(issues).toEqual([]);
  });

  it("warns and stays random when only one subset hashes the cookie", () => {
    const { sticky, issues } = run(vs(), SUBSETS, [cluster("www.svc", "v1", cookieLb("u", 60)), cluster("www.svc", "v2")]);
    expect(sticky).toBeUndefined();
    expect(issues).toMatchObject([{ severity: "warning", code: "sticky-inconsistent" }]);
  });

  it("warns when subsets override the cookie with different names", () => {
    const { sticky, issues } = run(vs(), SUBSETS, [cluster("www.svc", "v1", cookieLb("u", 60)), cluster("www.svc", "v2", cookieLb("w", 60))]);
    expect(sticky).toBeUndefined();
    expect(issues[0]?.code).toBe("sticky-inconsistent");
  });

  it("ignores a destination whose cluster cannot exist (it answers 503 regardless)", () => {
    const missing: WeightedDestination = { host: "www.svc", subset: "v3", weight: 5, cluster: null };
    const { sticky } = run(vs(), [...SUBSETS, missing], [cluster("www.svc", "v1", cookieLb("u", 60)), cluster("www.svc", "v2", cookieLb("u", 60))]);
    expect(sticky?.cookie).toBe("u");
  });
});
