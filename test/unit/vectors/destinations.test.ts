/**
 * ISTIO-SEMANTICS §2.16 vectors #21–#25, #33, #37–#39, #43: weighted destinations, fault
 * injection, mirroring, header operations, what happens when the destination cannot be reached,
 * and the consistent-hash cookie that pins an endpoint.
 * Every row: YAML → loadConfig → compile → prepare → factsFromRequest → decide. (#26–#32 are
 * timeouts and retries against live origins: test/e2e/resilience.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { clusterKey } from "../../../src/table/types.ts";
import { applyHeaderOps } from "../../../src/actions/header-ops.ts";
import { prepare } from "../../../src/prepare.ts";
import { build, forwarded, gatewayWith, gatewayYaml, outcome, POOL, reached, rule, runVector, send, SERVICES, vs, type Vector } from "./pipeline.ts";

const SPLIT_25_75 = vs(`    - route:
        - { destination: { host: s1 }, weight: 25 }
        - { destination: { host: s2 }, weight: 75 }
`);
const SPLIT_1_3 = vs(`    - route:
        - { destination: { host: s1 }, weight: 1 }
        - { destination: { host: s2 }, weight: 3 }
`);

const vectors: Vector[] = [
  // #21: Envoy pickWeightedCluster: die × Σweights, first destination whose running sum exceeds it.
  { name: "#21 weights 25/75: die 0 goes to the first destination", config: [SPLIT_25_75], url: "http://a.com/", req: { random: 0 }, expect: { kind: "forward", to: "s1" } },
  { name: "#21 weights 25/75: die 0.2499 is still inside the first 25%", config: [SPLIT_25_75], url: "http://a.com/", req: { random: 0.2499 }, expect: { kind: "forward", to: "s1" } },
  { name: "#21 weights 25/75: die 0.25 starts the second destination's 75%", config: [SPLIT_25_75], url: "http://a.com/", req: { random: 0.25 }, expect: { kind: "forward", to: "s2" } },
  { name: "#21 weights 1/3 split at the same die as 25/75 (weights are relative)", config: [SPLIT_1_3], url: "http://a.com/", req: { random: 0.25 }, expect: { kind: "forward", to: "s2" } },

  // #22: a single destination ignores its weight.
  {
    name: "#22 a single destination with weight 0 still gets every request",
    config: [vs("    - route: [{ destination: { host: s1 }, weight: 0 }]\n")],
    url: "http://a.com/x",
    req: { random: 0.99 },
    expect: { kind: "forward", to: "s1", path: "/x" },
  },

  // #24: the fault filter runs before the router: no upstream, no mirror, whatever the die.
  {
    name: "#24 fault abort 500 at 100%: 500 from the gateway, upstream and mirror not contacted",
    config: [vs(rule(null, "s1", "      fault: { abort: { httpStatus: 500, percentage: { value: 100 } } }\n      mirror: { host: s3 }\n"))],
    url: "http://a.com/",
    req: { random: 0.999 },
    expect: { kind: "faultAbort", status: 500, delayMs: 0 },
  },
  // #25: `percentage` absent ⇒ Istio falls back to the deprecated integer `percent`, default 0.
  {
    name: "#25 fault abort without percentage never fires, even on the lowest die",
    config: [vs(rule(null, "s1", "      fault: { abort: { httpStatus: 500 } }\n"))],
    url: "http://a.com/",
    req: { random: 0 },
    expect: { kind: "forward", to: "s1" },
  },

  // #33: the primary answers; the mirror gets a copy of the same (rewritten) path. (Host without
  // `-shadow` on Istio ≥ 1.28 is the forward layer's part.)
  {
    name: "#33 mirror s2: the request goes to s1 and a copy of /p to s2",
    config: [vs(rule(null, "s1", "      mirror: { host: s2 }\n"))],
    url: "http://a.com/p?q=1",
    expect: { kind: "forward", to: "s1", url: "http://s1.origin.example/p?q=1", mirrors: ["http://s2.origin.example/p?q=1"] },
  },

  // #39: the subset exists but selects no endpoint ⇒ Envoy UH, 503 `no healthy upstream`.
  {
    name: "#39 a subset whose labels select no endpoint: 503 no healthy upstream",
    config: [
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: s2 }
spec:
  host: s2
  subsets: [{ name: canary, labels: { track: canary } }]
`,
      vs("    - route: [{ destination: { host: s2, subset: canary } }]\n"),
    ],
    url: "http://a.com/",
    expect: { kind: "noHealthyUpstream", to: "s2/canary" },
  },
];

describe("ISTIO-SEMANTICS §2.16 vectors #21–#25, #33, #37–#39, #43 (destinations, faults, mirrors, headers, hashing)", () => {
  it.each(vectors)("$name", async (v) => {
    expect(await runVector(v)).toMatchObject(v.expect);
  });

  it("#21 weights 25/75 and 1/3 give exactly 250/750 over 1,000 evenly spread dice", async () => {
    for (const split of [SPLIT_25_75, SPLIT_1_3]) {
      const table = await gatewayWith(split);
      const counts: Record<string, number> = {};
      for (let i = 0; i < 1000; i++) {
        const to = reached(send(table, "http://a.com/", { random: i / 1000 }));
        counts[to] = (counts[to] ?? 0) + 1;
      }
      expect(counts).toEqual({ s1: 250, s2: 750 });
    }
  });

  it('#23 two destinations both with weight 0: the config is rejected ("total destination weight = 0")', async () => {
    const b = await build(gatewayYaml(), SERVICES, vs(`    - route:
        - { destination: { host: s1 }, weight: 0 }
        - { destination: { host: s2 }, weight: 0 }
`));
    expect(b.table).toBeNull();
    const errors = b.issues.filter((i) => i.severity === "error");
    expect(errors.map((i) => i.path)).toEqual(["spec.http[0].route"]);
    expect(errors[0]!.message).toMatch(/add up to 0/);
  });

  // #37: per list, remove → set → add (Envoy evaluateHeaders after Istio's set-before-add order).
  it("#37 request headers set x, add y, remove z: upstream gets x: 1, y: 1 and 2, no z", async () => {
    const table = await gatewayWith(vs(rule(null, "s1", "      headers:\n        request: { set: { x: \"1\" }, add: { y: \"2\" }, remove: [z] }\n")));
    const incoming = { x: "0", y: "1", z: "9" };
    const d = forwarded(send(table, "http://a.com/", { headers: incoming }));
    const upstream = new Headers(incoming);
    applyHeaderOps(upstream, d.requestHeaders, {});
    // Headers.get joins the two values of y with ", " (RFC 9110 §5.3): two values, 1 then 2.
    expect([upstream.get("x"), upstream.get("y"), upstream.get("z")]).toEqual(["1", "1, 2", null]);
  });

  // #38: Istio accepts the config and Envoy answers 503 (NC) at run time. The edge rejects it at
  // validation instead, with file:line:col (DESIGN.md §1: "a bad config was rejected … nothing
  // broke"); decide() still has the Envoy answer for a table whose cluster is missing.
  it("#38 a subset no DestinationRule defines is rejected at validation, located at the subset", async () => {
    const b = await build(gatewayYaml(), SERVICES, vs("    - route: [{ destination: { host: s1, subset: v3 } }]\n"));
    expect(b.table).toBeNull();
    const errors = b.issues.filter((i) => i.severity === "error");
    expect(errors.map((i) => [i.path, i.code])).toEqual([["spec.http[0].route[0].destination.subset", "reference"]]);
    expect(errors[0]!.message).toMatch(/subset "v3" is not defined for host "s1"/);
  });

  it("#38 a route whose cluster is missing from the table gets 503 with an empty body (Envoy NC)", async () => {
    const b = await build(gatewayYaml(), SERVICES, vs("    - route: [{ destination: { host: s1, subset: v1 } }]\n"));
    const table = structuredClone(b.table!);
    const key = clusterKey("s1", "v1", 80);
    expect(Object.keys(table.clusters)).toContain(key);
    delete table.clusters[key];
    expect(outcome(send(prepare(table), "http://a.com/"))).toEqual({ kind: "clusterNotFound", to: "s1/v1" });
  });

  // #43: DestinationRule consistentHash.httpCookie with ttl 0s: Envoy generates the cookie when
  // it is missing (a session cookie: no Max-Age), hashes this request with it, and every later
  // request carrying it hashes to the same endpoint whatever the dice.
  describe("#43 consistentHash.httpCookie {name: u, ttl: 0s}", () => {
    const HASHED = [
      POOL,
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: pool }
spec:
  host: pool
  trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: u, ttl: 0s } } } }
`,
      vs("    - route: [{ destination: { host: pool } }]\n"),
    ];

    it("#43 the first request without the cookie gets Set-Cookie u=\"<16 hex>\"; HttpOnly (session cookie)", async () => {
      const table = await gatewayWith(...HASHED);
      const d = forwarded(send(table, "http://a.com/", { random: 0.3 }));
      expect(d.setCookies).toHaveLength(1);
      expect(d.setCookies[0]).toMatch(/^u="[0-9a-f]{16}"; HttpOnly$/);
    });

    it("#43 sending the cookie back reaches the same endpoint on any die and sets no new cookie", async () => {
      const table = await gatewayWith(...HASHED);
      const first = forwarded(send(table, "http://a.com/", { random: 0.3 }));
      const cookie = first.setCookies[0]!.split(";")[0]!; // u="…"
      for (const random of [0, 0.5, 0.99]) {
        const later = forwarded(send(table, "http://a.com/later", { random, headers: { cookie } }));
        expect([later.target.endpoint.url, later.setCookies]).toEqual([first.target.endpoint.url, []]);
      }
    });

    it("#43 different cookie values spread over the endpoints, each value always to the same one", async () => {
      const table = await gatewayWith(...HASHED);
      const endpoints = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const cookie = `u="${i.toString(16).padStart(16, "0")}"`;
        const a = forwarded(send(table, "http://a.com/", { random: 0.1, headers: { cookie } })).target.endpoint.url;
        const b = forwarded(send(table, "http://a.com/", { random: 0.9, headers: { cookie } })).target.endpoint.url;
        expect(b).toBe(a);
        endpoints.add(a);
      }
      expect(endpoints.size).toBeGreaterThan(1);
    });
  });
});
