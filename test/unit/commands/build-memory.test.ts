/**
 * The CLI's build keeps less in memory (issue #16 item 2): the table is hashed piece by piece
 * after the loaded objects are let go, equal route actions are one object, and the files' texts
 * are read again for a position instead of being held; push's compile lets each VirtualService's
 * validated rules go once they are compiled. None of that may
 * change what is stored or printed: a differential test of `build` (scripts/lib/build.ts) against
 * the whole-table pipeline it replaced (loadConfig → compile → tableHash of the whole canonical
 * string), on the repository's configs and on random configs split over several files — same
 * version hash, same canonical bytes, same shards, same findings with the same file:line:col —
 * and against a copy of the table that shares no object (what interning must not change).
 */
import fc from "fast-check";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../../../scripts/lib/build.ts";
import { readSources } from "../../../scripts/lib/files.ts";
import { compile } from "../../../src/compile/index.ts";
import { formatIssue, loadConfig, sortIssues } from "../../../src/config/index.ts";
import { canonicalJson, tableHash } from "../../../src/table/codec.ts";
import { shardTable } from "../../../src/table/shards.ts";
import type { RouteTable } from "../../../src/table/types.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(path.join(tmpdir(), "build-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The build as it was: every stage's product alive, the texts held, one action object per rule,
 * the whole canonical string hashed at once.
 */
async function wholeBuild(paths: string[]): Promise<{ table: RouteTable | null; issues: string[] }> {
  // The texts held (no `reread`): positions from the text loaded, as before.
  const files = (await readSources(paths)).map(({ path, text }) => ({ path, text }));
  const loaded = loadConfig(files);
  if (loaded.issues.some((i) => i.severity === "error")) return { table: null, issues: [...new Set(sortIssues(loaded.issues).map(formatIssue))] };
  const compiled = await compile(loaded.objects, { sources: files.map((f) => f.path), shareActions: false });
  const said = new Set(loaded.issues.map((i) => `${i.file}\u0000${i.code}`));
  const issues = [...loaded.issues, ...compiled.issues.filter((i) => !(i.code === "mesh-only" && said.has(`${i.file}\u0000${i.code}`)))];
  const table = compiled.table && !issues.some((i) => i.severity === "error") ? compiled.table : null;
  if (table) expect(table.hash).toBe(await tableHash({ ...table, hash: "" }));
  return { table, issues: [...new Set(sortIssues(issues).map(formatIssue))] };
}

/** The same table with no object shared between routes (JSON drops no stored field). */
function unshared(table: RouteTable): RouteTable {
  return JSON.parse(JSON.stringify(table)) as RouteTable;
}

async function shardBytes(table: RouteTable): Promise<string[]> {
  const s = await shardTable(table, 2);
  return [s.indexJson, ...s.shards.map((x) => `${x.id} ${x.json}`)];
}

async function same(paths: string[]): Promise<{ valid: boolean; findings: number }> {
  const whole = await wholeBuild(paths);
  for (const keepObjects of [true, false]) {
    const b = await build(paths, { keepObjects });
    expect(b.issues.map(formatIssue)).toEqual(whole.issues);
    if (!keepObjects) expect(b.objects).toBeNull();
    else if (whole.table) expect(b.objects?.virtualServices.length).toBeGreaterThan(0);
    if (!whole.table) {
      expect(b.table).toBeNull();
      continue;
    }
    expect(b.table).not.toBeNull();
    const t = b.table!;
    expect(t.hash).toBe(whole.table.hash);
    expect(canonicalJson(t)).toBe(canonicalJson(whole.table));
    expect(await shardBytes(t)).toEqual(await shardBytes(whole.table));
    // Interning changes objects, never bytes.
    const copy = unshared(t);
    expect(await tableHash({ ...copy, hash: "" })).toBe(t.hash);
    expect(await shardBytes(copy)).toEqual(await shardBytes(t));
  }
  return { valid: whole.table !== null, findings: whole.issues.length };
}

describe("build: what it keeps in memory changes nothing it stores or prints", () => {
  it("on the repository's configs (routes/, examples/)", async () => {
    const results = [];
    for (const p of ["routes", "examples/canary", "examples/istio/samples/bookinfo", "examples/istio"]) results.push(await same([path.join(ROOT, p)]));
    // The corpus has valid configs and findings (warnings at least), so both paths are compared.
    expect(results.some((r) => r.valid)).toBe(true);
    expect(results.some((r) => r.findings > 0)).toBe(true);
  }, 60_000);

  const HOSTS = ["a.com", "b.a.com", "shop.example", "*.a.com", "*.example", "*"];
  const DESTS = ["svc-a.internal", "svc-b.internal"];
  const action = fc.oneof(
    fc.constantFrom(...DESTS).map((h) => ({ route: [{ destination: { host: h } }] })),
    fc.constantFrom(...DESTS).map((h) => ({ route: [{ destination: { host: h, subset: "v1" } }], timeout: "2s", retries: { attempts: 3, retryOn: "5xx" } })),
    fc.integer({ min: 0, max: 100 }).map((w) => ({ route: [{ destination: { host: "svc-a.internal", subset: "v1" }, weight: w }, { destination: { host: "svc-a.internal", subset: "v2" }, weight: 100 - w }] })),
    fc.constant({ route: [{ destination: { host: "svc-b.internal" }, weight: 30 }, { destination: { host: "svc-a.internal" }, weight: 70 }] }),
    fc.constant({ directResponse: { status: 418, body: { string: "teapot" } } }),
    fc.constant({ redirect: { uri: "/moved" } }),
    // Errors (the whole config is refused, findings compared): a duration Istio rejects, and a
    // subset no DestinationRule defines.
    fc.constant({ route: [{ destination: { host: "svc-a.internal" } }], timeout: "soon" }),
    fc.constant({ route: [{ destination: { host: "svc-b.internal", subset: "v9" } }] }),
  );
  const rule = fc.record({ prefix: fc.option(fc.constantFrom("/a", "/b", "/api"), { freq: 2 }), action, name: fc.option(fc.constantFrom("home-ab", "r"), { freq: 3 }) }).map(({ prefix, action, name }) => ({
    ...(name ? { name } : {}),
    ...(prefix ? { match: [{ uri: { prefix } }] } : {}),
    ...action,
  }));
  const VS_HOSTS = [["a.com"], ["*.a.com"], ["b.a.com", "shop.example"], ["*"], ["*.example", "a.com"], ["shop.example"]];
  const vs = fc.record({ hosts: fc.constantFrom(...VS_HOSTS), http: fc.array(rule, { minLength: 1, maxLength: 4 }), sticky: fc.constantFrom("", "cookie=ab_visitor; ttl=1h", "cookie=ab_visitor; ttl=1h; rules=home-ab") });
  const config = fc.record({
    vss: fc.array(vs, { minLength: 1, maxLength: 8 }),
    httpsHosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 0, maxLength: 3 }),
    files: fc.integer({ min: 1, max: 3 }),
    cookieDr: fc.boolean(),
    // A Canary writes into its rule's action; an equal action of another rule must not see it.
    canary: fc.boolean(),
    // Two roots delegate to one VirtualService (push compiles with consumeObjects).
    delegate: fc.boolean(),
  });

  it("on random configs over several files (actions shared and not, sticky splits, Canaries, delegates, errors)", async () => {
    let n = 0;
    const seen = { valid: 0, invalid: 0, canary: 0, delegate: 0 };
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const servers: object[] = [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }];
        if (c.httpsHosts.length) servers.push({ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: c.httpsHosts, tls: { mode: "SIMPLE", credentialName: "c" } });
        const docs: object[] = [
          { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "gw" }, spec: { servers } },
          ...c.vss.map((v, i) => ({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: `vs-${i}`, ...(v.sticky ? { annotations: { "edge-gateway.dev/sticky-split": v.sticky } } : {}) },
            // The driven rule's action is the one the "svc-a.internal v1" rules have.
            spec: {
              hosts: v.hosts,
              gateways: ["gw"],
              http: [
                ...(c.canary && i === 0 ? [{ name: "driven", match: [{ uri: { prefix: "/driven" } }], route: [{ destination: { host: "svc-a.internal", subset: "v1" } }] }] : []),
                ...(c.delegate && i < 2 ? [{ name: "to-leaf", match: [{ uri: { prefix: "/d" } }], delegate: { name: "leaf" } }] : []),
                ...v.http,
              ],
            },
          })),
          ...DESTS.map((h, i) => ({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: `se-${i}` },
            spec: { hosts: [h], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.1", labels: { version: "v1" } }, { address: "127.0.0.2", labels: { version: "v2" } }] },
          })),
          ...DESTS.map((h, i) => ({
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: `dr-${i}` },
            spec: {
              host: h,
              subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }],
              ...(c.cookieDr && i === 0 ? { trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "u", ttl: "0s" } } } } } : {}),
            },
          })),
        ];
        if (c.delegate)
          docs.push({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "leaf" },
            spec: { http: [{ name: "x", match: [{ uri: { prefix: "/d/x" } }], route: [{ destination: { host: "svc-b.internal" } }] }, { route: [{ destination: { host: "svc-a.internal", subset: "v2" } }] }] },
          });
        if (c.canary)
          docs.push({
            apiVersion: "edge-gateway.dev/v1alpha1",
            kind: "Canary",
            metadata: { name: "ab" },
            spec: {
              target: { virtualService: "vs-0", rule: "driven" },
              primary: { host: "svc-a.internal", subset: "v1" },
              canary: { host: "svc-a.internal", subset: "v2" },
              analysis: { interval: "10s", stepWeights: [20, 50], threshold: 2, minRequests: 5, successRate: { min: 99 } },
            },
          });
        const folder = path.join(dir, `c${n++}`);
        mkdirSync(folder, { recursive: true });
        for (let f = 0; f < c.files; f++) {
          const mine = docs.filter((_, i) => i % c.files === f);
          writeFileSync(path.join(folder, `part-${f}.yaml`), mine.map((d) => stringify(d)).join("---\n"));
        }
        const r = await same([folder]);
        seen[r.valid ? "valid" : "invalid"]++;
        if (c.canary && r.valid) seen.canary++;
        if (c.delegate && r.valid) seen.delegate++;
      }),
      // Seeded: about one unseeded run in ten drew no valid config with a delegate, and the
      // coverage checks below failed; this seed reaches every kind (change it only together).
      { numRuns: 60, seed: 160616 },
    );
    // Both outcomes were compared, not only one, and some Canary drove a rule.
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
    expect(seen.canary).toBeGreaterThan(0);
    expect(seen.delegate).toBeGreaterThan(0);
  }, 120_000);
});
