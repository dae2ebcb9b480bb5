/**
 * Hand-made compiled tables and an in-memory KvWriter for the routes CLI tests: the storage and
 * diff layers are tested without the config loader or the compiler.
 */
import { createHash } from "node:crypto";
import { TABLE_VERSION, clusterKey } from "../../../src/table/types.ts";
import type { Cluster, Route, RouteTable, VirtualHost } from "../../../src/table/types.ts";
import type { KvWriter } from "../../../scripts/lib/kv-writer.ts";

export const NO_RETRIES = { attempts: 0, retryOn: [], retriableStatusCodes: [], backoffBaseMs: 25, retryIgnorePreviousHosts: true };
export const ISTIO_DEFAULT_RETRIES = {
  attempts: 2,
  retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"],
  retriableStatusCodes: [],
  backoffBaseMs: 25,
  retryIgnorePreviousHosts: true,
};

export function route(name: string, over: Partial<Route> = {}): Route {
  return {
    name,
    virtualService: "default/vs",
    ruleIndex: 0,
    matchIndex: null,
    match: null,
    action: {
      kind: "route",
      destinations: [{ host: "reviews", subset: "v1", cluster: clusterKey("reviews", "v1"), weight: 1 }],
      totalWeight: 1,
    },
    retries: ISTIO_DEFAULT_RETRIES,
    ...over,
  };
}

export function vhost(domain: string, routes: Route[], over: Partial<VirtualHost> = {}): VirtualHost {
  return { domain, port: 80, httpsRedirect: false, routes, ...over };
}

export function cluster(host: string, subset: string | undefined, urls: string[]): Cluster {
  return { host, subset, endpoints: urls.map((url) => ({ url, weight: 1 })), external: false };
}

/** A table whose hash is the sha-256 of its JSON with hash "" (like the compiler's). */
export function table(vhosts: VirtualHost[], clusters: Record<string, Cluster> = {}): RouteTable {
  const exact: Record<string, number> = {};
  vhosts.forEach((vh, i) => (exact[vh.domain] = i));
  const t: RouteTable = {
    tableVersion: TABLE_VERSION,
    hash: "",
    istio: "1.28",
    listeners: {
      http: { port: 80, fallback: false, exact, suffix: {}, suffixLengths: [], star: null },
      https: { port: 80, fallback: true, exact, suffix: {}, suffixLengths: [], star: null },
    },
    vhosts,
    clusters,
  };
  t.hash = createHash("sha256").update(JSON.stringify(t)).digest("hex");
  return t;
}

/** A table that differs from `table(...)` by a marker, for tests that need N distinct versions. */
export function numbered(n: number): RouteTable {
  return table([vhost(`site${n}.example.com`, [route("default")])]);
}

/** In-memory KV with an operation log (what was written, in which order). */
export class MemoryKv implements KvWriter {
  readonly target = "memory KV";
  readonly readsInDryRun: boolean;
  readonly data = new Map<string, string>();
  readonly log: string[] = [];

  constructor(readsInDryRun = true) {
    this.readsInDryRun = readsInDryRun;
  }

  async get(key: string) {
    return this.data.get(key) ?? null;
  }
  async put(key: string, value: string) {
    this.log.push(`put ${key}`);
    this.data.set(key, value);
  }
  async delete(key: string) {
    this.log.push(`delete ${key}`);
    this.data.delete(key);
  }
  async describePut(key: string, value: string) {
    return `memory put ${key} ${value.length}`;
  }
  describeDelete(key: string) {
    return `memory delete ${key}`;
  }
  async close() {}
}
