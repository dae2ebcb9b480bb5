/**
 * Lazy per-host shard loading (issue #16) inside workerd, against a real KV binding: a cold
 * isolate reads the pointer and the index, then only the shard(s) a request's host needs; reads
 * are shared; the cache is bounded in bytes; a shard that cannot be read fails only its hosts.
 * The TableStore is driven directly with an injected clock, as in table-store.test.ts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { prepare, type PreparedTable } from "../../src/prepare.ts";
import { decide } from "../../src/decide.ts";
import { factsFromParts } from "../../src/match/facts.ts";
import { headersFromObject } from "../../src/match/headers.ts";
import { ACTIVE_KEY, shardKey, versionKey } from "../../src/store/keys.ts";
import type { KvReader } from "../../src/store/kv.ts";
import { storeVersion } from "../../src/store/release.ts";
import { TableStore, type HostTable, type ServedVersion } from "../../src/store/table-store.ts";
import { bucketOf, shardTable, type ShardedTable } from "../../src/table/shards.ts";
import { hostsTable, pointTo } from "../fixtures/pushed.ts";

const HOSTS = Array.from({ length: 40 }, (_, i) => `h${i}.test`);
/** 40 hosts, 4 per shard ⇒ 16 buckets (plus the wildcard shard). */
const PER_SHARD = 4;

function counting(kv: KVNamespace): KvReader & { reads: string[] } {
  const reads: string[] = [];
  return { reads, get: (key: string) => (reads.push(key), kv.get(key)) };
}

function harness(shardCacheBytes?: number) {
  const clock = { t: 5_000_000 };
  const pending: Array<Promise<unknown>> = [];
  const logs: Array<Record<string, unknown>> = [];
  const store = new TableStore<PreparedTable>({ prepare, now: () => clock.t, kvTimeoutMs: 50, log: (e) => logs.push(e), ...(shardCacheBytes ? { shardCacheBytes } : {}) });
  return { store, clock, logs, waitUntil: (p: Promise<unknown>) => void pending.push(p), settle: async () => { while (pending.length) await pending.shift(); } };
}

/**
 * Every host answers `host <name>` (or what `say` gives), plus `*.wild.test` (`wildcard`) and `*`
 * (`catch-all`), each a direct response naming it.
 */
async function push(hash: string, say: (h: string) => string = (h) => `host ${h}`): Promise<ShardedTable> {
  const marker = (text: string) => `- name: marker\n  directResponse: { status: 200, body: { string: ${JSON.stringify(text)} } }`;
  const t = await hostsTable(hash, [...HOSTS, "*.wild.test", "*"], (h) => marker(h === "*" ? "catch-all" : h === "*.wild.test" ? "wildcard" : say(h)));
  const s = await shardTable(t, PER_SHARD);
  await storeVersion(env.ROUTES, t, s);
  await pointTo(env.ROUTES, hash);
  return s;
}

/** What the host's table answers (the marker body), or the failure. */
async function answer(store: TableStore<PreparedTable>, kv: KvReader, served: ServedVersion<PreparedTable>, host: string, waitUntil: (p: Promise<unknown>) => void): Promise<string> {
  const found: HostTable<PreparedTable> = await store.forHost(kv, served, "http", null, host, waitUntil);
  if (!found.ok) return `fail ${found.reason}`;
  const facts = factsFromParts({ method: "GET", scheme: "http", authority: host, path: "/", query: "", headers: headersFromObject({ host }) });
  if ("error" in facts) throw new Error(facts.reason);
  const d = decide(found.prepared, facts, { rand: () => 0.5, now: 0 });
  return d.kind === "directResponse" && d.body && "string" in d.body ? `${d.body.string} @${found.version}` : d.kind;
}

beforeEach(async () => {
  await env.ROUTES.delete(ACTIVE_KEY);
});

describe("lazy shard loading (workerd, real KV)", () => {
  it("a cold isolate reads the pointer and the index, then only the shard of the host asked for", async () => {
    const s = await push("lazy-v1");
    expect(s.index.buckets).toBe(16);
    const kv = counting(env.ROUTES);
    const h = harness();
    const served = (await h.store.get(kv, 30_000, h.waitUntil))!;
    expect(kv.reads).toEqual([ACTIVE_KEY, versionKey("lazy-v1")]);
    expect(await answer(h.store, kv, served, "h7.test", h.waitUntil)).toBe("host h7.test @lazy-v1");
    expect(kv.reads.slice(2)).toEqual([shardKey(s.index.shards[bucketOf("h7.test", 16)]!)]);
    // A wildcard or unknown host: its bucket shard (no exact entry), then the wildcard shard.
    expect(await answer(h.store, kv, served, "a.wild.test", h.waitUntil)).toBe("wildcard @lazy-v1");
    expect(await answer(h.store, kv, served, "nobody.example", h.waitUntil)).toBe("catch-all @lazy-v1");
    expect(kv.reads).toContain(shardKey(s.index.wildcard!));
    const readsSoFar = kv.reads.length;
    // Everything is cached now: the same hosts read nothing.
    for (const host of ["h7.test", "a.wild.test", "nobody.example"]) await answer(h.store, kv, served, host, h.waitUntil);
    expect(kv.reads.length).toBe(readsSoFar);
    expect(kv.reads.length).toBeLessThan(2 + 5);
  });

  it("concurrent first requests for one shard share one KV read", async () => {
    const s = await push("lazy-flight");
    const kv = counting(env.ROUTES);
    const h = harness();
    const served = (await h.store.get(kv, 30_000, h.waitUntil))!;
    // Hosts of one bucket, asked for at once.
    const bucket = bucketOf("h3.test", 16);
    const same = HOSTS.filter((x) => bucketOf(x, 16) === bucket);
    const answers = await Promise.all([...same, ...same, ...same].map((host) => answer(h.store, kv, served, host, h.waitUntil)));
    expect(answers).toEqual([...same, ...same, ...same].map((x) => `host ${x} @lazy-flight`));
    expect(kv.reads.filter((k) => k === shardKey(s.index.shards[bucket]!))).toHaveLength(1);
  });

  it("keeps the shard cache within SHARD_CACHE_BYTES: touching every host evicts, never grows past the bound", async () => {
    const s = await push("lazy-lru");
    const shardBytes = Math.max(...s.shards.map((x) => x.json.length));
    const limit = 3 * shardBytes;
    const kv = counting(env.ROUTES);
    const h = harness(limit);
    const served = (await h.store.get(kv, 30_000, h.waitUntil))!;
    for (const host of HOSTS) {
      expect(await answer(h.store, kv, served, host, h.waitUntil)).toBe(`host ${host} @lazy-lru`);
      expect(h.store.status().shards.bytes).toBeLessThanOrEqual(limit);
    }
    const st = h.store.status().shards;
    expect(st.entries).toBeLessThanOrEqual(3);
    expect(st.evictions).toBeGreaterThan(0);
    // An evicted shard is simply read again.
    const before = kv.reads.length;
    expect(await answer(h.store, kv, served, HOSTS[0]!, h.waitUntil)).toBe(`host ${HOSTS[0]} @lazy-lru`);
    expect(kv.reads.length).toBe(before + 1);
  });

  it("a shard that cannot be read fails only its hosts; loaded hosts keep serving; retries are throttled", async () => {
    const s = await push("lazy-hole");
    const h = harness();
    const kv = counting(env.ROUTES);
    const served = (await h.store.get(kv, 30_000, h.waitUntil))!;
    const lost = bucketOf("h5.test", 16);
    const lostKey = shardKey(s.index.shards[lost]!);
    const saved = (await env.ROUTES.get(lostKey))!;
    await env.ROUTES.delete(lostKey);
    const other = HOSTS.find((x) => bucketOf(x, 16) !== lost)!;
    expect(await answer(h.store, kv, served, other, h.waitUntil)).toBe(`host ${other} @lazy-hole`);
    expect(await answer(h.store, kv, served, "h5.test", h.waitUntil)).toBe("fail missingShard");
    expect(h.logs.some((l) => l.msg === "route table shard read failed; its hosts answer 503 unless a previous version serves them" && l.reason === "missingShard")).toBe(true);
    // Other hosts, loaded or not, are unaffected.
    expect(await answer(h.store, kv, served, other, h.waitUntil)).toBe(`host ${other} @lazy-hole`);
    expect(await answer(h.store, kv, served, "x.wild.test", h.waitUntil)).toMatch(/@lazy-hole$/);
    // Within the retry interval (min(refresh, 5 s)) the failure is answered without a read.
    const reads = kv.reads.filter((k) => k === lostKey).length;
    h.clock.t += 4_999;
    expect(await answer(h.store, kv, served, "h5.test", h.waitUntil)).toBe("fail missingShard");
    expect(kv.reads.filter((k) => k === lostKey).length).toBe(reads);
    // After it, the shard is read again; once it is back, the host serves.
    await env.ROUTES.put(lostKey, saved);
    h.clock.t += 1;
    expect(await answer(h.store, kv, served, "h5.test", h.waitUntil)).toBe("host h5.test @lazy-hole");
  });

  it("a pointer flip re-reads only changed shards; a host whose new shard is unreadable keeps the previous version, one never loaded gets the failure", async () => {
    const s1 = await push("lazy-a");
    const h = harness();
    const kv = counting(env.ROUTES);
    let served = (await h.store.get(kv, 0, h.waitUntil))!;
    for (const host of ["h1.test", "h2.test", "h3.test"]) await answer(h.store, kv, served, host, h.waitUntil);
    // v2 changes h1 only (one shard) — and that shard never arrives in this location's KV.
    const s2 = await push("lazy-b", (x) => (x === "h1.test" ? "host h1.test, moved" : `host ${x}`));
    const changed = s2.shards.filter((x) => !s1.shards.some((y) => y.id === x.id));
    expect(changed).toHaveLength(1);
    await env.ROUTES.delete(shardKey(changed[0]!.id));
    await h.store.get(kv, 0, h.waitUntil);
    await h.settle();
    served = (await h.store.get(kv, 0, h.waitUntil))!;
    expect(served.version).toBe("lazy-b");
    const readsBefore = kv.reads.length;
    // Unchanged shards: same content address, served from the cache under the new version.
    const unchanged = ["h2.test", "h3.test"].filter((x) => bucketOf(x, 16) !== bucketOf("h1.test", 16));
    for (const host of unchanged) expect(await answer(h.store, kv, served, host, h.waitUntil)).toBe(`host ${host} @lazy-b`);
    expect(kv.reads.slice(readsBefore).filter((k) => k.startsWith("routes/shards/"))).toEqual([]);
    // h1's new shard is missing: h1 keeps its last good config (v1's shard is still cached).
    expect(await answer(h.store, kv, served, "h1.test", h.waitUntil)).toBe("host h1.test @lazy-a");
    // A host of that shard this isolate never loaded under v1 has no last good config here.
    const neverLoaded = HOSTS.find((x) => bucketOf(x, 16) === bucketOf("h1.test", 16) && x !== "h1.test");
    if (neverLoaded) {
      const fresh = harness();
      const v = (await fresh.store.get(env.ROUTES, 0, fresh.waitUntil))!;
      expect(await answer(fresh.store, env.ROUTES, v, neverLoaded, fresh.waitUntil)).toBe("fail missingShard");
    }
  });
});
