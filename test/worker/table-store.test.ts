/**
 * The per-isolate table cache against a real KV binding (workerd) and fakes for failures.
 * Each case builds its own TableStore with an injected clock; waitUntil promises are collected
 * and awaited explicitly, so "the request did not wait" is observable without timing.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { TableStore } from "../../src/store/table-store.ts";
import type { KvReader } from "../../src/store/kv.ts";
import { ACTIVE_KEY, shardKey, versionKey } from "../../src/store/keys.ts";
import { shardIdsOf, shardTable } from "../../src/table/shards.ts";
import type { RouteTable } from "../../src/table/types.ts";
import { markerTable, pointTo, pushTable, unknownTableVersion } from "../fixtures/pushed.ts";

interface Harness {
  store: TableStore<string>;
  clock: { t: number };
  logs: Array<Record<string, unknown>>;
  pending: Array<Promise<unknown>>;
  waitUntil: (p: Promise<unknown>) => void;
  settle: () => Promise<void>;
}

function harness(opts: { kvTimeoutMs?: number; prepare?: (t: RouteTable) => string } = {}): Harness {
  const clock = { t: 1_000_000 };
  const logs: Array<Record<string, unknown>> = [];
  const pending: Array<Promise<unknown>> = [];
  const store = new TableStore<string>({
    prepare: opts.prepare ?? ((t) => `prepared:${t.hash}`),
    now: () => clock.t,
    kvTimeoutMs: opts.kvTimeoutMs ?? 200,
    log: (e) => logs.push(e),
  });
  return {
    store,
    clock,
    logs,
    pending,
    waitUntil: (p) => pending.push(p),
    settle: async () => {
      while (pending.length) await pending.shift();
    },
  };
}

/** The shard keys a load of `t` reads after its index (src/table/shards.ts), in index order. */
async function shardKeysOf(t: RouteTable): Promise<string[]> {
  return shardIdsOf((await shardTable(t)).index).map(shardKey);
}

/** Counts reads on the real binding. */
function counting(kv: KVNamespace): KvReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    get: (key: string) => {
      reads.push(key);
      return kv.get(key);
    },
  };
}

beforeEach(async () => {
  await env.ROUTES.delete(ACTIVE_KEY);
});

describe("TableStore with a real KV binding", () => {
  it("makes a cold isolate wait for the first load of the index, and prepares each shard once, on first use", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const h = harness();
    const loaded = await h.store.get(env.ROUTES, 0, h.waitUntil);
    expect(loaded?.version).toBe("v1");
    expect(loaded?.index?.hash).toBe("v1");
    const wildcard = loaded!.index!.wildcard!;
    const first = await h.store.forHost(env.ROUTES, loaded!, "http", null, "a.com", h.waitUntil);
    expect(first).toMatchObject({ ok: true, prepared: `prepared:${wildcard}`, version: "v1" });
    // Cached: answered synchronously, the same prepared shard.
    const again = h.store.forHost(env.ROUTES, loaded!, "https", null, "b.com", h.waitUntil);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { prepared: string }).prepared).toBe(`prepared:${wildcard}`);
    expect(h.store.status().lastError).toBeNull();
  });

  it("serves the cached table during a refresh and switches after a pointer flip (CONFIG_REFRESH_SECONDS=0)", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const h = harness();
    await h.store.get(env.ROUTES, 0, h.waitUntil);
    await h.settle();
    await pushTable(env.ROUTES, await markerTable("v2"));
    const during = await h.store.get(env.ROUTES, 0, h.waitUntil);
    expect(during?.version).toBe("v1"); // not blocked on the refresh it started
    expect(h.pending.length).toBe(1);
    await h.settle();
    const after = await h.store.get(env.ROUTES, 0, h.waitUntil);
    expect(after?.version).toBe("v2");
    expect(h.logs.some((l) => l.msg === "route table loaded" && l.version === "v2" && l.previous === "v1")).toBe(true);
  });

  it("lookup: a Promise while nothing is loaded, then the served version synchronously, still starting the due refresh", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const h = harness();
    const cold = h.store.lookup(env.ROUTES, 0, h.waitUntil);
    expect(cold).toBeInstanceOf(Promise);
    const loaded = await cold;
    expect(loaded?.version).toBe("v1");
    await h.settle();
    await pushTable(env.ROUTES, await markerTable("v2"));
    const warm = h.store.lookup(env.ROUTES, 0, h.waitUntil);
    expect(warm).not.toBeInstanceOf(Promise);
    expect(warm).toBe(loaded);
    // The refresh it started (interval 0) runs in the background, exactly as get() does.
    expect(h.pending.length).toBe(1);
    await h.settle();
    expect((h.store.lookup(env.ROUTES, 60_000, h.waitUntil) as { version: string }).version).toBe("v2");
    expect(await h.store.get(env.ROUTES, 60_000, h.waitUntil)).toBe(h.store.lookup(env.ROUTES, 60_000, h.waitUntil));
  });

  it("re-reads only the pointer while the version is unchanged", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const kv = counting(env.ROUTES);
    const h = harness();
    await h.store.get(kv, 0, h.waitUntil);
    await h.store.get(kv, 0, h.waitUntil);
    await h.settle();
    // The cold load reads the index only: shards are read when a host needs them.
    expect(kv.reads).toEqual([ACTIVE_KEY, versionKey("v1"), ACTIVE_KEY]);
  });

  it("does not re-check the pointer before the refresh interval has passed", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const kv = counting(env.ROUTES);
    const h = harness();
    await h.store.get(kv, 30_000, h.waitUntil);
    h.clock.t += 29_999;
    await h.store.get(kv, 30_000, h.waitUntil);
    expect(h.pending.length).toBe(1); // only the cold load's keep-alive
    h.clock.t += 1;
    await h.store.get(kv, 30_000, h.waitUntil);
    await h.settle();
    expect(kv.reads.filter((k) => k === ACTIVE_KEY).length).toBe(2);
  });

  it("shares one load between concurrent cold requests (single flight)", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const kv = counting(env.ROUTES);
    const h = harness();
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => h.store.get(kv, 0, h.waitUntil)));
    expect(all.map((l) => l?.version)).toEqual(["v1", "v1", "v1", "v1", "v1"]);
    expect(kv.reads).toEqual([ACTIVE_KEY, versionKey("v1")]);
    // … and so do concurrent first requests for one host: one read per shard they need.
    const hosts = await Promise.all([1, 2, 3, 4, 5].map(() => h.store.forHost(kv, all[0]!, "http", null, "x.com", h.waitUntil)));
    expect(hosts.every((r) => r.ok)).toBe(true);
    expect(kv.reads.slice(2).sort()).toEqual((await shardKeysOf(await markerTable("v1"))).sort());
  });

  it("returns null without any table and throttles retries of the load", async () => {
    const kv = counting(env.ROUTES);
    const h = harness();
    expect(await h.store.get(kv, 30_000, h.waitUntil)).toBeNull();
    expect(h.store.status().lastError?.reason).toBe("noPointer");
    expect(await h.store.get(kv, 30_000, h.waitUntil)).toBeNull();
    expect(kv.reads.length).toBe(1);
    h.clock.t += 5_000;
    await pushTable(env.ROUTES, await markerTable("v1"));
    expect((await h.store.get(kv, 30_000, h.waitUntil))?.version).toBe("v1");
  });
});

describe("TableStore keeps the last good table", () => {
  async function loadedHarness(opts: Parameters<typeof harness>[0] = {}): Promise<Harness> {
    await pushTable(env.ROUTES, await markerTable("good"));
    const h = harness(opts);
    expect((await h.store.get(env.ROUTES, 0, h.waitUntil))?.version).toBe("good");
    await h.settle();
    return h;
  }

  async function refreshWith(h: Harness, kv: KvReader): Promise<void> {
    const served = await h.store.get(kv, 0, h.waitUntil);
    expect(served?.version).toBe("good");
    await h.settle();
    const after = await h.store.get(kv, 0, h.waitUntil);
    expect(after?.version).toBe("good");
    await h.settle();
  }

  it.each([
    ["the pointer names a missing version", "missingVersion", async () => pointTo(env.ROUTES, "nope")],
    ["the version is corrupt JSON", "corruptJson", async () => pushTable(env.ROUTES, { hash: "bad", raw: '{"tableVersion":1,' })],
    [
      "the table version is unknown",
      "unknownTableVersion",
      async () => pushTable(env.ROUTES, { hash: "v99", raw: JSON.stringify(unknownTableVersion(await markerTable("v99"), 99)) }),
    ],
    [
      "the table hash differs from the pointer",
      "badTable",
      async () => pushTable(env.ROUTES, { hash: "x1", raw: JSON.stringify(await markerTable("x2")) }),
    ],
    ["the pointer is not JSON", "badPointer", async () => env.ROUTES.put(ACTIVE_KEY, "v2")],
    ["the pointer was deleted", "noPointer", async () => env.ROUTES.delete(ACTIVE_KEY)],
  ])("when %s (reason %s)", async (_name, reason, breakIt) => {
    const h = await loadedHarness();
    await breakIt();
    await refreshWith(h, env.ROUTES);
    expect(h.store.status().lastError?.reason).toBe(reason);
    const warn = h.logs.find((l) => l.level === "warn");
    expect(warn).toMatchObject({ reason, keptVersion: "good", msg: "route table refresh failed; keeping last good table" });
  });

  // A sharded version becomes active once its index is read; its shards fail per host, on use
  // (test/worker/lazy-shards.test.ts): a host whose new shard cannot be read is served by the
  // previous version when this isolate still has that version's shards for it.
  it("when a shard of the new version is missing (reason missingShard): the host keeps the previous version", async () => {
    const h = await loadedHarness();
    const good = h.store.loaded()!;
    expect((await h.store.forHost(env.ROUTES, good, "http", null, "a.com", h.waitUntil)).ok).toBe(true);
    await pushTable(env.ROUTES, await markerTable("v2-lost-shard"));
    // The wildcard shard (the `*` vhost) is v2's own; the empty bucket shard is shared with "good".
    const own = (await shardTable(await markerTable("v2-lost-shard"))).index.wildcard!;
    await env.ROUTES.delete(shardKey(own));
    await h.store.get(env.ROUTES, 0, h.waitUntil);
    await h.settle();
    const v2 = (await h.store.get(env.ROUTES, 0, h.waitUntil))!;
    expect(v2.version).toBe("v2-lost-shard");
    const r = await h.store.forHost(env.ROUTES, v2, "http", null, "a.com", h.waitUntil);
    expect(r).toMatchObject({ ok: true, version: "good" });
    expect(h.store.status().shards.lastError).toMatchObject({ reason: "missingShard", shard: own });
  });

  it.each([
    ["fails", "kvError", () => Promise.reject(new Error("KV GET failed: 500"))],
    ["hangs", "kvTimeout", () => new Promise<string | null>(() => {})],
  ] as const)("when KV %s on a shard read, a host with no previous version answers with the reason (%s)", async (_n, reason, fail) => {
    await pushTable(env.ROUTES, await markerTable("v2-shard-fault"));
    const h = harness({ kvTimeoutMs: 20 });
    const kv: KvReader = { get: (key: string) => (key.startsWith("routes/shards/") ? fail() : env.ROUTES.get(key)) };
    const served = (await h.store.get(kv, 0, h.waitUntil))!;
    expect(served.version).toBe("v2-shard-fault");
    const r = await h.store.forHost(kv, served, "http", null, "a.com", h.waitUntil);
    expect(r).toMatchObject({ ok: false, reason, version: "v2-shard-fault" });
  });

  it("when KV throws", async () => {
    const h = await loadedHarness();
    await refreshWith(h, { get: () => Promise.reject(new Error("KV GET failed: 500")) });
    expect(h.store.status().lastError).toMatchObject({ reason: "kvError", detail: "KV GET failed: 500" });
  });

  it("when KV hangs past the read bound", async () => {
    const h = await loadedHarness({ kvTimeoutMs: 20 });
    await refreshWith(h, { get: () => new Promise<string | null>(() => {}) });
    expect(h.store.status().lastError?.reason).toBe("kvTimeout");
  });

  it("when prepare() throws on a new table stored whole", async () => {
    const h = await loadedHarness({
      prepare: (t) => {
        if (t.hash === "v2") throw new Error("bad regex");
        return t.hash;
      },
    });
    await pushTable(env.ROUTES, { hash: "v2", raw: JSON.stringify(await markerTable("v2")) });
    await refreshWith(h, env.ROUTES);
    expect(h.store.status().lastError).toMatchObject({ reason: "prepareFailed", detail: "bad regex" });
  });

  it("when prepare() throws on a new shard: the host keeps the previous version", async () => {
    const badShard = (await shardTable(await markerTable("v2"))).index.wildcard!;
    const h = await loadedHarness({
      prepare: (t) => {
        if (t.hash === badShard) throw new Error("bad regex");
        return t.hash;
      },
    });
    expect((await h.store.forHost(env.ROUTES, h.store.loaded()!, "http", null, "a.com", h.waitUntil)).ok).toBe(true);
    await pushTable(env.ROUTES, await markerTable("v2"));
    await h.store.get(env.ROUTES, 0, h.waitUntil);
    await h.settle();
    const v2 = (await h.store.get(env.ROUTES, 0, h.waitUntil))!;
    expect(v2.version).toBe("v2");
    expect(await h.store.forHost(env.ROUTES, v2, "http", null, "a.com", h.waitUntil)).toMatchObject({ ok: true, version: "good" });
    expect(h.store.status().shards.lastError).toMatchObject({ reason: "prepareFailed", shard: badShard, detail: `shard ${badShard}: bad regex` });
  });

  it("clears the error once a good version arrives", async () => {
    const h = await loadedHarness();
    await pointTo(env.ROUTES, "nope");
    await refreshWith(h, env.ROUTES);
    await pushTable(env.ROUTES, await markerTable("v3"));
    await h.store.get(env.ROUTES, 0, h.waitUntil);
    await h.settle();
    expect((await h.store.get(env.ROUTES, 0, h.waitUntil))?.version).toBe("v3");
    expect(h.store.status().lastError).toBeNull();
  });
});
