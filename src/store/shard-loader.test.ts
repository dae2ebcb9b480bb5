import { describe, expect, it } from "vitest";
import { TABLE_VERSION, type RouteTable } from "../table/types.ts";
import { canonicalJson, tableHash } from "../table/codec.ts";
import { shardKey } from "./keys.ts";
import { ShardLoader } from "./shard-loader.ts";

/**
 * A stored shard: its id is its content hash, as push writes it. Synthetic on purpose: the loader
 * reads, bounds and caches stored bytes and never looks inside a vhost, so a one-vhost table with
 * no routes is all it needs; shards of compiled tables are tested in test/worker/lazy-shards.test.ts
 * and test/e2e/lazy-shards.test.ts.
 */
async function shard(domain: string): Promise<{ id: string; json: string }> {
  const t: RouteTable = {
    tableVersion: TABLE_VERSION,
    hash: "",
    istio: "1.28",
    listeners: {
      http: { port: 80, fallback: false, exact: { [domain]: 0 }, suffix: {}, suffixLengths: [], star: null },
      https: { port: null, fallback: true, exact: { [domain]: 0 }, suffix: {}, suffixLengths: [], star: null },
    },
    vhosts: [{ domain, port: 80, httpsRedirect: false, routes: [] }],
    clusters: {},
  };
  t.hash = await tableHash(t);
  return { id: t.hash, json: canonicalJson(t) };
}

function harness(limitBytes?: number, prepare: (t: RouteTable) => string = (t) => `p:${t.vhosts[0]!.domain}`) {
  const data = new Map<string, string>();
  const reads: string[] = [];
  let gate: Promise<void> | null = null;
  const kv = {
    get: async (k: string) => {
      reads.push(k);
      if (gate) await gate;
      return data.get(k) ?? null;
    },
  };
  const clock = { t: 0 };
  const logs: Array<Record<string, unknown>> = [];
  const loader = new ShardLoader<string>({ prepare, now: () => clock.t, kvTimeoutMs: 50, log: (e) => logs.push(e), ...(limitBytes ? { limitBytes } : {}) });
  return { data, reads, kv, clock, logs, loader, hold: () => { let open!: () => void; gate = new Promise<void>((r) => (open = r)); return () => { gate = null; open(); }; } };
}

describe("ShardLoader", () => {
  it("reads a shard once, prepares it once, and answers later gets synchronously from the cache", async () => {
    const h = harness();
    const s = await shard("a.com");
    h.data.set(shardKey(s.id), s.json);
    const first = await h.loader.get(h.kv, s.id, 1000);
    expect(first).toMatchObject({ ok: true, shard: { id: s.id, prepared: "p:a.com", bytes: s.json.length } });
    const again = h.loader.get(h.kv, s.id, 1000);
    expect(again).not.toBeInstanceOf(Promise);
    expect(h.reads).toEqual([shardKey(s.id)]);
  });

  it("concurrent gets of one shard share one read", async () => {
    const h = harness();
    const s = await shard("a.com");
    h.data.set(shardKey(s.id), s.json);
    const release = h.hold();
    const all = [1, 2, 3, 4].map(() => h.loader.get(h.kv, s.id, 1000));
    expect(h.loader.stats().inflight).toBe(1);
    release();
    const results = await Promise.all(all);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(h.reads).toHaveLength(1);
  });

  it("remembers a failure for the retry interval (no read), then reads again", async () => {
    const h = harness();
    const s = await shard("a.com");
    expect(await h.loader.get(h.kv, s.id, 5000)).toMatchObject({ ok: false, reason: "missingShard" });
    h.clock.t = 4999;
    expect(h.loader.get(h.kv, s.id, 5000)).toMatchObject({ ok: false, reason: "missingShard" });
    expect(h.reads).toHaveLength(1);
    expect(h.logs.filter((l) => l.reason === "missingShard")).toHaveLength(1); // one line per failure streak
    h.data.set(shardKey(s.id), s.json);
    h.clock.t = 5000;
    expect(await h.loader.get(h.kv, s.id, 5000)).toMatchObject({ ok: true });
    expect(h.loader.stats().failing).toBe(0);
  });

  it("types every way a read can go wrong: corrupt JSON, a hash that is not the key, KV throwing or hanging, prepare throwing", async () => {
    const s = await shard("a.com");
    const h = harness();
    h.data.set(shardKey("x1"), '{"tableVersion":1,');
    expect(await h.loader.get(h.kv, "x1", 0)).toMatchObject({ ok: false, reason: "corruptJson" });
    h.data.set(shardKey("x2"), s.json);
    expect(await h.loader.get(h.kv, "x2", 0)).toMatchObject({ ok: false, reason: "badTable" });
    const throwing = { get: () => Promise.reject(new Error("KV GET failed: 500")) };
    expect(await h.loader.get(throwing, "x3", 0)).toMatchObject({ ok: false, reason: "kvError", detail: "KV GET failed: 500" });
    const hanging = { get: () => new Promise<string | null>(() => {}) };
    expect(await h.loader.get(hanging, "x4", 0)).toMatchObject({ ok: false, reason: "kvTimeout" });
    const bad = harness(undefined, () => {
      throw new Error("bad regex");
    });
    bad.data.set(shardKey(s.id), s.json);
    expect(await bad.loader.get(bad.kv, s.id, 0)).toMatchObject({ ok: false, reason: "prepareFailed", detail: `shard ${s.id}: bad regex` });
  });

  it("keeps the cached shards within the byte bound, evicting the least recently used", async () => {
    const shards = await Promise.all(["a.com", "b.com", "c.com", "d.com"].map(shard));
    const h = harness(2 * shards[0]!.json.length + 10);
    for (const s of shards) h.data.set(shardKey(s.id), s.json);
    for (const s of shards) await h.loader.get(h.kv, s.id, 0);
    const st = h.loader.stats();
    expect(st.entries).toBe(2);
    expect(st.bytes).toBeLessThanOrEqual(st.limitBytes);
    expect(h.loader.peek(shards[0]!.id)).toBeUndefined();
    expect(h.loader.peek(shards[3]!.id)?.prepared).toBe("p:d.com");
  });
});
