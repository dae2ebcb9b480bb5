/**
 * What the `/__gateway/config` admin endpoint reports about this isolate's table, and the
 * constant-time token check that guards it. Kept out of worker.ts so the entry module exports
 * only its handler.
 */
import type { RouteTable } from "../compile/table.ts";
import type { TableStore } from "./table-store.ts";

/** Length-independent, constant-time comparison: both sides are hashed to 32 bytes first. */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** `Authorization: Bearer <token>` against the ADMIN_TOKEN secret; no secret ⇒ never authorized. */
export async function adminAuthorized(authorization: string | null | undefined, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken) return false;
  const header = authorization ?? "";
  const given = /^bearer /i.test(header) ? header.slice(7).trim() : "";
  return tokensEqual(given, adminToken);
}

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
