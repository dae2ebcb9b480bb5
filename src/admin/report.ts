/**
 * What the `/__gateway/config` admin endpoint (and the console's overview) reports about this
 * isolate's table: the active version, when this isolate loaded it, the last refresh error.
 */
import { tableSummary } from "../table/describe.ts";
import type { ServedVersion, TableStore } from "../store/table-store.ts";

/** The summary of a served version: from its whole table, or from a sharded version's index (no shard read). */
export function servedSummary(served: ServedVersion<unknown>) {
  if (served.whole) return tableSummary(served.whole.table);
  const index = served.index!;
  const s = index.summary;
  return {
    tableVersion: index.tableVersion,
    istio: index.istio,
    ...(s?.hosts ? { hosts: s.hosts } : {}),
    vhosts: s?.vhosts ?? null,
    routes: s?.routes ?? null,
    clusters: s?.clusters ?? null,
    endpoints: s?.endpoints ?? null,
    warnings: index.warnings?.length ?? 0,
    shards: index.buckets + (index.wildcard ? 1 : 0),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function configReport(store: TableStore<unknown>, refreshSeconds: string | undefined) {
  const status = store.status();
  const loaded = store.loaded();
  return {
    version: status.version,
    activatedAt: status.activatedAt,
    loadedAt: iso(status.loadedAt),
    lastCheckAt: iso(status.lastCheckAt),
    lastError: status.lastError && { ...status.lastError, at: iso(status.lastError.at) },
    refreshSeconds: refreshSeconds ?? null,
    table: loaded ? servedSummary(loaded) : null,
    shardCache: status.shards,
  };
}
