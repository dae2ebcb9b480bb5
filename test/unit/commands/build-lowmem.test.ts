/**
 * The bounded-memory build (issue #16 item 2: `build(paths, { lowMemory: true })` of
 * scripts/lib/build.ts reads, validates and compiles one file at a time and gives a lazy table)
 * against the whole build it replaces (`lowMemory: false`: every file loaded and compiled at once,
 * then `analyze(objects, table)` merged as `routes validate` did). For every config below, both
 * as validate calls it (analyze findings included) and as push calls it (keepObjects false):
 * the same formatted findings in the same order (file:line:col), the same error and warning
 * counts and sources, the same table (every route, CLI-only fields too), canonical bytes, hash,
 * summary line and shards.
 *
 * Corpus: the repository's configs (routes/, examples/, Istio's samples one file at a time), the
 * Gateway API conformance folders (with their shared base files), every case of the Istio
 * conformance corpus (alone, and each file's cases as one folder of many files: duplicate names,
 * errors in many files), the configs test fixtures build (attack, hardening, canary, rollout,
 * the compile benchmark's generator), hand-written multi-file configs (one host's
 * VirtualServices over several files, delegates away from their roots, Canaries, HTTPRoutes,
 * DestinationRules and ServiceEntries apart, duplicate names, read errors), generated configs
 * split into files of equal size, and random multi-file configs: structured ones and mutations
 * of the repository's configs (broken values, moved, duplicated and renamed documents, damaged
 * text).
 */
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { load as parseYaml } from "js-yaml";
import { parseAllDocuments, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { build, summaryLine, type BuildOptions, type BuildResult } from "../../../scripts/lib/build.ts";
import { analyze } from "../../../src/analyze/index.ts";
import { formatIssue, sortIssues } from "../../../src/config/index.ts";
import { canonicalJson } from "../../../src/table/codec.ts";
import { shardTable } from "../../../src/table/shards.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import { attackYaml } from "../../fixtures/attack-config.ts";
import { hardeningYaml } from "../../fixtures/hardening-config.ts";
import { canaryYaml, gatewayYaml, shopCanarySplitYaml, virtualServiceYaml, WEB_V1_V2, yamlFile } from "../../fixtures/istio.ts";
import { BASE as ROLLOUT_BASE, GOOD as ROLLOUT_GOOD, canary as rolloutCanary } from "../rollout/fixture.ts";
import { generateConfig } from "../compile/generate.ts";
import { writeEqualFiles } from "../../../bench/cli-memory.ts";
import { writeConfig } from "../../../bench/cli-scale.ts";
import { expandCorpusValue } from "../../fixtures/istio-corpus.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(path.join(tmpdir(), "build-lowmem-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let folders = 0;

/** A folder of `files` (name → text) under the test's temp dir. */
function folder(files: Record<string, string>): string {
  const d = path.join(dir, `c${folders++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), text);
  }
  mkdirSync(d, { recursive: true });
  return d;
}

const WHOLE: BuildOptions = { lowMemory: false };
// validate's build reads every spilled value from the file each time (no cache); push's keeps the default cache.
const BOUNDED_VALIDATE: BuildOptions = { lowMemory: true, keepObjects: false, analyze: true, spillCacheEntries: 0 };
const BOUNDED_PUSH: BuildOptions = { lowMemory: true, keepObjects: false };
const opts = (...parts: BuildOptions[]): BuildOptions => Object.assign({}, ...parts);

/** validate before the bounded build: the whole build, then analyze's findings merged (scripts/commands/validate.ts). */
async function wholeValidate(paths: string[], read: BuildOptions): Promise<BuildResult> {
  const b = await build(paths, opts(read, WHOLE));
  if (b.table && b.objects) {
    const findings = analyze(b.objects, b.table);
    b.issues = sortIssues([...b.issues, ...findings]);
    b.warnings += findings.length;
  }
  return b;
}

/** The table's fields (RouteTable), every field of every route (CLI-only ones too), read through the (lazy) vhosts once. */
function materialized(t: RouteTable): unknown {
  const { tableVersion, hash, istio, listeners, clusters, warnings } = t;
  const vhosts = t.vhosts.map(({ domain, port, httpsRedirect, routes }) => ({ domain, port, httpsRedirect, routes: routes.map((r) => ({ ...r })) }));
  return { tableVersion, hash, istio, listeners, clusters, warnings, vhosts };
}

async function shardBytes(t: RouteTable, hostsPerShard?: number): Promise<string[]> {
  const s = await shardTable(t, hostsPerShard);
  return [s.indexJson, ...s.shards.map((x) => `${x.id} ${x.json}`)];
}

/** The two builds' results must be the same in everything a command prints or stores; both are closed after. */
async function expectSame(whole: BuildResult, bounded: BuildResult, what: string): Promise<void> {
  try {
    await compare(whole, bounded, what);
  } finally {
    whole.close();
    bounded.close();
  }
}

async function compare(whole: BuildResult, bounded: BuildResult, what: string): Promise<void> {
  expect(bounded.issues.map(formatIssue), what).toEqual(whole.issues.map(formatIssue));
  expect({ errors: bounded.errors, warnings: bounded.warnings, sources: bounded.sources }, what).toEqual({ errors: whole.errors, warnings: whole.warnings, sources: whole.sources });
  expect(bounded.objects, `${what}: the bounded build keeps no objects`).toBeNull();
  if (!whole.table) {
    expect(bounded.table, what).toBeNull();
    return;
  }
  expect(bounded.table, what).not.toBeNull();
  const w = whole.table;
  const b = bounded.table!;
  // The bounded table is the lazy one (a VirtualService vhost's routes are read back from the
  // spill file on each access; HTTPRoutes' are not spilled), so the comparison is between the two paths.
  const lazy = (t: RouteTable) => t.vhosts.filter((v) => Object.getOwnPropertyDescriptor(v, "routes")?.get !== undefined).length;
  expect(lazy(w), `${what}: the whole build's routes are plain data`).toBe(0);
  if (w.vhosts.some((v) => v.routes.some((r) => r.precedence === undefined))) expect(lazy(b), `${what}: lazy routes`).toBeGreaterThan(0);
  expect(b.hash, what).toBe(w.hash);
  const bytes = canonicalJson(w);
  expect(canonicalJson(b), what).toBe(bytes);
  expect(summaryLine(b), what).toBe(summaryLine(w));
  expect(materialized(b), what).toEqual(materialized(w));
  expect(await shardBytes(b, 2), what).toEqual(await shardBytes(w, 2));
  expect(await shardBytes(b), what).toEqual(await shardBytes(w));
  // A lazy table read a second time gives the same bytes.
  expect(canonicalJson(b), `${what} (read again)`).toBe(bytes);
}

export interface Compared {
  valid: boolean;
  findings: number;
  errors: number;
  /** Codes of analyze's findings (validate's findings push does not print). */
  analyzed: Set<string>;
}

/** validate's and push's builds, whole and bounded, of `paths`. */
async function same(paths: string[], read: BuildOptions = {}): Promise<Compared> {
  const what = paths.map((p) => path.relative(ROOT, p)).join(" ");
  const whole = await wholeValidate(paths, read);
  await expectSame(whole, await build(paths, opts(read, BOUNDED_VALIDATE)), `validate ${what}`);
  const wholePush = await build(paths, opts(read, WHOLE, { keepObjects: false }));
  await expectSame(wholePush, await build(paths, opts(read, BOUNDED_PUSH)), `push ${what}`);
  const pushSaid = new Set(wholePush.issues.map(formatIssue));
  const analyzed = new Set(whole.issues.filter((i) => !pushSaid.has(formatIssue(i))).map((i) => i.code ?? "?"));
  return { valid: whole.table !== null, findings: whole.issues.length, errors: whole.errors, analyzed };
}

/** Totals over a corpus, so each test can say both outcomes were compared. */
function tally(results: Compared[]): { valid: number; invalid: number; findings: number } {
  return { valid: results.filter((r) => r.valid).length, invalid: results.filter((r) => !r.valid).length, findings: results.reduce((s, r) => s + r.findings, 0) };
}

/** Config files of a folder, recursively (what the CLI reads: *.yaml, *.yml, not *.cases.yaml). */
function configFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? configFiles(path.join(d, e.name)) : /\.ya?ml$/.test(e.name) && !e.name.endsWith(".cases.yaml") ? [path.join(d, e.name)] : []))
    .sort();
}

describe('lowMemory: "auto" (what the commands pass)', () => {
  const lazyVhosts = (t: RouteTable | null) => t!.vhosts.filter((v) => Object.getOwnPropertyDescriptor(v, "routes")?.get !== undefined).length;
  const routesDir = path.join(ROOT, "routes");
  const bytes = readdirSync(routesDir)
    .filter((n) => /\.ya?ml$/.test(n) && !/\.cases\.ya?ml$/.test(n))
    .reduce((n, f) => n + readFileSync(path.join(routesDir, f)).length, 0);

  it("builds in memory below the size and with the spill file from it, with the same result", async () => {
    const below = await build([routesDir], { lowMemory: "auto", lowMemoryFromBytes: bytes + 1, keepObjects: false });
    const from = await build([routesDir], { lowMemory: "auto", lowMemoryFromBytes: bytes, keepObjects: false });
    try {
      expect(lazyVhosts(below.table)).toBe(0);
      expect(lazyVhosts(from.table)).toBeGreaterThan(0);
      expect(canonicalJson(from.table!)).toBe(canonicalJson(below.table!));
      expect(from.issues.map(formatIssue)).toEqual(below.issues.map(formatIssue));
    } finally {
      below.close();
      from.close();
    }
  });

  it("the commands' default size is 4 MiB of route files: the repository's configs build in memory", async () => {
    const b = await build([routesDir], { lowMemory: "auto", keepObjects: false });
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
    expect(lazyVhosts(b.table)).toBe(0);
    b.close();
  });
});

describe("the bounded build gives what the whole build gives", () => {
  it("on the repository's configs (routes/, examples/, Istio's samples file by file)", async () => {
    const results: Compared[] = [];
    for (const p of ["routes", "examples", "examples/canary", "examples/istio", "examples/istio/samples/bookinfo", "examples/istio/samples/helloworld", "examples/istio/samples/httpbin", "examples/istio/samples/websockets"])
      results.push(await same([path.join(ROOT, p)]));
    for (const f of configFiles(path.join(ROOT, "routes"))) results.push(await same([f]));
    // Each bookinfo sample with the gateway and the origins next to it (several paths, one config),
    // the VirtualServices with the DestinationRules that define their subsets.
    const bookinfo = path.join(ROOT, "examples/istio/samples/bookinfo");
    for (const f of configFiles(path.join(bookinfo, "networking"))) {
      const rules = path.basename(f).startsWith("virtual-service") ? [path.join(bookinfo, "networking/destination-rule-all.yaml")] : [];
      results.push(await same([path.join(bookinfo, "origins.yaml"), path.join(bookinfo, "networking/bookinfo-gateway.yaml"), ...rules, f]));
    }
    const t = tally(results);
    expect(t.valid).toBeGreaterThan(10);
    expect(t.invalid).toBeGreaterThan(0);
    expect(t.findings).toBeGreaterThan(0);
  }, 120_000);

  it("on the Gateway API conformance folders (with the shared base files)", async () => {
    const base = path.join(ROOT, "test/conformance/gateway-api");
    const results: Compared[] = [];
    for (const test of readdirSync(path.join(base, "tests")).sort()) {
      const d = path.join(base, "tests", test);
      const paths = [path.join(base, "base/infra.yaml"), ...(existsSync(path.join(d, "gateway.yaml")) ? [] : [path.join(base, "base/same-namespace.yaml")]), d];
      results.push(await same(paths));
    }
    // All of them at once: one config of many HTTPRoutes, Gateways and ReferenceGrants in many files.
    results.push(await same([base]));
    expect(results.length).toBeGreaterThan(40);
    expect(tally(results).valid).toBeGreaterThan(40);
  }, 120_000);

  it("on every case of the Istio conformance corpus, alone and as folders of one file per case", async () => {
    const cdir = path.join(ROOT, "test/conformance/istio");
    const results: Compared[] = [];
    for (const f of readdirSync(cdir).filter((x) => x.endsWith(".yaml")).sort()) {
      const cases = parseYaml(readFileSync(path.join(cdir, f), "utf8")) as IstioCase[];
      const files: Record<string, string> = {};
      cases.forEach((c, i) => (files[`case-${String(i).padStart(3, "0")}.yaml`] = caseConfig(c, i)));
      for (const [name, text] of Object.entries(files)) results.push(await same([folder({ [name]: text })]));
      // The file's cases together: the same names in many files, errors in many files.
      results.push(await same([folder(files)]));
    }
    expect(results.length).toBeGreaterThan(200);
    const t = tally(results);
    expect(t.valid).toBeGreaterThan(50);
    expect(t.invalid).toBeGreaterThan(50);
  }, 300_000);

  it("on the configs the test fixtures build (attack, hardening, canary split, rollout, the compile generator)", async () => {
    const results: Compared[] = [];
    results.push(await same([folder({ "attack.yaml": attackYaml({ origin: 9001, originB: 9002, shadow: 9003 }) })]));
    results.push(await same([folder({ "hardening.yaml": hardeningYaml(9000) })]));
    results.push(await same([folder({ "shop.yaml": shopCanarySplitYaml({ stablePort: 9001, canaryPort: 9002, canaryWeight: 20, hosts: ["shop.example.com"], rule: "checkout" }), "gw.yaml": gatewayYaml({ name: "public" }).replace("{ name: public }", "{ name: public, namespace: web }") })]));
    results.push(await same([folder({ "shop.yaml": ROLLOUT_BASE, "canary.yaml": rolloutCanary(ROLLOUT_GOOD) })]));
    // A Canary naming a rule that does not exist, in its own file.
    results.push(await same([folder({ "shop.yaml": ROLLOUT_BASE, "canary.yaml": rolloutCanary(ROLLOUT_GOOD.replace("rule: checkout", "rule: nope")) })]));
    // The compile benchmark's generator, its documents dealt over five files.
    const docs = generateConfig(40, 8).split("\n---\n");
    const dealt: Record<string, string> = {};
    docs.forEach((d, i) => (dealt[`g${i % 5}.yaml`] = (dealt[`g${i % 5}.yaml`] ? dealt[`g${i % 5}.yaml`] + "\n---\n" : "") + d));
    results.push(await same([folder(dealt)]));
    // bench's generated configs: files of equal size, and files cut at a byte budget.
    const eq = path.join(dir, `c${folders++}`);
    writeEqualFiles(eq, 600, 200);
    results.push(await same([eq]));
    const scale = path.join(dir, `c${folders++}`);
    // Cut at 900 KiB: two files.
    writeConfig(scale, 12_000);
    results.push(await same([scale]));
    const t = tally(results);
    expect(t.valid).toBeGreaterThan(5);
    expect(t.invalid).toBeGreaterThan(0);
  }, 120_000);

  describe("on multi-file configs", () => {
    const GW = gatewayYaml({ hosts: ["*"] });
    const vs = (name: string, hosts: string[], http: string) => virtualServiceYaml(http, { name, hosts, gateways: ["gw"] });
    const dr = (host: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${host.split(".")[0]} }
spec:
  host: ${host}
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
    const se = (host: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${host.split(".")[0]} }
spec:
  hosts: [${host}]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: v1.${host}.example.net, labels: { version: v1 } }, { address: v2.${host}.example.net, labels: { version: v2 } }]
`;
    const to = (host: string, subset?: string) => `route: [{ destination: { host: ${host}${subset ? `, subset: ${subset}` : ""} } }]`;

    it("one host's VirtualServices spread over files (merged in order, a catch-all in the middle file, shadowed rules)", async () => {
      const d = folder({
          "a.yaml": yamlFile(GW, WEB_V1_V2),
          "b/first.yaml": vs("zeta", ["shop.example.com"], `- name: z\n  match: [{ uri: { prefix: /z } }]\n  ${to("web.internal.example", "v1")}`),
          "c.yaml": yamlFile(vs("alpha", ["shop.example.com", "www.example.com"], `- name: a\n  match: [{ uri: { prefix: /a } }]\n  ${to("web.internal.example", "v2")}\n- name: all\n  ${to("web.internal.example")}`)),
          "d.yaml": vs("mid", ["shop.example.com"], `- name: m\n  match: [{ uri: { exact: /a } }]\n  ${to("web.internal.example", "v1")}`),
      });
      const r = await same([d]);
      expect(r.valid).toBe(true);
      // The same files named one by one, in another order than the folder's.
      await same(["d.yaml", "c.yaml", "b/first.yaml", "a.yaml"].map((f) => path.join(d, f)));
      expect(r.findings).toBeGreaterThan(0); // rules after alpha's catch-all are never reached
    });

    it("delegates in other files than their roots (two roots, one delegate; a missing one)", async () => {
      const root = (name: string, host: string, target: string) => vs(name, [host], `- name: to-${target}\n  match: [{ uri: { prefix: /api } }]\n  delegate: { name: ${target} }\n- name: rest\n  ${to("web.internal.example", "v1")}`);
      const leaf = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: leaf }
spec:
  http:
    - name: x
      match: [{ uri: { prefix: /api/x } }]
      ${to("web.internal.example", "v2")}
    - name: rest
      ${to("web.internal.example")}
`;
      const ok = await same([folder({ "1-root.yaml": yamlFile(GW, root("r1", "a.example.com", "leaf")), "2-web.yaml": WEB_V1_V2, "3-root.yaml": root("r2", "b.example.com", "leaf"), "9-leaf.yaml": leaf })]);
      expect(ok.valid).toBe(true);
      const missing = await same([folder({ "1-root.yaml": yamlFile(GW, root("r1", "a.example.com", "nope")), "2-web.yaml": WEB_V1_V2, "9-leaf.yaml": leaf })]);
      expect(missing.valid).toBe(false);
    });

    it("Canaries, DestinationRules and ServiceEntries in files of their own", async () => {
      const analysis = "interval: 30s\nthreshold: 2\nstepWeights: [10, 50]\nminRequests: 20\nsuccessRate: { min: 99 }";
      const canary = canaryYaml("c", { virtualService: "shop", rule: "checkout", primary: "{ host: web.internal.example, subset: v1 }", canary: "{ host: web.internal.example, subset: v2 }", analysis });
      const shop = vs("shop", ["shop.example.com"], `- name: checkout\n  route: [{ destination: { host: web.internal.example, subset: v1 }, weight: 100 }, { destination: { host: web.internal.example, subset: v2 }, weight: 0 }]\n- name: other\n  match: [{ uri: { prefix: /o } }]\n  route: [{ destination: { host: web.internal.example, subset: v1 }, weight: 100 }, { destination: { host: web.internal.example, subset: v2 }, weight: 0 }]`);
      const ok = await same([folder({ "gw.yaml": GW, "shop.yaml": shop, "x/canary.yaml": canary, "y/dr.yaml": dr("web.internal.example"), "z/se.yaml": se("web.internal.example") })]);
      expect(ok.valid).toBe(true);
      // The subset's DestinationRule missing; a Canary whose VirtualService is missing.
      expect((await same([folder({ "gw.yaml": GW, "shop.yaml": shop, "se.yaml": se("web.internal.example") })])).valid).toBe(false);
      expect((await same([folder({ "gw.yaml": GW, "canary.yaml": canary, "dr.yaml": dr("web.internal.example"), "se.yaml": se("web.internal.example") })])).valid).toBe(false);
    });

    it("HTTPRoutes of one hostname in several files (precedence by creation time across files), ReferenceGrants apart", async () => {
      const gw = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: infra }
spec:
  gatewayClassName: edge
  listeners: [{ name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }]
`;
      const svc = (name: string, ns: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: ${ns} }
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  ports: [{ number: 8080, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: ${name}.${ns}.origin.example }]
`;
      const route = (name: string, ns: string, created: string, prefix: string, backend: string, backendNs?: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${ns}, creationTimestamp: "${created}" }
spec:
  parentRefs: [{ name: gw, namespace: infra }]
  hostnames: [shop.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
      backendRefs: [{ name: ${backend}, port: 8080${backendNs ? `, namespace: ${backendNs}` : ""} }]
`;
      const grant = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g, namespace: infra }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps }]
  to: [{ group: "", kind: Service }]
`;
      const files = {
        "0-gw.yaml": yamlFile(gw, svc("a", "infra"), svc("b", "apps")),
        "1-new.yaml": route("newer", "apps", "2026-02-01T00:00:00Z", "/", "b"),
        "2-old.yaml": route("older", "infra", "2025-01-01T00:00:00Z", "/", "a"),
        "3-cross.yaml": route("cross", "apps", "2025-06-01T00:00:00Z", "/x", "a", "infra"),
      };
      // Without the grant the cross-namespace backend is refused; with it in a file of its own, served.
      await same([folder(files)]);
      expect((await same([folder({ ...files, "9-grant.yaml": grant })])).valid).toBe(true);
    });

    it("duplicate names across files, and errors in several files (ordered by file, line, column)", async () => {
      const r = await same([
        folder({
          "a.yaml": yamlFile(GW, WEB_V1_V2),
          "b.yaml": vs("dup", ["a.example.com"], `- ${to("web.internal.example", "v1")}`),
          "c.yaml": yamlFile(vs("dup", ["b.example.com"], `- ${to("web.internal.example", "v9")}`), gatewayYaml({ hosts: ["x.example.com"] })),
          "d.yaml": "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: broken\nspec: [\n",
          "e.yaml": vs("bad", ["c.example.com"], `- ${to("web.internal.example")}\n  timeout: soon`),
          "f.yml": "",
        }),
      ]);
      expect(r.valid).toBe(false);
      expect(r.errors).toBeGreaterThan(2);
    });

    it("read errors: a file over --max-file-bytes, a missing path; several paths with one file twice", async () => {
      const big = folder({ "gw.yaml": GW, "web.yaml": WEB_V1_V2, "big.yaml": vs("big", ["a.example.com"], `- ${to("web.internal.example")}`) + "#".repeat(4000) + "\n" });
      expect((await same([big], { maxFileBytes: 2000 })).valid).toBe(false);
      expect((await same([big, path.join(dir, "no-such-folder")])).valid).toBe(false);
      const web = path.join(big, "web.yaml");
      await same([web, big]);
    });

    it("analyze's findings of every kind, each object in a file of its own", async () => {
      const files = {
        "gw.yaml": gatewayYaml({ hosts: ["a.example.com", "b.example.com"] }),
        "web.yaml": WEB_V1_V2,
        // unreachable-route and duplicate-match after a catch-all; host-not-in-gateway (four).
        "vs/four.yaml": vs("four", ["d.example.com"], `- ${to("web.internal.example")}`),
        "vs/one.yaml": vs("one", ["a.example.com"], `- name: x\n  match: [{ uri: { prefix: /x } }]\n  ${to("web.internal.example", "v1")}\n- name: x-again\n  match: [{ uri: { prefix: /x } }]\n  ${to("web.internal.example", "v2")}\n- name: all\n  ${to("web.internal.example")}`),
        // Shadowed by one's catch-all, from another file; prefix-rewrite-slash; secret-in-response; redirect-loop.
        "vs/two.yaml": vs(
          "two",
          ["a.example.com"],
          `- name: later\n  match: [{ uri: { prefix: /later } }]\n  ${to("web.internal.example", "v1")}`,
        ),
        "vs/three.yaml": vs(
          "three",
          ["b.example.com"],
          [
            `- name: api\n  match: [{ uri: { prefix: /api } }]\n  rewrite: { uri: /v1/ }\n  ${to("web.internal.example", "v1")}`,
            `- name: echo\n  match: [{ uri: { prefix: /echo } }]\n  headers: { response: { set: { x-echo: "%REQ(authorization)%" } } }\n  ${to("web.internal.example", "v2")}`,
            `- name: again\n  match: [{ uri: { prefix: /r } }]\n  redirect: { uri: /r/again }`,
            `- name: loop\n  match: [{ uri: { prefix: /loop } }]\n  ${to("loop.internal")}`,
          ].join("\n"),
        ),
        // request-loop: loop.internal's endpoint is a host this gateway serves.
        "se/loop.yaml": `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: loop }
spec:
  hosts: [loop.internal]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: a.example.com }]
`,
        // unused-destination-rule; empty-subset (no endpoint has version v3).
        "dr/unused.yaml": dr("unused.internal"),
        "dr/web-v3.yaml": `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web-v3 }
spec:
  host: web.internal.example
  exportTo: ["."]
  subsets: [{ name: v3, labels: { version: v3 } }]
`,
        // hostname-not-served: an HTTPRoute hostname no listener of its Gateway takes.
        "k8s/gateway.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: k8s, namespace: default }
spec:
  gatewayClassName: edge
  listeners: [{ name: http, port: 80, protocol: HTTP, hostname: k.example.com }]
`,
        "k8s/route.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: default }
spec:
  parentRefs: [{ name: k8s }]
  hostnames: [k.example.com, z.example.com]
  rules: [{ backendRefs: [{ name: svc, port: 8080 }] }]
`,
        "k8s/svc.yaml": `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: svc, namespace: default }
spec:
  hosts: [svc.default.svc.cluster.local]
  ports: [{ number: 8080, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: svc.origin.example }]
`,
      };
      const r = await same([folder(files)]);
      expect(r.valid, "the config compiles, so analyze runs").toBe(true);
      expect([...r.analyzed].sort()).toEqual(
        expect.arrayContaining(["duplicate-match", "empty-subset", "host-not-in-gateway", "hostname-not-served", "prefix-rewrite-slash", "redirect-loop", "request-loop", "secret-in-response", "unreachable-route", "unused-destination-rule"]),
      );
    });

    it("a mesh-only VirtualService (its finding said once) next to served ones", async () => {
      const mesh = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: mesh }
spec:
  hosts: [web.internal.example]
  http: [{ ${to("web.internal.example", "v1")} }]
`;
      expect((await same([folder({ "a.yaml": yamlFile(GW, WEB_V1_V2), "b.yaml": mesh, "c.yaml": vs("s", ["a.example.com"], `- ${to("web.internal.example")}`) })])).findings).toBeGreaterThan(0);
    });
  });

  it("on random structured configs over several files (hosts shared by files, delegates, Canaries, HTTPRoutes, sticky splits, errors)", async () => {
    const seen = { valid: 0, invalid: 0, files: 0 };
    await fc.assert(
      fc.asyncProperty(structuredConfig, async (files) => {
        const r = await same([folder(files)]);
        seen[r.valid ? "valid" : "invalid"]++;
        seen.files = Math.max(seen.files, Object.keys(files).length);
      }),
      // Seeded, so the coverage checks below cannot fail by the luck of one draw.
      { numRuns: 60, seed: 1604 },
    );
    expect(seen.valid).toBeGreaterThan(5);
    expect(seen.invalid).toBeGreaterThan(5);
    expect(seen.files).toBeGreaterThan(3);
  }, 240_000);

  it("on random mutations of the repository's configs dealt over several files", async () => {
    const seen = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(mutatedConfig, async (files) => {
        const r = await same([folder(files)]);
        seen[r.valid ? "valid" : "invalid"]++;
      }),
      // Seeded, so the coverage checks below cannot fail by the luck of one draw.
      { numRuns: 60, seed: 1605 },
    );
    expect(seen.valid).toBeGreaterThan(3);
    expect(seen.invalid).toBeGreaterThan(3);
  }, 240_000);
});

// ------------------------------------------------------------------------------------------------
// The Istio conformance corpus (test/conformance/istio): each case as a config file.

interface IstioCase {
  kind: "route" | "vs" | "dr" | "se" | "gw";
  name?: string;
  spec: Record<string, unknown>;
}

const KINDS = { vs: "VirtualService", dr: "DestinationRule", se: "ServiceEntry", gw: "Gateway" } as const;

/** The case's object (a route becomes a VirtualService of foo.bar), plus a Gateway `gw` and `somegateway` for the VirtualServices that name them. */
function caseConfig(c: IstioCase, i: number): string {
  const kind = c.kind === "route" ? "vs" : c.kind;
  const spec = expandCorpusValue(c.kind === "route" ? { hosts: ["foo.bar"], gateways: ["gw"], http: [c.spec] } : c.spec);
  const docs: object[] = [{ apiVersion: "networking.istio.io/v1", kind: KINDS[kind], metadata: { name: c.name ?? (kind === "gw" ? "gateway" : "obj"), namespace: "default" }, spec }];
  if (kind === "vs")
    for (const name of ["gw", "somegateway"])
      docs.push({ apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name, namespace: "default" }, spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*/*"] }] } });
  return `# case ${i}\n` + docs.map((d) => stringify(d)).join("---\n");
}

// ------------------------------------------------------------------------------------------------
// Random structured configs: objects dealt over files.

const HOSTS = ["a.com", "b.a.com", "shop.example", "*.a.com", "*.example", "*"];
const DESTS = ["svc-a.internal", "svc-b.internal"];
const actionArb = fc.oneof(
  fc.constantFrom(...DESTS).map((h) => ({ route: [{ destination: { host: h } }] })),
  fc.constantFrom(...DESTS).map((h) => ({ route: [{ destination: { host: h, subset: "v1" } }], timeout: "2s", retries: { attempts: 3, retryOn: "5xx" } })),
  fc.integer({ min: 0, max: 100 }).map((w) => ({ route: [{ destination: { host: "svc-a.internal", subset: "v1" }, weight: w }, { destination: { host: "svc-a.internal", subset: "v2" }, weight: 100 - w }] })),
  fc.constant({ directResponse: { status: 418, body: { string: "teapot" } } }),
  fc.constant({ redirect: { uri: "/moved" } }),
  fc.constant({ route: [{ destination: { host: "svc-a.internal" } }], fault: { abort: { httpStatus: 503, percentage: { value: 10 } } } }),
);
const ruleArb = fc
  .record({
    prefix: fc.option(fc.constantFrom("/a", "/b", "/api", "/a/b"), { freq: 3 }),
    header: fc.option(fc.constantFrom("x", "y"), { freq: 4 }),
    action: actionArb,
    name: fc.option(fc.constantFrom("r", "s"), { freq: 2 }),
  })
  .map(({ prefix, header, action, name }) => ({
    ...(name ? { name } : {}),
    ...(prefix || header ? { match: [{ ...(prefix ? { uri: { prefix } } : {}), ...(header ? { headers: { "x-t": { exact: header } } } : {}) }] } : {}),
    ...action,
  }));
const vsArb = fc.record({
  hosts: fc.constantFrom(["a.com"], ["*.a.com"], ["b.a.com", "shop.example"], ["*"], ["*.example", "a.com"], ["shop.example"]),
  http: fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
  sticky: fc.constantFrom("", "", "cookie=ab_visitor; ttl=1h", "cookie=ab_visitor; ttl=1h; rules=home-ab"),
  delegate: fc.boolean(),
  name: fc.constantFrom("v", "w", "x", "y", "z"),
  created: fc.option(fc.constantFrom("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), { freq: 2 }),
});
/** At most one fault per config, so about half the configs compile and both outcomes are compared. */
const FAULTS = ["timeout", "subset", "nowhere", "leaf-missing", "leaf-twice", "canary-rule", "dup-name", "backend", "yaml"] as const;
type Fault = (typeof FAULTS)[number] | null;
const structuredConfig = fc
  .record({
    vss: fc.array(vsArb, { minLength: 1, maxLength: 8 }),
    httpsHosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { maxLength: 3 }),
    fault: fc.option(fc.constantFrom<Fault>(...FAULTS), { freq: 2 }),
    faultAt: fc.nat(),
    canary: fc.boolean(),
    cookieDr: fc.boolean(),
    httpRoutes: fc.array(fc.record({ host: fc.constantFrom("a.com", "gw.example", "*.a.com"), prefix: fc.constantFrom("/", "/a", "/gw"), created: fc.constantFrom("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), backend: fc.constantFrom("svc-a", "svc-b") }), { maxLength: 3 }),
    files: fc.integer({ min: 1, max: 6 }),
    // Where each document goes (one entry per document, cycled) and the file names' order.
    deal: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
    reverseNames: fc.boolean(),
  })
  .map((c) => {
    const fault = c.fault;
    const servers: object[] = [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }];
    if (c.httpsHosts.length) servers.push({ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: c.httpsHosts, tls: { mode: "SIMPLE", credentialName: "c" } });
    const docs: object[] = [{ apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "gw" }, spec: { servers } }];
    // dup-name: the first and the last VirtualService have the same name (in different files, often).
    const vsName = (i: number) => (fault === "dup-name" && (i === 0 || i === c.vss.length - 1) ? "dup-0" : `${c.vss[i]!.name}-${i}`);
    const faultyRule = { timeout: { route: [{ destination: { host: "svc-a.internal" } }], timeout: "soon" }, subset: { route: [{ destination: { host: "svc-b.internal", subset: "v9" } }] }, nowhere: { route: [{ destination: { host: "nowhere.internal" } }] } } as Record<string, object>;
    const faultVs = c.faultAt % c.vss.length;
    c.vss.forEach((v, i) => {
      // A sticky split naming rule home-ab: the VirtualService's first rule has that name, no other does.
      const homeAb = v.sticky.includes("home-ab");
      const http = v.http.map((r, j) => (homeAb && j === 0 ? { ...r, name: "home-ab" } : "name" in r ? { ...r, name: `${r.name}-${j}` } : r));
      const annotations = v.sticky ? { annotations: { "edge-gateway.dev/sticky-split": v.sticky } } : {};
      const bad = fault && faultyRule[fault] && i === faultVs ? [{ name: "faulty", match: [{ uri: { prefix: "/faulty" } }], ...faultyRule[fault] }] : [];
      docs.push({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: vsName(i), ...annotations, ...(v.created ? { creationTimestamp: v.created } : {}) },
        spec: {
          hosts: v.hosts,
          gateways: ["gw"],
          http: [
            ...(i === 0 && c.canary ? [{ name: "canaried", match: [{ uri: { prefix: "/canaried" } }], route: [{ destination: { host: "svc-a.internal", subset: "v1" }, weight: 100 }, { destination: { host: "svc-a.internal", subset: "v2" }, weight: 0 }] }] : []),
            ...(v.delegate ? [{ name: "to-leaf", match: [{ uri: { prefix: "/d" } }], delegate: { name: "leaf" } }] : []),
            ...bad,
            ...http,
          ],
        },
      });
    });
    const leaf = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "leaf" }, spec: { http: [{ name: "x", match: [{ uri: { prefix: "/d/x" } }], route: [{ destination: { host: "svc-b.internal" } }] }, { route: [{ destination: { host: "svc-a.internal", subset: "v2" } }] }] } };
    if (fault !== "leaf-missing" || !c.vss.some((v) => v.delegate)) docs.push(leaf);
    if (fault === "leaf-twice") docs.push(leaf);
    DESTS.forEach((h, i) => {
      docs.push({ apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name: `se-${i}` }, spec: { hosts: [h], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.1", labels: { version: "v1" } }, { address: "127.0.0.2", labels: { version: "v2" } }] } });
      docs.push({
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: `dr-${i}` },
        spec: { host: h, subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }], ...(c.cookieDr && i === 0 ? { trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "u", ttl: "0s" } } } } } : {}) },
      });
    });
    if (c.canary || fault === "canary-rule")
      docs.push({
        apiVersion: "edge-gateway.dev/v1alpha1",
        kind: "Canary",
        metadata: { name: "ab" },
        spec: {
          target: { virtualService: vsName(0), rule: c.canary && fault !== "canary-rule" ? "canaried" : "no-such-rule" },
          primary: { host: "svc-a.internal", subset: "v1" },
          canary: { host: "svc-a.internal", subset: "v2" },
          analysis: { interval: "10s", stepWeights: [20, 50], threshold: 2, minRequests: 5, successRate: { min: 99 } },
        },
      });
    if (c.httpRoutes.length || fault === "backend") {
      docs.push({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "k8s", namespace: "default" }, spec: { gatewayClassName: "edge", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
      for (const name of ["svc-a", "svc-b"])
        docs.push({ apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name, namespace: "default" }, spec: { hosts: [`${name}.default.svc.cluster.local`], ports: [{ number: 8080, name: "http", protocol: "HTTP" }], resolution: "DNS", endpoints: [{ address: `${name}.origin.example` }] } });
      const routes = fault === "backend" ? [...c.httpRoutes, { host: "gw.example", prefix: "/missing", created: "2026-01-01T00:00:00Z", backend: "missing" }] : c.httpRoutes;
      routes.forEach((r, i) =>
        docs.push({
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { name: `hr-${i}`, namespace: "default", creationTimestamp: r.created },
          spec: { parentRefs: [{ name: "k8s" }], hostnames: [r.host], rules: [{ matches: [{ path: { type: "PathPrefix", value: r.prefix } }], backendRefs: [{ name: r.backend, port: 8080 }] }] },
        }),
      );
    }
    const files: Record<string, string[]> = {};
    docs.forEach((d, i) => {
      const f = c.deal[i % c.deal.length]! % c.files;
      const name = `f${c.reverseNames ? c.files - f : f}.yaml`;
      (files[name] ??= []).push(stringify(d));
    });
    const out = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.join("---\n")]));
    // A YAML syntax error in one file (a finding located in that file, the others still read).
    if (fault === "yaml") {
      const k = Object.keys(out)[c.faultAt % Object.keys(out).length]!;
      out[k] = out[k]!.replace(/\n/, "\n  bad: [\n");
    }
    return out;
  });

// ------------------------------------------------------------------------------------------------
// Random mutations of the repository's configs: values broken at random paths, documents moved to
// other files, duplicated and renamed, text damaged; then dealt over several files.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** Each seed: the documents of one folder (a valid config as it is). */
const SEEDS: Json[][] = ["routes", "examples/canary"].map((d) =>
  configFiles(path.join(ROOT, d)).flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((x) => x.toJSON() as Json).filter((x) => x !== null)),
);
const VALUES: Json[] = ["", "soon", "1s", "v9", "nowhere.internal", "*", "(a+)+$", "[", -1, 0, 101, 70000, true, null, [], {}, "a".repeat(300), "😀"];

function paths(v: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutate(doc: Json, m: { op: "set" | "delete" | "rename"; pick: number; value: Json }): Json {
  const copy = structuredClone(doc);
  const all = paths(copy);
  if (m.op === "rename") {
    const meta = (copy as { metadata?: { name?: string } }).metadata;
    if (meta && typeof meta === "object") meta.name = ["dup", "shop", "reviews", "a"][m.pick % 4];
    return copy;
  }
  if (!all.length) return copy;
  const p = all[m.pick % all.length]!;
  let parent: Json = copy;
  for (const seg of p.slice(0, -1)) parent = (parent as Record<string, Json>)[seg as string]!;
  const key = p[p.length - 1]!;
  if (m.op === "set") (parent as Record<string, Json>)[key as string] = m.value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, Json>)[key as string];
  return copy;
}

/** null three times in four. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const mutatedConfig = fc
  .record({
    seed: fc.nat({ max: SEEDS.length - 1 }),
    // Usually every document of the seed; sometimes some left out.
    drop: sometimes(fc.array(fc.nat(), { minLength: 1, maxLength: 3 })),
    mutations: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(fc.record({ doc: fc.nat(), op: fc.constantFrom("set" as const, "delete" as const, "rename" as const), pick: fc.nat(), value: fc.constantFrom(...VALUES) }), { maxLength: 3 })),
    duplicate: sometimes(fc.nat()),
    files: fc.integer({ min: 1, max: 5 }),
    deal: fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
    damage: sometimes(fc.record({ file: fc.nat(), at: fc.nat(), text: fc.constantFrom("\n  x: [", ":", "\t", "- ", "\n---\n", "#") })),
  })
  .map((c) => {
    const seed = SEEDS[c.seed]!;
    let docs = seed.filter((_, i) => !c.drop?.some((n) => n % seed.length === i));
    for (const m of c.mutations) docs = docs.map((d, i) => (i === m.doc % docs.length ? mutate(d, m) : d));
    if (c.duplicate !== null) docs.push(docs[c.duplicate % docs.length]!);
    const files: string[][] = Array.from({ length: c.files }, () => []);
    docs.forEach((d, i) => files[c.deal[i % c.deal.length]! % c.files]!.push(stringify(d)));
    const texts = files.map((f) => f.join("---\n"));
    if (c.damage) {
      const f = c.damage.file % texts.length;
      const t = texts[f]!;
      const at = t.length ? c.damage.at % t.length : 0;
      texts[f] = t.slice(0, at) + c.damage.text + t.slice(at);
    }
    return Object.fromEntries(texts.map((t, i) => [`m${i}.yaml`, t]));
  });
