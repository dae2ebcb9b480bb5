import { describe, it, expect } from "vitest";
import { ACTIVE_KEY, HISTORY_KEY, HISTORY_LIMIT, shardKey, versionKey } from "./keys.ts";
import type { ActivePointer, VersionHistory } from "./keys.ts";
import { gc, pushVersion, readActive, readHistory, readVersion, rollback, trimHistory, ReleaseError } from "./release.ts";
import type { PushInput } from "./release.ts";
import { shardTable } from "../table/shards.ts";
import { DryRunKv } from "../../scripts/lib/kv-writer.ts";
import { MemoryKv, numbered, route, table, vhost } from "../../test/fixtures/store.ts";
import type { RouteTable } from "../table/types.ts";
import { lazyTable } from "../../test/fixtures/lazy-table.ts";

const T0 = new Date("2026-11-29T10:00:00.000Z");

function input(n: number, at = T0): PushInput {
  const t = numbered(n);
  return { table: t, summary: `table ${n}`, sources: [`routes/${n}.yaml`], now: at };
}

async function pushAll(kv: MemoryKv, ns: number[]) {
  for (const [i, n] of ns.entries()) await pushVersion(kv, input(n, new Date(T0.getTime() + i * 1000)));
}

describe("push", () => {
  it("writes the shards, then the version's index, then the history, then the pointer last", async () => {
    const kv = new MemoryKv();
    const i = input(1);
    const out = await pushVersion(kv, i);
    expect(out).toEqual({ kind: "activated", version: i.table.hash, previous: null, versionWritten: true, deleted: [] });
    const sharded = await shardTable(i.table);
    expect(kv.log).toEqual([...sharded.shards.map((s) => `put ${shardKey(s.id)}`), `put ${versionKey(i.table.hash)}`, `put ${HISTORY_KEY}`, `put ${ACTIVE_KEY}`]);
    expect(kv.data.get(versionKey(i.table.hash))).toBe(sharded.indexJson);
    expect(await readVersion(kv, i.table.hash)).toEqual(i.table);
    const pointer = JSON.parse(kv.data.get(ACTIVE_KEY)!) as ActivePointer;
    expect(pointer).toEqual({ version: i.table.hash, activatedAt: T0.toISOString(), reason: "push" });
    const history = JSON.parse(kv.data.get(HISTORY_KEY)!) as VersionHistory;
    expect(history.entries).toEqual([{ version: i.table.hash, pushedAt: T0.toISOString(), summary: "table 1", sources: ["routes/1.yaml"] }]);
  });

  it("is a no-op that writes nothing when the version is already active", async () => {
    const kv = new MemoryKv();
    await pushVersion(kv, input(1));
    kv.log.length = 0;
    const out = await pushVersion(kv, input(1, new Date(T0.getTime() + 5000)));
    expect(out).toEqual({ kind: "already-active", version: input(1).table.hash });
    expect(kv.log).toEqual([]);
  });

  it("does not rewrite a stored version with identical content, but still flips to it", async () => {
    const kv = new MemoryKv();
    await pushAll(kv, [1, 2]);
    kv.log.length = 0;
    const out = await pushVersion(kv, input(1));
    expect(out.kind === "activated" && out.versionWritten).toBe(false);
    expect(kv.log).toEqual([`put ${HISTORY_KEY}`, `put ${ACTIVE_KEY}`]);
    const entries = await readHistory(kv);
    expect(entries.map((e) => e.version)).toEqual([input(1).table.hash, input(2).table.hash]);
  });

  it("keeps the history newest first and bounded, deleting versions that fall out after the flip", async () => {
    const kv = new MemoryKv();
    const ns = Array.from({ length: HISTORY_LIMIT + 2 }, (_, i) => i + 1);
    await pushAll(kv, ns.slice(0, -1));
    kv.log.length = 0;
    const out = await pushVersion(kv, input(ns.at(-1)!));
    const history = await readHistory(kv);
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history.map((e) => e.version)).toEqual(ns.slice(-HISTORY_LIMIT).reverse().map((n) => input(n).table.hash));
    // Pushing #22 pushes out #2 (#1 went out with #21).
    expect(out.kind === "activated" && out.deleted).toEqual([input(2).table.hash]);
    expect(kv.log.at(-1)).toBe(`delete ${versionKey(input(2).table.hash)}`);
    expect(kv.log.indexOf(`put ${ACTIVE_KEY}`)).toBeLessThan(kv.log.length - 1);
    expect(kv.data.has(versionKey(input(1).table.hash))).toBe(false);
    expect(kv.data.has(versionKey(input(3).table.hash))).toBe(true);
  });

  it("never deletes the version it replaces, even when a rollback left it at the bottom of the history", async () => {
    const kv = new MemoryKv();
    const ns = Array.from({ length: HISTORY_LIMIT }, (_, i) => i + 1);
    await pushAll(kv, ns);
    await rollback(kv, input(1).table.hash.slice(0, 10), T0); // #1 is the oldest entry and now active
    await pushVersion(kv, input(100));
    const history = (await readHistory(kv)).map((e) => e.version);
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history).toContain(input(1).table.hash);
    expect(history).not.toContain(input(2).table.hash);
    expect(kv.data.has(versionKey(input(1).table.hash))).toBe(true);
    expect(kv.data.has(versionKey(input(2).table.hash))).toBe(false);
  });

  it("refuses to overwrite a history it cannot read", async () => {
    const kv = new MemoryKv();
    kv.data.set(HISTORY_KEY, "{not json");
    await expect(pushVersion(kv, input(1))).rejects.toBeInstanceOf(ReleaseError);
    expect(kv.log).toEqual([]);
  });
});

describe("trimHistory", () => {
  const e = (v: string) => ({ version: v, pushedAt: "", summary: "", sources: [] });
  it.each([
    { name: "drops the oldest beyond the limit", entries: ["a", "b", "c", "d"], keep: [], kept: ["a", "b", "c"], dropped: ["d"] },
    { name: "skips kept versions and drops the next oldest", entries: ["a", "b", "c", "d"], keep: ["d"], kept: ["a", "b", "d"], dropped: ["c"] },
    { name: "keeps everything under the limit", entries: ["a", "b"], keep: [], kept: ["a", "b"], dropped: [] },
  ])("$name", ({ entries, keep, kept, dropped }) => {
    const r = trimHistory(entries.map(e), 3, new Set(keep));
    expect(r.kept.map((x) => x.version)).toEqual(kept);
    expect(r.dropped.map((x) => x.version)).toEqual(dropped);
  });
});

describe("rollback", () => {
  it("flips the pointer to the version pushed before the active one, writing only the pointer", async () => {
    const kv = new MemoryKv();
    await pushAll(kv, [1, 2, 3]);
    kv.log.length = 0;
    const out = await rollback(kv, undefined, T0);
    expect(out).toEqual({ kind: "rolled-back", version: input(2).table.hash, previous: input(3).table.hash });
    expect(kv.log).toEqual([`put ${ACTIVE_KEY}`]);
    expect((await readActive(kv))?.reason).toBe("rollback");
    // A second rollback walks further back.
    expect((await rollback(kv, undefined, T0)).version).toBe(input(1).table.hash);
  });

  it("accepts a unique hash prefix and rejects an ambiguous or unknown one", async () => {
    const kv = new MemoryKv();
    await pushAll(kv, [1, 2]);
    const out = await rollback(kv, input(1).table.hash.slice(0, 8), T0);
    expect(out.version).toBe(input(1).table.hash);
    await expect(rollback(kv, "", T0)).rejects.toThrow(/ambiguous/);
    await expect(rollback(kv, "zzzz", T0)).rejects.toThrow(/no version zzzz/);
  });

  it("refuses when there is nothing before the active version, or the version is gone", async () => {
    const kv = new MemoryKv();
    await expect(rollback(kv, undefined, T0)).rejects.toThrow(/no active version/);
    await pushAll(kv, [1]);
    await expect(rollback(kv, undefined, T0)).rejects.toThrow(/no version before/);
    await pushAll(kv, [2]);
    kv.data.delete(versionKey(input(1).table.hash));
    kv.log.length = 0;
    await expect(rollback(kv, undefined, T0)).rejects.toThrow(/missing/);
    expect(kv.log).toEqual([]);
  });

  it("refuses a stored table of a format this gateway cannot read", async () => {
    const kv = new MemoryKv();
    await pushAll(kv, [1, 2]);
    kv.data.set(versionKey(input(1).table.hash), JSON.stringify({ tableVersion: 999 }));
    await expect(rollback(kv, undefined, T0)).rejects.toThrow(/tableVersion 999/);
  });

  it("says so when the requested version is already active", async () => {
    const kv = new MemoryKv();
    await pushAll(kv, [1, 2]);
    expect(await rollback(kv, input(2).table.hash, T0)).toEqual({ kind: "already-active", version: input(2).table.hash });
  });
});

describe("dry run", () => {
  it("plans the same writes as a real push and performs none", async () => {
    const real = new MemoryKv();
    await pushAll(real, [1]);
    real.log.length = 0;
    const dry = new DryRunKv(real);
    await pushVersion(dry, input(2));
    expect(real.log).toEqual([]);
    const sharded = await shardTable(input(2).table);
    const newShards = sharded.shards.filter((s) => !real.data.has(shardKey(s.id)));
    expect(dry.planned.map((p) => `${p.op} ${p.key}`)).toEqual([...newShards.map((s) => `put ${shardKey(s.id)}`), `put ${versionKey(input(2).table.hash)}`, `put ${HISTORY_KEY}`, `put ${ACTIVE_KEY}`]);
    expect(dry.planned.at(-3)!.bytes).toBe(Buffer.byteLength(sharded.indexJson));
    expect(dry.unread).toEqual([]);
  });

  it("does not keep the values of the shards it plans (a push never reads a shard back), and says so if one is read", async () => {
    const dry = new DryRunKv(new MemoryKv());
    const t = table(Array.from({ length: 300 }, (_, i) => vhost(`h${i}.example`, [route("default")])));
    await pushVersion(dry, { table: t, summary: "", sources: [], now: T0 });
    const sharded = await shardTable(t);
    expect(dry.planned.filter((p) => p.key.startsWith(shardKey(""))).map((p) => [p.key, p.bytes])).toEqual(sharded.shards.map((s) => [shardKey(s.id), Buffer.byteLength(s.json)]));
    await expect(dry.get(shardKey(sharded.shards[0]!.id))).rejects.toThrow(/not kept/);
    expect(await dry.get(versionKey(t.hash))).toBe(sharded.indexJson);
  });

  it("does not read a store whose reads would execute remote commands, and says which keys it did not read", async () => {
    const remoteLike = new MemoryKv(false);
    await pushAll(remoteLike, [1]);
    const dry = new DryRunKv(remoteLike);
    await pushVersion(dry, input(2));
    expect(dry.unread).toEqual([ACTIVE_KEY, versionKey(input(2).table.hash), HISTORY_KEY]);
  });
});

/** Same content, whatever the vhost order (an assembled table lists vhosts shard by shard). */
async function contentOf(t: RouteTable | null): Promise<string | null> {
  return t && (await shardTable(t)).indexJson;
}

describe("sharded versions", () => {
  /** A config of `n` hosts; host `changed` (if any) routes elsewhere. */
  function hosts(n: number, changed = -1): RouteTable {
    return table(Array.from({ length: n }, (_, i) => vhost(`h${i}.example`, [route("default", i === changed ? { match: { uri: { prefix: "/changed" } } } : {})])));
  }
  const push = (kv: MemoryKv, t: RouteTable, s: number) => pushVersion(kv, { table: t, summary: "", sources: [], now: new Date(T0.getTime() + s * 1000) });

  it("a one-host change writes one shard, the index, the history and the pointer", async () => {
    const kv = new MemoryKv();
    await push(kv, hosts(2000), 0);
    kv.log.length = 0;
    await push(kv, hosts(2000, 1234), 1);
    expect(kv.log.filter((l) => l.startsWith(`put ${shardKey("")}`))).toHaveLength(1);
    expect(kv.log).toHaveLength(4);
    expect(await contentOf(await readVersion(kv, hosts(2000, 1234).hash))).toBe(await contentOf(hosts(2000, 1234)));
  });

  it("a lazy table (routes read afresh at every access) writes what the plain table writes, the one-host change too", async () => {
    const kvs = [new MemoryKv(), new MemoryKv()] as const;
    for (const [i, lazy] of [false, true].entries()) {
      const as = (t: RouteTable) => (lazy ? lazyTable(t).table : t);
      await push(kvs[i]!, as(hosts(2000)), 0);
      await push(kvs[i]!, as(hosts(2000, 1234)), 1);
    }
    expect(kvs[1].log).toEqual(kvs[0].log);
    expect([...kvs[1].data]).toEqual([...kvs[0].data]);
    const second = kvs[1].log.slice(kvs[1].log.indexOf(`put ${ACTIVE_KEY}`) + 1);
    expect(second.filter((l) => l.startsWith(`put ${shardKey("")}`))).toHaveLength(1);
  });

  it("makes each shard right before writing it: when a shard is written, the shards after it are not made yet", async () => {
    // Issue #16 (CLI memory): a push holds one shard's bytes at a time, not every shard's. The
    // plan reads each vhost once (ids and index); a shard's vhosts are read a second time only
    // when that shard is made to be written.
    const t = hosts(2000);
    const { table: lazy, reads } = lazyTable(t);
    const sharded = await shardTable(t);
    expect(sharded.shards.length).toBeGreaterThan(8);
    const vhostsOf = new Map(sharded.shards.map((s) => [shardKey(s.id), s.table.vhosts.map((v) => t.vhosts.indexOf(v))]));
    const kv = new MemoryKv();
    const written = new Set<string>();
    const put = kv.put.bind(kv);
    kv.put = async (key, value) => {
      const mine = vhostsOf.get(key);
      if (mine) {
        written.add(key);
        for (const [k, vs] of vhostsOf) for (const v of vs) expect(reads[v]).toBe(k === key || written.has(k) ? 2 : 1);
      }
      return put(key, value);
    };
    await push(kv, lazy, 0);
    expect(written.size).toBe(sharded.shards.length);
    expect(reads.every((n) => n === 2)).toBe(true);
    expect(kv.data.get(versionKey(t.hash))).toBe(sharded.indexJson);
    for (const s of sharded.shards) expect(kv.data.get(shardKey(s.id))).toBe(s.json);
  });

  it("a version whose shard is missing is refused by rollback and diff's read, naming the shard", async () => {
    const kv = new MemoryKv();
    await push(kv, hosts(3), 0);
    await push(kv, hosts(3, 1), 1);
    const old = (await shardTable(hosts(3))).shards[0]!.id;
    kv.data.delete(shardKey(old));
    await expect(readVersion(kv, hosts(3).hash)).rejects.toThrow(new RegExp(`shard ${old}`));
    await expect(rollback(kv, undefined, T0)).rejects.toBeInstanceOf(ReleaseError);
    expect((await readActive(kv))?.version).toBe(hosts(3, 1).hash);
  });

  it("gc --keep N deletes old indexes and only the shards no kept version uses", async () => {
    const kv = new MemoryKv();
    for (let i = 0; i < 4; i++) await push(kv, hosts(200, i), i);
    const versions = [0, 1, 2, 3].map((i) => hosts(200, i).hash);
    const out = await gc(kv, 2);
    expect(out.deleted.sort()).toEqual([versions[0], versions[1]].sort());
    expect(out.kept.sort()).toEqual([versions[2], versions[3]].sort());
    // Every kept version still reads whole; the deleted ones are gone.
    expect(await contentOf(await readVersion(kv, versions[3]!))).toBe(await contentOf(hosts(200, 3)));
    expect(await contentOf(await readVersion(kv, versions[2]!))).toBe(await contentOf(hosts(200, 2)));
    expect(await readVersion(kv, versions[0]!)).toBeNull();
    // No shard is left that no kept version names.
    const used = new Set((await Promise.all([hosts(200, 2), hosts(200, 3)].map((t) => shardTable(t)))).flatMap((s) => s.shards.map((x) => shardKey(x.id))));
    const left = [...kv.data.keys()].filter((k) => k.startsWith(shardKey("")));
    expect(left.sort()).toEqual([...used].sort());
    expect(out.shardsDeleted).toBeGreaterThan(0);
    await expect(gc(kv, 0)).rejects.toBeInstanceOf(ReleaseError);
  });
});
