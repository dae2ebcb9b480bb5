/**
 * What the `/__gateway/config` admin endpoint (and the console's overview) reports about this
 * isolate's table: the active version, when this isolate loaded it, the last refresh error.
 */
import { tableSummary } from "../table/describe.ts";
import type { TableStore } from "../store/table-store.ts";

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
    table: loaded ? tableSummary(loaded.table) : null,
  };
}
