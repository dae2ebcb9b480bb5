/**
 * What the `/__gateway/config` admin endpoint (and the console's overview) reports about this
 * isolate's table: the active version, when this isolate loaded it, the last refresh error.
 */
import type { RouteTable } from "../table/types.ts";
import type { TableStore } from "../store/table-store.ts";

export function tableSummary(t: RouteTable) {
  const clusters = Object.values(t.clusters);
  return {
    tableVersion: t.tableVersion,
    istio: t.istio,
    hosts: t.vhosts.map((v) => v.domain),
    vhosts: t.vhosts.length,
    routes: t.vhosts.reduce((n, v) => n + v.routes.length, 0),
    clusters: clusters.length,
    endpoints: clusters.reduce((n, c) => n + c.endpoints.length, 0),
    warnings: t.warnings?.length ?? 0,
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
    table: loaded ? tableSummary(loaded.table) : null,
  };
}
