/**
 * The local demo's view of a compiled table: which endpoints are local origins (http on
 * 127.0.0.1 / localhost), what to call them ("reviews v2"), and a copy of the table with some of
 * their ports moved — `npm start` runs an echo origin per endpoint on the documented port when it
 * is free, and on a free port otherwise, without touching the YAML in routes/.
 */
import type { RouteTable } from "../../src/table/types.ts";

export interface LocalEndpoint {
  /** `http://127.0.0.1:9081` as compiled. */
  url: string;
  port: number;
  /** `reviews v2`: the ServiceEntry host's first label and the endpoint's label values. */
  name: string;
}

const LOCAL = /^http:\/\/(127\.0\.0\.1|localhost):(\d+)$/;

export function localEndpoints(table: RouteTable): LocalEndpoint[] {
  const byUrl = new Map<string, LocalEndpoint>();
  for (const key of Object.keys(table.clusters).sort()) {
    const cluster = table.clusters[key]!;
    for (const ep of cluster.endpoints) {
      const m = LOCAL.exec(ep.url);
      if (!m || byUrl.has(ep.url)) continue;
      const labels = Object.keys(ep.labels ?? {})
        .sort()
        .map((k) => ep.labels![k]);
      const name = [cluster.host.split(".")[0], ...labels].join(" ");
      byUrl.set(ep.url, { url: ep.url, port: Number(m[2]), name });
    }
  }
  return [...byUrl.values()].sort((a, b) => a.port - b.port);
}

/** A copy of `table` with endpoint URLs replaced per `moved` (old URL → new URL); hash left as is. */
export function moveEndpoints(table: RouteTable, moved: ReadonlyMap<string, string>): RouteTable {
  const copy = structuredClone(table);
  for (const cluster of Object.values(copy.clusters)) {
    for (const ep of cluster.endpoints) ep.url = moved.get(ep.url) ?? ep.url;
  }
  return copy;
}
