/**
 * The per-isolate route-table cache (DESIGN.md §5).
 *
 * - A cold isolate awaits its first load; every later request is served from the cache.
 * - Every `refreshMs` (CONFIG_REFRESH_SECONDS; 0 = every request) one request starts a re-check
 *   of the pointer through `waitUntil`: requests never wait for a refresh, and at most one runs
 *   at a time (single flight). The pointer comes from `pointerSource` when one is given (the
 *   state plane's Durable Object copy, src/state), else from KV's key.
 * - Any failure (KV error/timeout, missing version, corrupt JSON, unknown tableVersion, prepare
 *   throwing) keeps the last good table and is recorded + logged as structured JSON.
 * - With no table at all, `get` returns null (the caller answers 503); loads are retried at most
 *   every `min(refreshMs, NO_TABLE_RETRY_MS)` so a missing config does not hammer KV.
 */
import type { RouteTable } from "../table/types.ts";
import { readActiveTable, KV_READ_TIMEOUT_MS, type KvReader, type PointerSource, type ReadFailureReason } from "./read.ts";

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
}

export interface TableStoreDeps<P> {
  prepare: (table: RouteTable) => P;
  /** ms since epoch; injectable for tests. */
  now?: () => number;
  kvTimeoutMs?: number;
  /** Structured log sink (one JSON object per event). */
  log?: (entry: Record<string, unknown>) => void;
}

/** Upper bound on how often an isolate without any table retries KV. */
export const NO_TABLE_RETRY_MS = 5_000;

type WaitUntil = (promise: Promise<unknown>) => void;

export class TableStore<P> {
  private current: LoadedTable<P> | null = null;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  private lastError: RefreshError | null = null;
  private inflight: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly kvTimeoutMs: number;
  private readonly log: (entry: Record<string, unknown>) => void;

  private readonly deps: TableStoreDeps<P>;

  // No parameter properties (erasableSyntaxOnly: shared code must run under Node type stripping).
  constructor(deps: TableStoreDeps<P>) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.kvTimeoutMs = deps.kvTimeoutMs ?? KV_READ_TIMEOUT_MS;
    this.log = deps.log ?? ((e) => console.log(JSON.stringify(e)));
  }

  /** The table to serve this request with, or null when this isolate has none. */
  async get(kv: KvReader, refreshMs: number, waitUntil: WaitUntil, pointerSource?: PointerSource): Promise<LoadedTable<P> | null> {
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2 * this.kvTimeoutMs + 100);
    });
    await Promise.race([load, bound]);
    clearTimeout(timer);
    return this.current;
  }

  status(): StoreStatus {
    const c = this.current;
    return {
      version: c?.version ?? null,
      activatedAt: c?.activatedAt ?? null,
      loadedAt: c?.loadedAt ?? null,
      lastCheckAt: Number.isFinite(this.lastCheckAt) ? this.lastCheckAt : null,
      lastError: this.lastError,
    };
  }

  /** The table currently served (admin summary); never triggers I/O. */
  loaded(): LoadedTable<P> | null {
    return this.current;
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
      let prepared: P;
      try {
        prepared = this.deps.prepare(result.table);
      } catch (err) {
        return this.fail("prepareFailed", err instanceof Error ? err.message : String(err));
      }
      const previous = this.current?.version ?? null;
      this.current = {
        table: result.table,
        prepared,
        version: result.table.hash,
        activatedAt: result.pointer.activatedAt,
        loadedAt: this.now(),
      };
      this.lastError = null;
      this.log({ ts: new Date(this.now()).toISOString(), level: "info", msg: "route table loaded", version: result.table.hash, previous });
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
