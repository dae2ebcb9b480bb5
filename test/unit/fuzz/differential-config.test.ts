/**
 * Differential test end to end: random Istio CONFIGS (Gateway + several VirtualServices with
 * random matches and actions + DestinationRule + ServiceEntry, written as YAML) → loadConfig →
 * compile → decide() against the naive in-order reference matcher (test/reference/naive-decide.ts)
 * on random requests, under the same dice. test/unit/match/differential.test.ts does the same on
 * random compiled tables; this one also covers what the compiler makes of real YAML (host
 * binding, VirtualService merge order, catch-alls last, match expansion, regex translation).
 */
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/compile/index.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { decide } from "../../../src/decide.ts";
import type { Decision } from "../../../src/decision.ts";
import { factsFromParts } from "../../../src/match/facts.ts";
import { headersFromObject } from "../../../src/match/headers.ts";
import { prepare } from "../../../src/prepare.ts";
import { naiveDecide } from "../../reference/naive-decide.ts";

export const CONFIG_RUNS = 300;
export const REQUESTS_PER_CONFIG = 25;
const counts = { configs: 0, compiled: 0, requests: 0, forward: 0, noRoute: 0, other: 0 };

type Obj = Record<string, unknown>;

const stringMatch = (values: string[], regexes: string[]) =>
  fc.oneof(
    fc.constantFrom(...values).map((v) => ({ exact: v })),
    // An empty prefix is only valid for uri (Istio); headers use {} for presence.
    fc.constantFrom(...values.filter((v) => v !== "")).map((v) => ({ prefix: v })),
    fc.constantFrom(...regexes).map((v) => ({ regex: v })),
  );

const URI_VALUES = ["/", "/a", "/a/", "/ab", "/a/b", "/A", "/api", "/api/v1", "/b"];
const URI_REGEXES = ["/a.*", "/api/v[0-9]+(/.*)?", "(?i)/A/.*", "/[ab]", ".*", "/a|/b", "[^/]*/b"];
const VALUE_VALUES = ["1", "a", "ab", "", "v1"];
const VALUE_REGEXES = ["[0-9]+", "a.*", ".*", "v[12]"];

const matchArb: fc.Arbitrary<Obj> = fc.record(
  {
    uri: stringMatch(URI_VALUES, URI_REGEXES),
    ignoreUriCase: fc.boolean(),
    method: fc.constantFrom({ exact: "GET" }, { exact: "POST" }, { regex: "GET|HEAD" }),
    scheme: fc.constantFrom({ exact: "https" }, { exact: "http" }),
    authority: fc.constantFrom({ exact: "a.com:8080" }, { prefix: "b." }, { regex: "(?i)A\\.COM" }),
    headers: fc.dictionary(fc.constantFrom("x-a", "x-b"), stringMatch(VALUE_VALUES, VALUE_REGEXES), { maxKeys: 2 }),
    withoutHeaders: fc.dictionary(fc.constantFrom("x-a", "x-c"), stringMatch(VALUE_VALUES, VALUE_REGEXES), { maxKeys: 1 }),
    queryParams: fc.dictionary(fc.constantFrom("q", "Q"), stringMatch(VALUE_VALUES, VALUE_REGEXES), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

const destination = fc.constantFrom(
  { host: "svc-a.internal" },
  { host: "svc-b.internal", subset: "v1" },
  { host: "svc-b.internal", subset: "v2" },
  { host: "svc-c.internal" }, // no endpoints: noHealthyUpstream
);

const actionArb: fc.Arbitrary<Obj> = fc.oneof(
  { weight: 5, arbitrary: fc.array(destination, { minLength: 1, maxLength: 3 }).map((ds) => ({ route: ds.map((destination, i) => ({ destination, weight: 10 * (i + 1) })) })) },
  { weight: 1, arbitrary: fc.constantFrom<Obj>({ redirect: { uri: "/moved", redirectCode: 302 } }, { redirect: { scheme: "https" } }) },
  { weight: 1, arbitrary: fc.constantFrom<Obj>({ directResponse: { status: 418, body: { string: "teapot" } } }, { directResponse: { status: 204 } }) },
);

const ruleArb: fc.Arbitrary<Obj> = fc
  .record({ match: fc.option(fc.array(matchArb, { minLength: 1, maxLength: 2 }), { freq: 5 }), action: actionArb, rewrite: fc.option(fc.constantFrom("/", "/x/"), { freq: 4 }) })
  .map(({ match, action, rewrite }) => {
    const rule: Obj = { ...action };
    if (match) rule.match = match;
    if (rewrite !== null && "route" in action) rule.rewrite = { uri: rewrite };
    return rule;
  });

const vsArb = fc.record({
  // Hosts of one VirtualService may not overlap (Istio validation); across VirtualServices they may.
  hosts: fc.constantFrom(["a.com"], ["*.a.com"], ["b.a.com"], ["*"], ["a.com", "b.a.com"], ["a.com", "*.a.com"]),
  http: fc.array(ruleArb, { minLength: 1, maxLength: 6 }),
});

function configYaml(vss: Array<{ hosts: readonly string[]; http: Obj[] }>): string {
  const docs: Obj[] = [
    { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "gw" }, spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }, { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "SIMPLE", credentialName: "edge-cert" } }] } },
    ...vss.map((vs, i) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      // creationTimestamp orders VirtualServices of one host (ISTIO-SEMANTICS §1.2 merging).
      metadata: { name: `vs-${i}`, creationTimestamp: `2026-01-0${(i % 9) + 1}T00:00:00Z` },
      spec: { hosts: vs.hosts, gateways: ["gw"], http: vs.http },
    })),
    { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "b" }, spec: { host: "svc-b.internal", subsets: [{ name: "v1", labels: { v: "1" } }, { name: "v2", labels: { v: "2" } }] } },
    ...["a", "b", "c"].map((n) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: `svc-${n}` },
      spec: {
        hosts: [`svc-${n}.internal`],
        ports: [{ number: 80, name: "http", protocol: "HTTP" }],
        resolution: "STATIC",
        endpoints: n === "c" ? [] : [{ address: "127.0.0.1", ports: { http: 9001 }, labels: { v: "1" } }, { address: "127.0.0.1", ports: { http: 9002 }, labels: { v: "2" } }],
      },
    })),
  ];
  return docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join("---\n");
}

const SEGMENTS = ["a", "A", "ab", "b", "api", "v1", "v2", "x", "%41", "", "..", "%2F"];
const requestArb = fc.record({
  scheme: fc.constantFrom<"http" | "https">("http", "https"),
  host: fc.constantFrom("a.com", "A.com", "b.a.com", "c.a.com", "a.com:8080", "other.org"),
  method: fc.constantFrom("GET", "POST", "HEAD"),
  segments: fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }),
  query: fc.array(fc.tuple(fc.constantFrom("q", "Q"), fc.constantFrom("1", "a", "ab", "v1", "")), { maxLength: 2 }),
  headers: fc.dictionary(fc.constantFrom("x-a", "x-b", "x-c"), fc.constantFrom("1", "a", "ab", "", "v1", "12", "a".repeat(8200))),
});

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What must agree: the matched route, the action kind and the destination. */
function summary(d: Decision) {
  return {
    kind: d.kind,
    vhost: "match" in d ? d.match.vhost : "vhost" in d ? d.vhost : undefined,
    route: "match" in d ? d.match.routeIndex : undefined,
    destination: d.kind === "forward" ? `${d.target.destination.host}/${d.target.destination.subset ?? ""}` : undefined,
  };
}

describe(`decide() vs the naive reference on random configs (${CONFIG_RUNS} configs × ${REQUESTS_PER_CONFIG} requests)`, () => {
  it("same route, action and destination — and the same whole decision under the same dice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(vsArb, { minLength: 1, maxLength: 3 }), fc.array(requestArb, { minLength: REQUESTS_PER_CONFIG, maxLength: REQUESTS_PER_CONFIG }), fc.integer(), async (vss, requests, seed) => {
        counts.configs++;
        const files = [{ path: "routes/random.yaml", text: configYaml(vss) }];
        const loaded = loadConfig(files);
        const errors = loaded.issues.filter((i) => i.severity === "error");
        // Generated configs are valid by construction; a load error here is a generator or validator bug.
        expect(errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`)).toEqual([]);
        const { table, issues } = await compile(loaded.objects, { sources: ["routes/random.yaml"] });
        expect(issues.filter((i) => i.severity === "error")).toEqual([]);
        counts.compiled++;
        const prepared = prepare(JSON.parse(JSON.stringify(table)));
        for (const r of requests) {
          const query = r.query.length ? "?" + r.query.map(([k, v]) => `${k}=${v}`).join("&") : "";
          const f = factsFromParts({ method: r.method, scheme: r.scheme, authority: r.host, path: "/" + r.segments.join("/"), query, headers: headersFromObject({ ...r.headers, host: r.host }) });
          if ("error" in f) continue;
          counts.requests++;
          const mine = decide(prepared, f, { rand: seeded(seed), now: 0 });
          const ref = naiveDecide(prepared, f, { rand: seeded(seed), now: 0 });
          expect(summary(mine)).toEqual(summary(ref));
          expect(mine).toEqual(ref);
          if (mine.kind === "forward") counts.forward++;
          else if (mine.kind === "noRoute") counts.noRoute++;
          else counts.other++;
        }
      }),
      { numRuns: CONFIG_RUNS, seed: 31337, endOnFailure: true },
    );
    console.log(`differential: ${counts.configs} configs compiled from YAML, ${counts.requests} requests (${counts.forward} forward, ${counts.noRoute} noRoute, ${counts.other} other) — identical decisions`);
    // The generator must exercise every outcome, or the comparison proves little.
    expect(counts.forward).toBeGreaterThan(500);
    expect(counts.noRoute).toBeGreaterThan(100);
    expect(counts.other).toBeGreaterThan(100);
  }, 180_000);
});
