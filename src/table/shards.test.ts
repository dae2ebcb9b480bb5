/**
 * Sharded tables decide exactly as the whole table: random Istio configs (exact, wildcard and `*`
 * hosts, http and https servers with different hosts) compiled through the real path, split into
 * shards with small buckets (many shards), then random requests decided on the shard the lookup
 * names vs on the whole table, under the same dice.
 */
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../compile/index.ts";
import { loadConfig } from "../config/index.ts";
import { decide } from "../decide.ts";
import { factsFromParts } from "../match/facts.ts";
import { headersFromObject } from "../match/headers.ts";
import { prepare } from "../prepare.ts";
import { canonicalJson, canonicalPieces, decodeTable, hashedCanonicalJson, streamedTableHash, tableHash } from "./codec.ts";
import { createHash } from "node:crypto";
import { parseStoredTable } from "../../test/fixtures/table.ts";
import { assembleTable, bucketCount, decidingShard, exactShardOf, planShards, shardTable } from "./shards.ts";
import type { RouteAction, RouteTable } from "./types.ts";
import type { Decision } from "../decision.ts";
import type { PreparedTable } from "../prepare.ts";
import { ACTIVE_KEY, shardKey, versionKey } from "../store/keys.ts";
import { pointerJson } from "../store/pointer.ts";
import { TableStore } from "../store/table-store.ts";
import { pushVersion } from "../store/release.ts";
import { DryRunKv } from "../../scripts/lib/kv-writer.ts";
import { MemoryKv, route, table as handTable, vhost } from "../../test/fixtures/store.ts";
import { lazyTable } from "../../test/fixtures/lazy-table.ts";
import { tableSummary } from "./describe.ts";

type Obj = Record<string, unknown>;

const EXACT = ["a.com", "b.a.com", "c.a.com", "shop.example", "api.example", "x.org", "y.org", "z.org"];
const HOSTS = [...EXACT, "*.a.com", "*.example", "*"];
const REQUEST_HOSTS = [...EXACT, "d.a.com", "deep.b.a.com", "new.example", "other.net", "a.com:8080", "A.COM"];

const action = fc.oneof(
  fc.constantFrom("svc-a.internal", "svc-b.internal").map((h) => ({ route: [{ destination: { host: h } }] })),
  fc.constant({ route: [{ destination: { host: "svc-a.internal" }, weight: 30 }, { destination: { host: "svc-b.internal" }, weight: 70 }] }),
  fc.constant({ directResponse: { status: 418, body: { string: "teapot" } } }),
  fc.constant({ redirect: { uri: "/moved" } }),
);
const rule = fc.record({ prefix: fc.option(fc.constantFrom("/a", "/b", "/api"), { freq: 2 }), action }).map(({ prefix, action }) => ({
  ...(prefix ? { match: [{ uri: { prefix } }] } : {}),
  ...action,
  ...("route" in action ? { mirror: { host: "svc-b.internal" }, mirrorPercentage: { value: 50 } } : {}),
}));
// Hosts of one VirtualService may not overlap (Istio validation); across VirtualServices they may.
const VS_HOSTS = [["a.com"], ["*.a.com"], ["b.a.com", "shop.example"], ["*"], ["shop.example", "api.example"], ["*.example", "a.com"], ["x.org", "y.org"], ["z.org"], ["c.a.com"]];
const vs = fc.record({ hosts: fc.constantFrom(...VS_HOSTS), http: fc.array(rule, { minLength: 1, maxLength: 3 }) });
const config = fc.record({
  vss: fc.array(vs, { minLength: 1, maxLength: 6 }),
  httpsHosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 0, maxLength: 4 }),
  httpsRedirect: fc.boolean(),
});

function yaml(c: { vss: Array<{ hosts: readonly string[]; http: Obj[] }>; httpsHosts: string[]; httpsRedirect: boolean }): string {
  const servers: Obj[] = [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"], ...(c.httpsRedirect ? { tls: { httpsRedirect: true } } : {}) }];
  if (c.httpsHosts.length) servers.push({ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: c.httpsHosts, tls: { mode: "SIMPLE", credentialName: "c" } });
  const docs: Obj[] = [
    { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "gw" }, spec: { servers } },
    ...c.vss.map((v, i) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: `vs-${i}`, ...(i < 9 ? { creationTimestamp: `2026-01-0${i + 1}T00:00:00Z` } : {}) },
      spec: { hosts: v.hosts, gateways: ["gw"], http: v.http },
    })),
    ...["a", "b"].map((n) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: `svc-${n}` },
      spec: { hosts: [`svc-${n}.internal`], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.1" }, { address: "127.0.0.2" }] },
    })),
  ];
  return docs.map((d) => stringify(d)).join("---\n");
}

const request = fc.record({
  scheme: fc.constantFrom<"http" | "https">("http", "https"),
  host: fc.constantFrom(...REQUEST_HOSTS),
  path: fc.constantFrom("/", "/a", "/a/x", "/b", "/api/v1", "/c"),
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

async function compiled(text: string): Promise<RouteTable | null> {
  const loaded = loadConfig([{ path: "routes/random.yaml", text }]);
  const errors = loaded.issues.filter((i) => i.severity === "error");
  if (errors.length) throw new Error(errors.slice(0, 3).map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`).join("; "));
  const { table } = await compile(loaded.objects, { sources: ["routes/random.yaml"] });
  return table;
}

describe("sharded tables", () => {
  it("decide exactly as the whole table on random configs (exact, wildcard and * hosts; small buckets)", async () => {
    const counts = { configs: 0, requests: 0, wildcardShard: 0, forward: 0, noRoute: 0 };
    await fc.assert(
      fc.asyncProperty(config, fc.array(request, { minLength: 20, maxLength: 20 }), fc.integer(), fc.constantFrom(1, 2, 3), async (c, requests, seed, perShard) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        counts.configs++;
        const whole = prepare(parseStoredTable(canonicalJson(table)));
        const { index, shards } = await shardTable(table, perShard);
        // Every shard goes through the stored bytes and the one decoder, as the Worker reads it.
        const stored = new Map(shards.map((s) => {
          const d = decodeTable(s.json, s.id);
          if (!d.ok) throw new Error(d.detail);
          return [s.id, d.table] as const;
        }));
        const preparedShards = new Map([...stored].map(([id, t]) => [id, prepare(t)] as const));
        for (const r of requests) {
          const f = factsFromParts({ method: "GET", scheme: r.scheme, authority: r.host, path: r.path, query: "", headers: headersFromObject({ host: r.host }) });
          if ("error" in f) continue;
          counts.requests++;
          const exact = stored.get(exactShardOf(index, f.host))!;
          const id = decidingShard(index, exact, f.scheme, f.host);
          if (id === index.wildcard) counts.wildcardShard++;
          const mine = decide(preparedShards.get(id)!, f, { rand: seeded(seed), now: 0 });
          const ref = decide(whole, f, { rand: seeded(seed), now: 0 });
          expect(mine).toEqual(ref);
          if (mine.kind === "forward") counts.forward++;
          if (mine.kind === "noRoute") counts.noRoute++;
        }
        // The whole table comes back from its shards (the CLI's diff and rollback read it so).
        const back = prepare(assembleTable(index, stored));
        for (const r of requests.slice(0, 5)) {
          const f = factsFromParts({ method: "GET", scheme: r.scheme, authority: r.host, path: r.path, query: "", headers: headersFromObject({ host: r.host }) });
          if ("error" in f) continue;
          expect(decide(back, f, { rand: seeded(seed), now: 0 })).toEqual(decide(whole, f, { rand: seeded(seed), now: 0 }));
        }
      }),
      { numRuns: 150, seed: 1616, endOnFailure: true },
    );
    // The generator must reach every path of the lookup, or the comparison proves little.
    expect(counts.configs).toBeGreaterThan(100);
    expect(counts.wildcardShard).toBeGreaterThan(200);
    expect(counts.forward).toBeGreaterThan(300);
    expect(counts.noRoute).toBeGreaterThan(50);
  }, 120_000);

  it("keep Gateway API listeners on other ports (the Host port selects the listener after a push, too)", async () => {
    const text = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ns }
spec:
  gatewayClassName: edge
  listeners:
    - { name: a, port: 80, protocol: HTTP, hostname: foo.example }
    - { name: b, port: 8080, protocol: HTTP, hostname: foo.example }
    - { name: c, port: 8080, protocol: HTTP, hostname: "*.wild.example" }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-80, namespace: ns }
spec:
  parentRefs: [{ name: gw, sectionName: a }]
  rules: [{ filters: [{ type: RequestRedirect, requestRedirect: { hostname: eighty.example } }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-8080, namespace: ns }
spec:
  parentRefs: [{ name: gw, port: 8080 }]
  rules: [{ filters: [{ type: RequestRedirect, requestRedirect: { hostname: other.example } }] }]
`;
    const table = (await compiled(text))!;
    const whole = prepare(parseStoredTable(canonicalJson(table)));
    const { index, shards } = await shardTable(table, 1);
    const stored = new Map(shards.map((s) => [s.id, parseStoredTable(s.json)] as const));
    const back = prepare(assembleTable(index, stored));
    for (const host of ["foo.example", "foo.example:8080", "a.wild.example:8080", "a.wild.example"]) {
      const f = factsFromParts({ method: "GET", scheme: "http", authority: host, path: "/p", query: "", headers: headersFromObject({ host }) });
      if ("error" in f) throw new Error(f.reason);
      const d = decide(back, f, { rand: () => 0.5, now: 0 });
      expect(d).toEqual(decide(whole, f, { rand: () => 0.5, now: 0 }));
      if (host === "foo.example:8080") expect(d).toMatchObject({ kind: "redirect", location: "http://other.example:8080/p" });
    }
  });

  it("store each shard under the hash and the bytes of its definition (one serialization gives tableHash + canonicalJson)", async () => {
    // The stored form must not change with how it is computed (issue #16 item 2: makeShard
    // serializes once): every shard's id is tableHash of its table and its bytes canonicalJson,
    // on random configs (with and without warnings: keys before and after `hash`) and a table
    // without clusters or pool entries.
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const s = await shardTable(table, 1);
        for (const shard of s.shards) {
          expect(shard.id).toBe(await tableHash(shard.table));
          expect(shard.json).toBe(canonicalJson(shard.table));
          // Exact entries: those of the whole listener whose vhost is in the shard (the plain scan
          // sharding did before it indexed the entries by vhost), renumbered.
          if (shard.id === s.index.wildcard) continue;
          for (const scheme of ["http", "https"] as const) {
            const expected: Record<string, number> = {};
            for (const [host, v] of Object.entries(table.listeners[scheme].exact)) {
              const i = shard.table.vhosts.indexOf(table.vhosts[v]!);
              if (i !== -1) expected[host] = i;
            }
            expect(shard.table.listeners[scheme].exact).toEqual(expected);
          }
        }
        const whole = await hashedCanonicalJson({ ...table, hash: "" });
        expect(whole.hash).toBe(table.hash);
        expect(whole.json).toBe(canonicalJson(table));
      }),
      { numRuns: 40 },
    );
    const bare = { tableVersion: 1, hash: "", istio: "1.28", listeners: {}, vhosts: [], clusters: {} } as unknown as RouteTable;
    const h = await hashedCanonicalJson(bare);
    expect(h.json).toBe(canonicalJson({ ...bare, hash: h.hash }));
    expect(h.hash).toBe(await tableHash(bare));
  });

  /**
   * The canonical form written out plainly, whole, independently of codec.ts: the stored form
   * (actions pooled by their canonical JSON in first-seen order, routes holding the index), then
   * every object's keys sorted, `undefined` members and routes' `source` / `precedence` left out.
   */
  function referenceCanonical(t: RouteTable): string {
    const sortDeep = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map((x) => sortDeep(x));
      if (v === null || typeof v !== "object") return v;
      const o = v as Record<string, unknown>;
      const route = "ruleIndex" in o;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) if (!(route && (k === "source" || k === "precedence"))) out[k] = sortDeep(o[k]);
      return out;
    };
    const pool: string[] = [];
    const index = new Map<string, number>();
    const vhosts = t.vhosts.map((vh) => ({
      ...vh,
      routes: vh.routes.map((r) => {
        const key = JSON.stringify(sortDeep(r.action));
        if (!index.has(key)) index.set(key, pool.push(key) - 1);
        return { ...r, action: index.get(key)! };
      }),
    }));
    return JSON.stringify(sortDeep({ ...t, vhosts, actionPool: pool.map((k) => JSON.parse(k)) }));
  }

  it("the streamed canonical form (canonicalPieces, streamedTableHash) equals a plain reference serializer and tableHash", async () => {
    // The CLI hashes the whole table piece by piece (issue #16 item 2: memory); the version must
    // not change with it, on random configs (shared and distinct actions, warnings, wildcards),
    // the tables' shards and degenerate tables.
    const sha = () => {
      const h = createHash("sha256");
      return { update: (t: string) => void h.update(t, "utf8"), digest: () => h.digest("hex") };
    };
    const same = async (t: RouteTable) => {
      expect([...canonicalPieces(t)].join("")).toBe(referenceCanonical(t));
      expect(canonicalJson(t)).toBe(referenceCanonical(t));
      expect(streamedTableHash(t, sha())).toBe(await tableHash(t));
    };
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        await same(table);
        expect(streamedTableHash(table, sha())).toBe(table.hash);
        for (const shard of (await shardTable(table, 1)).shards) await same(shard.table);
      }),
      { numRuns: 40 },
    );
    await same({ tableVersion: 1, hash: "", istio: "1.28", listeners: {}, vhosts: [], clusters: {} } as unknown as RouteTable);
    await same({ tableVersion: 1, hash: "x", istio: "1.28", listeners: {}, vhosts: [], clusters: {}, warnings: ["w\u00e9\ud83d\ude00"], extra: undefined } as unknown as RouteTable);
  });

  it("a one-host change rewrites one shard and the index; the other shards keep their bytes", async () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => `h${i}.example`);
    const text = (target: string) =>
      yaml({
        vss: hosts.map((h, i) => ({ hosts: [h], http: [{ route: [{ destination: { host: i === 7 ? target : "svc-a.internal" } }] }] })),
        httpsHosts: [],
        httpsRedirect: false,
      });
    const before = await shardTable((await compiled(text("svc-a.internal")))!);
    const after = await shardTable((await compiled(text("svc-b.internal")))!);
    expect(before.index.buckets).toBe(bucketCount(1000));
    const old = new Set(before.shards.map((s) => s.id));
    const fresh = after.shards.filter((s) => !old.has(s.id));
    expect(fresh).toHaveLength(1);
    expect(Object.keys(fresh[0]!.table.listeners.http.exact)).toContain("h7.example");
    expect(after.index.hash).not.toBe(before.index.hash);
  }, 60_000);
});

/** A Map as KV, holding a sharded version exactly as a push stores it. */
function kvOf(table: RouteTable, sharded: Awaited<ReturnType<typeof shardTable>>): Map<string, string> {
  const kv = new Map<string, string>();
  for (const sh of sharded.shards) kv.set(shardKey(sh.id), sh.json);
  kv.set(versionKey(table.hash), sharded.indexJson);
  kv.set(ACTIVE_KEY, pointerJson(table.hash, "push", new Date(0)));
  return kv;
}

/**
 * The Worker's lazy path (src/store/table-store.ts): a cold store reads the index, then forHost
 * reads the shard(s) the host needs from the KV; the decision is made on what it returns.
 */
async function lazyDecider(kv: Map<string, string>, cacheBytes: number) {
  const store = new TableStore<PreparedTable>({ prepare, now: () => 0, log: () => {}, shardCacheBytes: cacheBytes });
  const reader = { get: async (k: string) => kv.get(k) ?? null };
  const served = await store.get(reader, 60_000, () => {});
  if (!served?.index) throw new Error("the version was not loaded as an index");
  return async (f: Parameters<typeof decide>[1], rand: () => number): Promise<Decision> => {
    const found = await store.forHost(reader, served, f.scheme, f.port, f.host, () => {});
    if (!found.ok) throw new Error(`${found.reason}: ${found.detail}`);
    return decide(found.prepared, f, { rand, now: 0 });
  };
}

describe("the Worker's lazy path decides as the whole table", () => {
  it("on random Istio configs, through TableStore.forHost with a cache smaller than the table (evictions)", async () => {
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(config, fc.array(request, { minLength: 20, maxLength: 20 }), fc.integer(), async (c, reqs, seed) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const whole = prepare(parseStoredTable(canonicalJson(table)));
        const sharded = await shardTable(table, 1);
        const lazy = await lazyDecider(kvOf(table, sharded), 1);
        for (const r of reqs) {
          const f = factsFromParts({ method: "GET", scheme: r.scheme, authority: r.host, path: r.path, query: "", headers: headersFromObject({ host: r.host }) });
          if ("error" in f) continue;
          requests++;
          expect(await lazy(f, seeded(seed))).toEqual(decide(whole, f, { rand: seeded(seed), now: 0 }));
        }
      }),
      { numRuns: 60, seed: 1617, endOnFailure: true },
    );
    expect(requests).toBeGreaterThan(600);
  }, 120_000);

  // Gateway API listeners on other ports (GATEWAY-API-SEMANTICS §2.4): the Host port picks the
  // listener; every shard carries every port's listener, so the pick is the same in a shard.
  const SECTIONS = ["main", "alt", "alt2", null] as const;
  const NAMES = ["a.test", "b.alt.test", "c.alt.test", "d.test", "*.alt.test", "e.test"];
  const gwRoute = fc.record({ section: fc.constantFrom(...SECTIONS), hostnames: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }) });
  const gwRequest = fc.record({
    scheme: fc.constantFrom<"http" | "https">("http", "https"),
    host: fc.constantFrom("a.test", "b.alt.test", "z.alt.test", "d.test", "e.test", "nope.test"),
    port: fc.constantFrom("", ":80", ":8080", ":9090"),
    path: fc.constantFrom("/", "/x"),
  });

  function gwYaml(routes: Array<{ section: string | null; hostnames: string[] }>): string {
    const docs: Obj[] = [
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "gw", namespace: "default" },
        spec: {
          gatewayClassName: "edge",
          listeners: [
            { name: "main", port: 80, protocol: "HTTP" },
            { name: "alt", port: 8080, protocol: "HTTP", hostname: "*.alt.test" },
            { name: "alt2", port: 8080, protocol: "HTTP", hostname: "d.test" },
          ],
        },
      },
      ...routes.map((r, i) => ({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: `r${i}`, namespace: "default", creationTimestamp: `2026-01-0${(i % 9) + 1}T00:00:00Z` },
        spec: {
          parentRefs: [{ name: "gw", ...(r.section ? { sectionName: r.section } : {}) }],
          hostnames: r.hostnames,
          rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: `/r${i}` } } }] }],
        },
      })),
    ];
    return docs.map((d) => stringify(d)).join("---\n");
  }

  it("on random Gateway API configs with listeners on another port (the Host port picks the listener)", async () => {
    const counts = { configs: 0, ported: 0, redirects: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(gwRoute, { minLength: 1, maxLength: 5 }), fc.array(gwRequest, { minLength: 15, maxLength: 15 }), async (routes, reqs) => {
        const table = await compiled(gwYaml(routes));
        if (!table) return;
        counts.configs++;
        if (table.listeners.http.ports) counts.ported++;
        const whole = prepare(parseStoredTable(canonicalJson(table)));
        const sharded = await shardTable(table, 1);
        const lazy = await lazyDecider(kvOf(table, sharded), 1 << 20);
        const back = prepare(assembleTable(sharded.index, new Map(sharded.shards.map((x) => [x.id, parseStoredTable(x.json, x.id)] as const))));
        for (const r of reqs) {
          const authority = r.host + r.port;
          const f = factsFromParts({ method: "GET", scheme: r.scheme, authority, path: r.path, query: "", headers: headersFromObject({ host: authority }) });
          if ("error" in f) continue;
          const ref = decide(whole, f, { rand: () => 0.5, now: 0 });
          if (ref.kind === "redirect") counts.redirects++;
          expect(await lazy(f, () => 0.5)).toEqual(ref);
          expect(decide(back, f, { rand: () => 0.5, now: 0 })).toEqual(ref);
        }
      }),
      { numRuns: 60, seed: 1618, endOnFailure: true },
    );
    expect(counts.configs).toBeGreaterThan(40);
    expect(counts.ported).toBeGreaterThan(20);
    expect(counts.redirects).toBeGreaterThan(200);
  }, 120_000);
});

/**
 * Issue #16 (CLI memory proportional to the largest file): the build may hand push a table whose
 * vhosts' `routes` are read from a spill file at every access, as fresh objects. Hashing, sharding
 * and pushing it must give the bytes of the plain table, whatever relied on object identity.
 */
describe("a lazy table (each vhost's routes fresh at every read) stores what the plain table stores", () => {
  const sha = () => {
    const h = createHash("sha256");
    return { update: (t: string) => void h.update(t, "utf8"), digest: () => h.digest("hex") };
  };

  it("the same canonical bytes, hashes and summary, reading each vhost's routes twice to hash it", async () => {
    let distinctActions = 0;
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const { table: lazy, reads } = lazyTable(table);
        if (new Set(table.vhosts.flatMap((v) => v.routes.map((r) => JSON.stringify(r.action)))).size > 1) distinctActions++;
        expect(canonicalJson(lazy)).toBe(canonicalJson(table));
        expect([...canonicalPieces(lazy)].join("")).toBe(canonicalJson(table));
        expect(await tableHash(lazy)).toBe(table.hash);
        expect(await hashedCanonicalJson(lazy)).toEqual(await hashedCanonicalJson(table));
        reads.fill(0);
        expect(streamedTableHash(lazy, sha())).toBe(table.hash);
        // Once for the action pool (it comes first in the bytes), once for the vhosts' bytes.
        expect(reads.every((n) => n === 2)).toBe(true);
        // The summary push stores in the history (summaryLine) reads each vhost once.
        reads.fill(0);
        expect(tableSummary(lazy)).toEqual(tableSummary(table));
        expect(reads.every((n) => n === 1)).toBe(true);
      }),
      { numRuns: 60 },
    );
    // Pools of several actions, so an index is looked up, not only ever 0.
    expect(distinctActions).toBeGreaterThan(20);
  });

  it("refuses a non-finite number in an action even after an action whose plain JSON is the same (NaN and null both print null)", () => {
    const action = route("x").action as Extract<RouteAction, { kind: "route" }>;
    const t = handTable([vhost("a.com", [route("a", { action: { ...action, totalWeight: null as unknown as number } }), route("b", { action: { ...action, totalWeight: Number.NaN } })])]);
    expect(() => canonicalJson(t)).toThrow(/non-finite number NaN/);
    expect(() => canonicalJson(lazyTable(t).table)).toThrow(/non-finite number NaN/);
  });

  it("the same shards (ids, bytes) and index", async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.constantFrom(1, 2, 64), async (c, perShard) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const plain = await shardTable(table, perShard);
        const lazy = await shardTable(lazyTable(table).table, perShard);
        expect(lazy.indexJson).toBe(plain.indexJson);
        expect(lazy.shards.map((s) => [s.id, s.json])).toEqual(plain.shards.map((s) => [s.id, s.json]));
      }),
      { numRuns: 60 },
    );
  });

  it("the same plan (planShards: index, ids, then each shard made again) as shardTable, reading each vhost once per pass", async () => {
    let skipped = 0;
    await fc.assert(
      fc.asyncProperty(config, fc.constantFrom(1, 2, 64), fc.integer(), async (c, perShard, seed) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const whole = await shardTable(table, perShard);
        const { table: lazy, reads } = lazyTable(table);
        for (const t of [table, lazy]) {
          reads.fill(0);
          const plan = await planShards(t, perShard);
          expect(plan.index).toEqual(whole.index);
          expect(plan.indexJson).toBe(whole.indexJson);
          expect(plan.ids).toEqual(whole.shards.map((s) => s.id));
          if (t === lazy) expect(reads.every((n) => n === 1)).toBe(true);
          const made = [];
          for await (const s of plan.shards()) made.push([s.id, s.json]);
          expect(made).toEqual(whole.shards.map((s) => [s.id, s.json]));
          if (t === lazy) expect(reads.every((n) => n === 2)).toBe(true);
          // Skipped shards are not made (their vhosts not read); the others come in the same order.
          const rand = seeded(seed);
          const skip = new Set(plan.ids.filter(() => rand() < 0.5));
          skipped += skip.size;
          reads.fill(0);
          const rest = [];
          for await (const s of plan.shards((id) => skip.has(id))) rest.push(s.id);
          expect(rest).toEqual(plan.ids.filter((id) => !skip.has(id)));
          if (t === lazy) {
            const vhostsOf = (id: string) => whole.shards.find((s) => s.id === id)!.table.vhosts.length;
            expect(reads.reduce((a, b) => a + b, 0)).toBe(rest.reduce((n, id) => n + vhostsOf(id), 0));
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(skipped).toBeGreaterThan(20);
  });

  it("with a stash, the plan keeps each distinct shard's bytes once and writing reads them back (the routes are not read again)", async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.constantFrom(1, 2, 64), async (c, perShard) => {
        const table = await compiled(yaml(c));
        if (!table) return;
        const whole = await shardTable(table, perShard);
        const { table: lazy, reads } = lazyTable(table);
        const texts: string[] = [];
        const stash = { keep: (json: string) => texts.push(json) - 1, take: (h: number) => texts[h]! };
        const plan = await planShards(lazy, perShard, stash);
        expect(plan.indexJson).toBe(whole.indexJson);
        expect(texts).toEqual(whole.shards.map((s) => s.json));
        reads.fill(0);
        const made = [];
        for await (const s of plan.shards()) made.push([s.id, s.json]);
        expect(made).toEqual(whole.shards.map((s) => [s.id, s.json]));
        expect(reads.every((n) => n === 0)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("a table that changed since it was planned is refused, not stored under another shard's id", async () => {
    const table = (await compiled(yaml({ vss: [{ hosts: ["a.com"], http: [{ redirect: { uri: "/moved" } }] }], httpsHosts: [], httpsRedirect: false })))!;
    const routes = table.vhosts[0]!.routes;
    let changed = false;
    const lazy = { ...table, vhosts: table.vhosts.map((vh) => Object.defineProperty({ ...vh }, "routes", { enumerable: true, get: () => (changed ? routes.map((r) => ({ ...r, name: `${r.name}-changed` })) : structuredClone(routes)) })) };
    const plan = await planShards(lazy);
    changed = true;
    await expect((async () => {
      for await (const _ of plan.shards());
    })()).rejects.toThrow(/came out as/);
  });

  it("the same KV writes from pushVersion (over a previous version whose shards are kept), and the same dry-run plan", async () => {
    let reused = 0;
    // The next version: another config, or the same one with one more exact host's VirtualService
    // (its wildcard shard, if any, is then already stored).
    const extra = fc.record({ hosts: fc.constantFrom(["x.org"], ["z.org"], ["api.example"]), http: fc.array(rule, { minLength: 1, maxLength: 2 }) });
    await fc.assert(
      fc.asyncProperty(config, fc.oneof(config, extra), async (c0, next) => {
        const c1 = "vss" in next ? next : { ...c0, vss: [...c0.vss, next] };
        const before = await compiled(yaml(c0));
        const table = await compiled(yaml(c1));
        if (!before || !table) return;
        const kvs = [new MemoryKv(), new MemoryKv()] as const;
        const plans: string[][] = [];
        for (const [i, t] of [table, lazyTable(table).table].entries()) {
          const kv = kvs[i]!;
          await pushVersion(kv, { table: before, summary: "before", sources: [], now: new Date(0) });
          const dry = new DryRunKv(kv);
          await pushVersion(dry, { table: t, summary: "after", sources: ["routes/random.yaml"], now: new Date(1000) });
          plans.push(dry.planned.map((p) => `${p.op} ${p.key} ${p.bytes} ${p.how}`));
          await pushVersion(kv, { table: t, summary: "after", sources: ["routes/random.yaml"], now: new Date(1000) });
        }
        expect(plans[1]).toEqual(plans[0]);
        expect(kvs[1].log).toEqual(kvs[0].log);
        expect([...kvs[1].data]).toEqual([...kvs[0].data]);
        // Some pushes find a shard of the new version already stored (the previous version's).
        const written = kvs[0].log.slice(kvs[0].log.indexOf(`put ${ACTIVE_KEY}`) + 1).filter((l) => l.startsWith(`put ${shardKey("")}`)).length;
        if (written < (await shardTable(table)).shards.length) reused++;
      }),
      { numRuns: 40 },
    );
    expect(reused).toBeGreaterThan(3);
  });
});
