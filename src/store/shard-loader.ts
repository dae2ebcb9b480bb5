/**
 * The shards of sharded versions (src/table/shards.ts), read on first use and kept in a ByteLru
 * (DESIGN.md §11, issue #16): a cold isolate reads the pointer and the index, then only the
 * shards its requests' hosts need.
 *
 * - Shards are content-addressed and immutable: one cache serves every version (a shard two
 *   versions share is read once), and an entry is never stale.
 * - Single flight: concurrent requests for one shard share one KV read.
 * - A failed read (missing key, KV error or timeout, corrupt or foreign bytes, prepare throwing)
 *   is remembered for `retryMs` (min(CONFIG_REFRESH_SECONDS, NO_TABLE_RETRY_MS)), so a shard KV
 *   cannot serve does not turn every request into a KV read; it never touches other shards.
 * - A cached hit is answered synchronously (no promise, no microtask on the warm path).
 */
import { decodeTable } from "../table/codec.ts";
import type { RouteTable } from "../table/types.ts";
import { ByteLru, type LruStats } from "./byte-lru.ts";
import { shardKey } from "./keys.ts";
import { getWithTimeout, KvTimeout, type KvReader } from "./kv.ts";

export interface LoadedShard<P> {
  id: string;
  table: RouteTable;
  prepared: P;
  /** Length of its stored JSON: what it counts against SHARD_CACHE_BYTES. */
  bytes: number;
}

export type ShardFailureReason = "missingShard" | "kvError" | "kvTimeout" | "corruptJson" | "unknownTableVersion" | "badTable" | "prepareFailed";

export interface ShardFailure {
  ok: false;
  id: string;
  reason: ShardFailureReason;
  detail: string;
  /** When the read failed (store clock). */
  at: number;
}

export type ShardRead<P> = { ok: true; shard: LoadedShard<P> } | ShardFailure;

/**
 * Default SHARD_CACHE_BYTES: 8 MiB of stored shard JSON. Parsed and prepared, a shard takes a few
 * times its JSON in heap (bench: "shard cache heap"), so this keeps a full cache well inside a
 * Worker isolate's 128 MB while holding ~100 shards of 64 ten-route hosts.
 */
export const DEFAULT_SHARD_CACHE_BYTES = 8 * 1024 * 1024;

export interface ShardLoaderDeps<P> {
  prepare: (table: RouteTable) => P;
  now: () => number;
  kvTimeoutMs: number;
  log: (entry: Record<string, unknown>) => void;
  limitBytes?: number;
}

export class ShardLoader<P> {
  private readonly lru: ByteLru<{ ok: true; shard: LoadedShard<P> }>;
  private readonly inflight = new Map<string, Promise<ShardRead<P>>>();
  private readonly failures = new Map<string, ShardFailure>();
  private readonly deps: ShardLoaderDeps<P>;
  private lastFailure: ShardFailure | null = null;

  constructor(deps: ShardLoaderDeps<P>) {
    this.deps = deps;
    this.lru = new ByteLru(deps.limitBytes ?? DEFAULT_SHARD_CACHE_BYTES);
  }

  /**
   * The shard `id`: synchronously when cached (or when its last read failed less than `retryMs`
   * ago), else a promise of one shared read. Never rejects.
   */
  get(kv: KvReader, id: string, retryMs: number): ShardRead<P> | Promise<ShardRead<P>> {
    const hit = this.lru.get(id);
    if (hit !== undefined) return hit;
    const running = this.inflight.get(id);
    if (running !== undefined) return running;
    const failed = this.failures.get(id);
    if (failed !== undefined && this.deps.now() - failed.at < retryMs) return failed;
    const read = this.read(kv, id).finally(() => this.inflight.delete(id));
    this.inflight.set(id, read);
    return read;
  }

  /** A cached shard without I/O and without touching its recency (fallbacks, reports). */
  peek(id: string): LoadedShard<P> | undefined {
    return this.lru.peek(id)?.shard;
  }

  /** Every cached shard, least recently used first. */
  *cached(): IterableIterator<LoadedShard<P>> {
    for (const id of this.lru.keys()) yield this.lru.peek(id)!.shard;
  }

  setLimit(bytes: number): void {
    this.lru.setLimit(bytes);
  }

  stats(): LruStats & { inflight: number; failing: number } {
    return { ...this.lru.stats(), inflight: this.inflight.size, failing: this.failures.size };
  }

  /** The most recent failed shard read (cleared by nothing: it is history for the admin report). */
  lastError(): ShardFailure | null {
    return this.lastFailure;
  }

  private async read(kv: KvReader, id: string): Promise<ShardRead<P>> {
    let text: string | null;
    try {
      text = await getWithTimeout(kv, shardKey(id), this.deps.kvTimeoutMs);
    } catch (err) {
      return this.fail(id, err instanceof KvTimeout ? "kvTimeout" : "kvError", err instanceof Error ? err.message : String(err));
    }
    if (text === null) return this.fail(id, "missingShard", `${shardKey(id)} is missing`);
    const d = decodeTable(text, id);
    if (!d.ok) return this.fail(id, d.problem, `shard ${id}: ${d.detail}`);
    let prepared: P;
    try {
      prepared = this.deps.prepare(d.table);
    } catch (err) {
      return this.fail(id, "prepareFailed", `shard ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ok = { ok: true as const, shard: { id, table: d.table, prepared, bytes: text.length } };
    this.failures.delete(id);
    this.lru.set(id, ok, text.length);
    return ok;
  }

  private fail(id: string, reason: ShardFailureReason, detail: string): ShardFailure {
    const f: ShardFailure = { ok: false, id, reason, detail, at: this.deps.now() };
    // One log line per failure streak of a shard (a missing key must not flood the logs).
    if (!this.failures.has(id)) {
      this.deps.log({ ts: new Date(f.at).toISOString(), level: "warn", msg: "route table shard read failed; its hosts answer 503 unless a previous version serves them", shard: id, reason, detail });
    }
    this.failures.set(id, f);
    this.lastFailure = f;
    return f;
  }
}
