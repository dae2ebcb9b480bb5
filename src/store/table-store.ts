/**
 * The per-isolate route-table cache (DESIGN.md §5, §11).
 *
 * - A cold isolate awaits its first load of the pointer and the version it names; every later
 *   request is served from the cache. A sharded version (src/table/shards.ts) is its index only:
 *   `forHost` reads the shard a request's host needs on first use (src/store/shard-loader.ts,
 *   one shared read per shard, kept in an LRU bounded by SHARD_CACHE_BYTES). A version stored
 *   whole (older CLIs) is served whole, as before.
 * - Every `refreshMs` (CONFIG_REFRESH_SECONDS; 0 = every request) one request starts a re-check
 *   of the pointer through `waitUntil`: requests never wait for a refresh, and at most one runs
 *   at a time (single flight). The pointer comes from `pointerSource` when one is given (the
 *   state plane's Durable Object copy, src/state), else from KV's key.
 * - A new version is served once its index (or whole table) is read and checked. Any failure of
 *   that read (KV error/timeout, missing version, corrupt JSON, unknown tableVersion, prepare
 *   throwing) keeps the last good version and is recorded + logged as structured JSON.
 * - A shard that cannot be read (missing, KV error/timeout, corrupt) fails only the hosts it
 *   holds: such a host is served by the previous version when this isolate still has that
 *   version's shards for it in memory (its last good config), else `forHost` says why (the
 *   pipeline answers 503). Hosts whose shards are loaded keep serving. The read is retried at
 *   most every min(refreshMs, NO_TABLE_RETRY_MS).
 * - With no version at all, `get` returns null (the caller answers 503); loads are retried at most
 *   every `min(refreshMs, NO_TABLE_RETRY_MS)` so a missing config does not hammer KV.
 */
import { decidingShard, exactShardOf, type ShardIndex } from "../table/shards.ts";
import type { Cluster, RouteTable } from "../table/types.ts";
import type { LruStats } from "./byte-lru.ts";
import { readActiveTable, KV_READ_TIMEOUT_MS, type KvReader, type PointerSource, type ReadFailureReason } from "./read.ts";
import { ShardLoader, type LoadedShard, type ShardFailure, type ShardFailureReason, type ShardRead } from "./shard-loader.ts";
import { assembleVersion } from "./version.ts";
import { getWithTimeout } from "./kv.ts";

export { DEFAULT_SHARD_CACHE_BYTES } from "./shard-loader.ts";

/** A whole table and what `prepare` built for it (a version stored whole, or assembled for the admin). */
export interface LoadedTable<P> {
  table: RouteTable;
  /** Whatever `prepare(table)` built once for this version (indexes, compiled RegExps). */
  prepared: P;
  /** Content hash of the table (= pointer version). */
  version: string;
  /** When the CLI flipped the pointer (ActivePointer.activatedAt), if known. */
  activatedAt?: string;
  /** When this isolate loaded it (ms since epoch, store clock). */
  loadedAt: number;
}

/** The version an isolate serves: a sharded one's index, or a whole table. */
export interface ServedVersion<P> {
  version: string;
  activatedAt?: string;
  loadedAt: number;
  /** A sharded version: its index; its shards are read per host (forHost). */
  index: ShardIndex | null;
  /** A version stored whole: its table, prepared, as forHost returns it. */
  whole: HostTable<P> & { ok: true } | null;
}

/** What decides a request for one host: a shard (or the whole table) of some version. */
export type HostTable<P> =
  | { ok: true; table: RouteTable; prepared: P; version: string }
  | { ok: false; reason: ShardFailureReason; detail: string; version: string };

export interface RefreshError {
  at: number;
  reason: ReadFailureReason;
  detail: string;
}

export interface StoreStatus {
  version: string | null;
  activatedAt: string | null;
  loadedAt: number | null;
  lastCheckAt: number | null;
  /** The most recent failed check, cleared by the next successful one. */
  lastError: RefreshError | null;
  /** Sharded versions: the in-isolate shard cache. */
  shards: LruStats & { inflight: number; failing: number; lastError: { at: number; shard: string; reason: ShardFailureReason; detail: string } | null };
}

export interface TableStoreDeps<P> {
  prepare: (table: RouteTable) => P;
  /** ms since epoch; injectable for tests. */
  now?: () => number;
  kvTimeoutMs?: number;
  /** Structured log sink (one JSON object per event). */
  log?: (entry: Record<string, unknown>) => void;
  /** Bound of the shard cache (SHARD_CACHE_BYTES); `get` may change it per request. */
  shardCacheBytes?: number;
}

/** Upper bound on how often an isolate without any table (or a failing shard) retries KV. */
export const NO_TABLE_RETRY_MS = 5_000;

type WaitUntil = (promise: Promise<unknown>) => void;

export interface GetOptions {
  pointerSource?: PointerSource;
  /** SHARD_CACHE_BYTES of this request's settings. */
  shardCacheBytes?: number;
}

export class TableStore<P> {
  private current: ServedVersion<P> | null = null;
  /** The version served before `current`: a host whose new shard cannot be read falls back to it. */
  private previous: ServedVersion<P> | null = null;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  private lastError: RefreshError | null = null;
  private inflight: Promise<void> | null = null;
  private retryMs = NO_TABLE_RETRY_MS;
  private readonly now: () => number;
  private readonly kvTimeoutMs: number;
  private readonly log: (entry: Record<string, unknown>) => void;
  private readonly shards: ShardLoader<P>;

  private readonly deps: TableStoreDeps<P>;

  // No parameter properties (erasableSyntaxOnly: shared code must run under Node type stripping).
  constructor(deps: TableStoreDeps<P>) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.kvTimeoutMs = deps.kvTimeoutMs ?? KV_READ_TIMEOUT_MS;
    this.log = deps.log ?? ((e) => console.log(JSON.stringify(e)));
    this.shards = new ShardLoader<P>({ prepare: deps.prepare, now: this.now, kvTimeoutMs: this.kvTimeoutMs, log: this.log, ...(deps.shardCacheBytes !== undefined ? { limitBytes: deps.shardCacheBytes } : {}) });
  }

  /** The version to serve this request with, or null when this isolate has none. */
  async get(kv: KvReader, refreshMs: number, waitUntil: WaitUntil, options: PointerSource | GetOptions = {}): Promise<ServedVersion<P> | null> {
    return this.lookup(kv, refreshMs, waitUntil, options);
  }

  /**
   * get(), synchronous when this isolate already serves a version (every warm request): the
   * data path then spends no promise and no await on it. A Promise only while nothing is loaded.
   */
  lookup(kv: KvReader, refreshMs: number, waitUntil: WaitUntil, options: PointerSource | GetOptions = {}): ServedVersion<P> | null | Promise<ServedVersion<P> | null> {
    const o: GetOptions = typeof options === "function" ? { pointerSource: options } : options;
    const pointerSource = o.pointerSource;
    if (o.shardCacheBytes !== undefined) this.shards.setLimit(o.shardCacheBytes);
    this.retryMs = Math.min(refreshMs, NO_TABLE_RETRY_MS);
    const due = this.now() - this.lastCheckAt >= refreshMs;
    if (this.current) {
      if (due && !this.inflight) waitUntil(this.refresh(kv, pointerSource));
      return this.current;
    }
    // No table: this request has nothing to serve with, so it waits for a load.
    if (!this.inflight && !(this.now() - this.lastCheckAt >= Math.min(refreshMs, NO_TABLE_RETRY_MS))) return null;
    const load = this.inflight ?? this.refresh(kv, pointerSource);
    // Keep the loading request's context alive even if its own client goes away, and bound our
    // wait: a load started by another request must not pin this one (it may be cancelled).
    waitUntil(load);
    return this.bounded(load).then(() => this.current);
  }

  /**
   * What decides a request for `host` (lower-cased, port-less) on `scheme` with Host port `port`,
   * under `served`: the whole table, or the shard holding the host (exact domain on the request's
   * listener), else the wildcard shard (`*.suffix`, `*`) — the selection ISTIO-SEMANTICS §1.1
   * makes on the whole table (src/table/shards.ts). Synchronous when the shards are cached.
   */
  forHost(kv: KvReader, served: ServedVersion<P>, scheme: "http" | "https", port: number | null, host: string, waitUntil: WaitUntil): HostTable<P> | Promise<HostTable<P>> {
    if (served.whole) return served.whole;
    const index = served.index!;
    const exactId = exactShardOf(index, host);
    const exact = this.shards.get(kv, exactId, this.retryMs);
    if (exact instanceof Promise) {
      waitUntil(exact);
      return this.bounded(exact).then((r) => (r ? this.afterExact(kv, served, r, scheme, port, host, waitUntil) : this.timedOut(served, exactId, scheme, port, host)));
    }
    return this.afterExact(kv, served, exact, scheme, port, host, waitUntil);
  }

  private afterExact(kv: KvReader, served: ServedVersion<P>, exact: ShardRead<P>, scheme: "http" | "https", port: number | null, host: string, waitUntil: WaitUntil): HostTable<P> | Promise<HostTable<P>> {
    if (!exact.ok) return this.fallback(served, exact, scheme, port, host);
    // A decoded shard's table.hash is its id (decodeTable checks it), which decidingShard returns for it.
    const id = decidingShard(served.index!, exact.shard.table, scheme, host, port);
    if (id === exact.shard.id) return hostTable(exact.shard, served.version);
    const wildcard = this.shards.get(kv, id, this.retryMs);
    if (wildcard instanceof Promise) {
      waitUntil(wildcard);
      return this.bounded(wildcard).then((r) => (r ? this.afterWildcard(served, r, scheme, port, host) : this.timedOut(served, id, scheme, port, host)));
    }
    return this.afterWildcard(served, wildcard, scheme, port, host);
  }

  private afterWildcard(served: ServedVersion<P>, r: ShardRead<P>, scheme: "http" | "https", port: number | null, host: string): HostTable<P> {
    return r.ok ? hostTable(r.shard, served.version) : this.fallback(served, r, scheme, port, host);
  }

  private timedOut(served: ServedVersion<P>, id: string, scheme: "http" | "https", port: number | null, host: string): HostTable<P> {
    const f: ShardFailure = { ok: false, id, reason: "kvTimeout", detail: `shard ${id} was not read within ${2 * this.kvTimeoutMs + 100} ms`, at: this.now() };
    return this.fallback(served, f, scheme, port, host);
  }

  /**
   * `served`'s shard for the host cannot be read: the previous version decides for the host when
   * this isolate still holds what it needs of it (its last good config for this host; no I/O),
   * else the failure.
   */
  private fallback(served: ServedVersion<P>, failure: ShardFailure, scheme: "http" | "https", port: number | null, host: string): HostTable<P> {
    const failed: HostTable<P> = { ok: false, reason: failure.reason, detail: failure.detail, version: served.version };
    const p = served === this.current ? this.previous : null;
    if (!p) return failed;
    if (p.whole) return p.whole;
    const index = p.index!;
    const exact = this.shards.peek(exactShardOf(index, host));
    if (!exact) return failed;
    const id = decidingShard(index, exact.table, scheme, host, port);
    if (id === exact.id) return hostTable(exact, p.version);
    const wildcard = this.shards.peek(id);
    return wildcard ? hostTable(wildcard, p.version) : failed;
  }

  /**
   * A cluster of `served` by key, for the state plane's health views: from the whole table, or from
   * whichever cached shard names it (clusters are the same in every shard of a version), or from
   * the index's health-checked clusters. No I/O.
   */
  clusterOf(served: ServedVersion<P>, key: string): Cluster | undefined {
    if (served.whole) return Object.hasOwn(served.whole.table.clusters, key) ? served.whole.table.clusters[key] : undefined;
    const checked = served.index?.healthChecked;
    if (checked && Object.hasOwn(checked, key)) return checked[key];
    for (const s of this.shards.cached()) if (Object.hasOwn(s.table.clusters, key)) return s.table.clusters[key];
    return undefined;
  }

  /**
   * The whole table of `served` (admin pages, `routes`-like views): a whole version as it is; a
   * sharded one read shard by shard from KV and assembled, outside the shard cache (it would
   * evict what requests use). Costs reads and memory proportional to the config: never on the
   * data path.
   */
  async whole(kv: KvReader, served: ServedVersion<P>): Promise<LoadedTable<P> | { failed: string }> {
    const base = { version: served.version, loadedAt: served.loadedAt, ...(served.activatedAt !== undefined ? { activatedAt: served.activatedAt } : {}) };
    if (served.whole) return { ...base, table: served.whole.table, prepared: served.whole.prepared };
    const read = await assembleVersion((key) => getWithTimeout(kv, key, this.kvTimeoutMs), served.version, served.index!);
    if (!read.ok) return { failed: read.problem === "get" ? String(read.error instanceof Error ? read.error.message : read.error) : `${read.problem}: ${read.detail}` };
    return { ...base, table: read.table, prepared: this.deps.prepare(read.table) };
  }

  status(): StoreStatus {
    const c = this.current;
    const last = this.shards.lastError();
    return {
      version: c?.version ?? null,
      activatedAt: c?.activatedAt ?? null,
      loadedAt: c?.loadedAt ?? null,
      lastCheckAt: Number.isFinite(this.lastCheckAt) ? this.lastCheckAt : null,
      lastError: this.lastError,
      shards: { ...this.shards.stats(), lastError: last && { at: last.at, shard: last.id, reason: last.reason, detail: last.detail } },
    };
  }

  /** The version currently served (admin summary); never triggers I/O. */
  loaded(): ServedVersion<P> | null {
    return this.current;
  }

  /** Resolves to the promise's value, or to undefined after the read bound (2 reads + slack). */
  private async bounded<T>(p: Promise<T>): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), 2 * this.kvTimeoutMs + 100);
    });
    try {
      return await Promise.race([p, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Single-flight re-check of the pointer. Never rejects. */
  private refresh(kv: KvReader, pointerSource: PointerSource | undefined): Promise<void> {
    if (this.inflight) return this.inflight;
    this.lastCheckAt = this.now();
    const run = async (): Promise<void> => {
      const result = await readActiveTable(kv, this.current?.version, this.kvTimeoutMs, pointerSource);
      if (result.kind === "unchanged") {
        this.lastError = null;
        return;
      }
      if (result.kind === "failed") return this.fail(result.reason, result.detail);
      const base = { version: result.pointer.version, activatedAt: result.pointer.activatedAt, loadedAt: this.now() };
      let next: ServedVersion<P>;
      if (result.kind === "loadedIndex") next = { ...base, index: result.index, whole: null };
      else {
        let prepared: P;
        try {
          prepared = this.deps.prepare(result.table);
        } catch (err) {
          return this.fail("prepareFailed", err instanceof Error ? err.message : String(err));
        }
        next = { ...base, version: result.table.hash, index: null, whole: { ok: true, table: result.table, prepared, version: result.table.hash } };
      }
      const previous = this.current;
      this.previous = previous;
      this.current = next;
      this.lastError = null;
      this.log({ ts: new Date(this.now()).toISOString(), level: "info", msg: "route table loaded", version: next.version, previous: previous?.version ?? null, ...(next.index ? { shards: next.index.buckets } : {}) });
    };
    this.inflight = run()
      .catch((err: unknown) => this.fail("kvError", err instanceof Error ? err.message : String(err)))
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private fail(reason: ReadFailureReason, detail: string): void {
    this.lastError = { at: this.now(), reason, detail };
    // A missing pointer on an isolate that never had a table is the normal "not pushed yet" state:
    // still logged, as a warning, so `wrangler tail` shows why requests get 503.
    this.log({
      ts: new Date(this.now()).toISOString(),
      level: this.current ? "warn" : "error",
      msg: this.current ? "route table refresh failed; keeping last good table" : "route table load failed; no table to serve",
      reason,
      detail,
      keptVersion: this.current?.version ?? null,
    });
  }
}

function hostTable<P>(shard: LoadedShard<P>, version: string): HostTable<P> {
  return { ok: true, table: shard.table, prepared: shard.prepared, version };
}
