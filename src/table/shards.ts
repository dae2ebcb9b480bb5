/**
 * Sharded stored form of a RouteTable (DESIGN.md §11, issue #16 item 1): a compiled version is a
 * small index plus content-addressed, immutable shards, so an isolate loads only the shards of
 * the host it is asked for, and a push writes only the shards whose bytes changed.
 *
 * Layout
 * - Exact hosts are hashed (FNV-1a of the lower-cased host) into `buckets` buckets; a bucket's
 *   shard holds every vhost whose domain is one of its hosts, on both listeners (a domain served
 *   by an http and an https server has two vhosts, both in the bucket of that domain).
 * - Wildcard (`*.foo.com`) and catch-all (`*`) vhosts live in one wildcard shard, with the
 *   listeners' suffix/star entries. Envoy's selection (exact → longest suffix → `*`,
 *   ISTIO-SEMANTICS §1.1) is then: the host's bucket shard when it has the exact host on the
 *   request's listener, else the wildcard shard (which answers "longest suffix, then `*`, else
 *   none" exactly as the whole table would, since it holds every wildcard entry).
 * - A shard is itself a RouteTable (its own vhosts, renumbered, and the clusters its routes and
 *   mirrors name), so prepare()/decide() run on it unchanged and decodeTable() checks it; its
 *   `hash` is its content address.
 * - The bucket count is a power of two derived from the number of exact hosts, so it only
 *   changes when the host count crosses a power of two: a one-host change rewrites one shard
 *   and the index.
 */
import { hashedCanonicalJson } from "./codec.ts";
import { TABLE_VERSION, type Cluster, type Listener, type Route, type RouteTable, type VirtualHost } from "./types.ts";

/** Aim for at most this many exact hosts per bucket shard (a shard of a 10-route host is a few KB). */
export const HOSTS_PER_SHARD = 64;

export interface ShardIndex {
  tableVersion: typeof TABLE_VERSION;
  /** Marks the stored form: a version key holds either an index or (older CLIs) a whole table. */
  kind: "shardIndex";
  /** The version: content hash of the whole table (the same as the unsharded form's). */
  hash: string;
  istio: RouteTable["istio"];
  /** Power of two. */
  buckets: number;
  /** Shard id (content hash) of each bucket; equal buckets (e.g. empty ones) share one shard. */
  shards: string[];
  /** Shard holding the wildcard and `*` vhosts, or null when the table has none. */
  wildcard: string | null;
  warnings?: string[];
  /**
   * Counts of the whole table, so an isolate can report what it serves (`/__gateway/config`)
   * without reading every shard. Absent in indexes of older CLIs.
   */
  summary?: IndexSummary;
  /**
   * Clusters with an active health check (`edge-gateway.dev/health-check`): the Cron Trigger
   * probes them all, and must not read every shard to find them. Absent when there are none.
   */
  healthChecked?: Record<string, Cluster>;
}

export interface IndexSummary {
  vhosts: number;
  routes: number;
  clusters: number;
  endpoints: number;
  /** Domains of the vhosts when there are at most SUMMARY_HOSTS_MAX of them (else omitted). */
  hosts?: string[];
}

/** Above this many vhosts the index lists no domains (it must stay small: every cold isolate reads it). */
export const SUMMARY_HOSTS_MAX = 1_000;

export interface Shard {
  id: string;
  table: RouteTable;
  /** Canonical stored bytes (what KV holds under the shard's key). */
  json: string;
}

export interface ShardedTable {
  index: ShardIndex;
  /** Canonical stored bytes of the index (sorted keys: starts with `{"buckets":`). */
  indexJson: string;
  /** Distinct shards, each once. */
  shards: Shard[];
}

/** FNV-1a 32-bit: cheap, stable across Node and workerd, good enough spread for host names. */
export function hostHash(host: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    h ^= host.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function bucketOf(host: string, buckets: number): number {
  return hostHash(host) & (buckets - 1);
}

export function bucketCount(exactHosts: number, hostsPerShard = HOSTS_PER_SHARD): number {
  if (!(hostsPerShard >= 1)) throw new RangeError(`hostsPerShard must be ≥ 1, got ${hostsPerShard}`);
  let b = 1;
  while (b * hostsPerShard < exactHosts) b *= 2;
  return b;
}

function isWildcardDomain(domain: string): boolean {
  return domain.startsWith("*");
}

/** Cluster keys a vhost's routes (destinations and mirrors) name. */
function clusterKeysOf(vhost: VirtualHost, into: Set<string>): void {
  for (const r of vhost.routes as Route[]) {
    if (r.action.kind === "route") for (const d of r.action.destinations) if (d.cluster !== null) into.add(d.cluster);
    for (const m of r.mirrors ?? []) if (m.destination.cluster !== null) into.add(m.destination.cluster);
  }
}

/**
 * A listener's exact entries by vhost, built once per listener: a bucket shard takes the entries
 * of its own vhosts instead of scanning every exact host of the table, which made sharding
 * O(hosts × buckets) (10,000 hosts: 2.5 million visits per listener). Compact, since it lives as
 * long as the table: `hosts` in the listener's order, `vhost[pos]` the vhost of `hosts[pos]`, and
 * the positions of vhost v's hosts are `at[start[v]] … at[start[v + 1] - 1]`, ascending (a Map of
 * [position, host] lists was 5.6 MiB for 10,000 hosts, 15 % of a 100,000-route push's live heap).
 */
interface ExactIndex {
  hosts: string[];
  vhost: Int32Array;
  start: Int32Array;
  at: Int32Array;
}

const exactByVhost = new WeakMap<Listener, ExactIndex>();

function exactEntriesOf(l: Listener): ExactIndex {
  let m = exactByVhost.get(l);
  if (!m) {
    const hosts = Object.keys(l.exact);
    const vhost = new Int32Array(hosts.length);
    let max = -1;
    hosts.forEach((h, pos) => {
      const v = l.exact[h]!;
      // Not a vhost index: no shard has it (and no entry of it is taken), as before.
      vhost[pos] = Number.isInteger(v) && v >= 0 && v < 2 ** 31 ? v : -1;
      max = Math.max(max, vhost[pos]!);
    });
    const start = new Int32Array(max + 2);
    for (const v of vhost) if (v >= 0) start[v + 1]!++;
    for (let v = 0; v <= max; v++) start[v + 1]! += start[v]!;
    const fill = start.slice(0, max + 1);
    const at = new Int32Array(start[max + 1]!);
    vhost.forEach((v, pos) => {
      if (v >= 0) at[fill[v]!++] = pos;
    });
    m = { hosts, vhost, start, at };
    exactByVhost.set(l, m);
  }
  return m;
}

function subListener(l: Listener, renumber: Map<number, number>, wildcard: boolean): Listener {
  const exact: Record<string, number> = {};
  const suffix: Record<string, number> = {};
  if (!wildcard) {
    // The shard's vhosts' entries, in the listener's own order (the bytes are sorted anyway).
    const { hosts, vhost, start, at } = exactEntriesOf(l);
    const mine: number[] = [];
    for (const v of renumber.keys()) if (v >= 0 && v + 1 < start.length) for (let j = start[v]!; j < start[v + 1]!; j++) mine.push(at[j]!);
    mine.sort((a, b) => a - b);
    for (const pos of mine) exact[hosts[pos]!] = renumber.get(vhost[pos]!)!;
  }
  if (wildcard) for (const [sfx, v] of Object.entries(l.suffix)) suffix[sfx] = renumber.get(v)!;
  const star = wildcard && l.star !== null ? renumber.get(l.star)! : null;
  const out: Listener = {
    port: l.port,
    fallback: l.fallback,
    exact,
    suffix,
    suffixLengths: [...new Set(Object.keys(suffix).map((k) => k.length))].sort((a, b) => b - a),
    star,
  };
  // Gateway API listeners on other ports (types.ts Listener.ports): every shard keeps every port's
  // listener, with the entries of its own vhosts, so the port a Host names still selects it.
  if (l.ports) {
    out.ports = {};
    for (const [port, sub] of Object.entries(l.ports)) out.ports[port] = subListener(sub, renumber, wildcard);
  }
  return out;
}

function emptyListener(): Listener {
  return { port: null, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null };
}

/** Adds a shard's listener (vhost numbers offset by `base`) into the assembled one, ports included. */
function mergeListener(to: Listener, from: Listener, base: number): void {
  to.port = from.port;
  to.fallback = from.fallback;
  for (const [h, v] of Object.entries(from.exact)) to.exact[h] = base + v;
  for (const [h, v] of Object.entries(from.suffix)) to.suffix[h] = base + v;
  if (from.star !== null) to.star = base + from.star;
  for (const [port, sub] of Object.entries(from.ports ?? {})) {
    to.ports ??= {};
    mergeListener((to.ports[port] ??= emptyListener()), sub, base);
  }
}

function sortSuffixLengths(l: Listener): void {
  l.suffixLengths = [...new Set(Object.keys(l.suffix).map((k) => k.length))].sort((a, b) => b - a);
  for (const sub of Object.values(l.ports ?? {})) sortSuffixLengths(sub);
}

/** The vhosts of one shard: a bucket's exact vhosts, or the wildcard and `*` vhosts. */
interface Group {
  vhosts: number[];
  wildcard: boolean;
}

/** The bucket count and every shard's vhosts: one group per bucket, in bucket order, then the wildcard group (if any). */
function layoutOf(table: RouteTable, hostsPerShard: number): { buckets: number; groups: Group[] } {
  const exactHosts = new Set<string>();
  const wildcardVhosts: number[] = [];
  table.vhosts.forEach((vh, i) => {
    if (isWildcardDomain(vh.domain)) wildcardVhosts.push(i);
    else exactHosts.add(vh.domain);
  });
  // Listener entries may name vhosts by keys other than their domain only for wildcards/star;
  // exact keys are the domain (compile/listeners.ts), so a bucket is decided by the vhost domain.
  const buckets = bucketCount(exactHosts.size, hostsPerShard);
  const groups: Group[] = Array.from({ length: buckets }, () => ({ vhosts: [], wildcard: false }));
  table.vhosts.forEach((vh, i) => {
    if (!isWildcardDomain(vh.domain)) groups[bucketOf(vh.domain, buckets)]!.vhosts.push(i);
  });
  if (wildcardVhosts.length > 0) groups.push({ vhosts: wildcardVhosts, wildcard: true });
  return { buckets, groups };
}

/**
 * A vhost of the shard being made. A lazy table's vhost (the CLI's build for large configs, issue
 * #16: `routes` is a getter that reads them from disk, fresh objects at every read) is read once
 * into a plain copy that lives as long as the shard; a plain vhost is the table's own object.
 */
function shardVhost(vh: VirtualHost): VirtualHost {
  return Object.getOwnPropertyDescriptor(vh, "routes")?.get ? { ...vh } : vh;
}

/** A shard, and the number of routes in it (the index's summary counts them, shard by shard). */
async function makeShard(table: RouteTable, group: Group): Promise<{ shard: Shard; routes: number }> {
  const renumber = new Map<number, number>();
  group.vhosts.forEach((v, i) => renumber.set(v, i));
  const vhosts = group.vhosts.map((v) => shardVhost(table.vhosts[v]!));
  const keys = new Set<string>();
  let routes = 0;
  for (const vh of vhosts) {
    clusterKeysOf(vh, keys);
    routes += vh.routes.length;
  }
  const clusters: RouteTable["clusters"] = {};
  for (const k of [...keys].sort()) if (Object.hasOwn(table.clusters, k)) clusters[k] = table.clusters[k]!;
  const shard: RouteTable = {
    tableVersion: TABLE_VERSION,
    hash: "",
    istio: table.istio,
    listeners: {
      http: subListener(table.listeners.http, renumber, group.wildcard),
      https: subListener(table.listeners.https, renumber, group.wildcard),
    },
    vhosts,
    clusters,
  };
  const { hash, json } = await hashedCanonicalJson(shard);
  shard.hash = hash;
  return { shard: { id: hash, table: shard, json }, routes };
}

/** What the index says about the shards, gathered while they are made. */
class IndexBuilder {
  readonly ids: string[] = [];
  private readonly clusters = new Set<string>();
  private routes = 0;

  add({ shard, routes }: { shard: Shard; routes: number }): void {
    this.ids.push(shard.id);
    this.routes += routes;
    for (const k of Object.keys(shard.table.clusters)) this.clusters.add(k);
  }

  /** `ids` holds one id per group: the buckets' in order, then the wildcard shard's (if any). */
  index(table: RouteTable, buckets: number): ShardIndex {
    const index: ShardIndex = { tableVersion: TABLE_VERSION, kind: "shardIndex", hash: table.hash, istio: table.istio, buckets, shards: this.ids.slice(0, buckets), wildcard: this.ids[buckets] ?? null };
    if (table.warnings?.length) index.warnings = table.warnings;
    const checked = Object.keys(table.clusters)
      .sort()
      .filter((k) => table.clusters[k]!.healthCheck);
    if (checked.length) index.healthChecked = Object.fromEntries(checked.map((k) => [k, table.clusters[k]!]));
    index.summary = this.summary(table, checked);
    return index;
  }

  /**
   * Counts of what the stored form holds (the clusters some route or health check uses: the ones
   * the shards and the index carry), so a table read back from its shards has the same summary.
   * Every vhost is in exactly one shard, so the shards' route counts add up to the table's.
   */
  private summary(table: RouteTable, healthChecked: string[]): IndexSummary {
    const keys = new Set([...healthChecked, ...this.clusters]);
    const s: IndexSummary = {
      vhosts: table.vhosts.length,
      routes: this.routes,
      clusters: keys.size,
      endpoints: [...keys].reduce((n, k) => n + table.clusters[k]!.endpoints.length, 0),
    };
    if (table.vhosts.length <= SUMMARY_HOSTS_MAX) s.hosts = [...new Set(table.vhosts.map((v) => v.domain))].sort();
    return s;
  }
}

/** Splits a compiled table into its index and shards (deterministic: equal tables, equal bytes). */
export async function shardTable(table: RouteTable, hostsPerShard = HOSTS_PER_SHARD): Promise<ShardedTable> {
  const { buckets, groups } = layoutOf(table, hostsPerShard);
  const byId = new Map<string, Shard>();
  const built = new IndexBuilder();
  for (const g of groups) {
    const made = await makeShard(table, g);
    built.add(made);
    byId.set(made.shard.id, made.shard);
  }
  const index = built.index(table, buckets);
  return { index, indexJson: indexJson(index), shards: [...byId.values()] };
}

/**
 * The sharded form of a table without every shard's bytes in memory at once (issue #16: a push of
 * 100,000 routes held ≈ 160 B/route of shard JSON and shard tables): the index and the shard ids
 * are known first, and `shards()` makes each shard again, one at a time, when it is to be written.
 */
export interface ShardPlan {
  index: ShardIndex;
  /** Canonical stored bytes of the index (as ShardedTable.indexJson). */
  indexJson: string;
  /** Distinct shard ids, in the order of ShardedTable.shards. */
  ids: string[];
  /**
   * The distinct shards whose id `skip` does not name, in `ids` order: read back from the plan's
   * stash, or else made again from the table (the same bytes: a shard's id is the hash of its
   * bytes, and a shard that comes out different, i.e. a table that changed since the plan, throws).
   */
  shards(skip?: (id: string) => boolean): AsyncGenerator<StoredShard>;
}

/** What a write needs of a shard. */
export type StoredShard = Pick<Shard, "id" | "json">;

/**
 * Where a plan may keep the shards' bytes between planning and writing, out of the heap (the CLI:
 * a temporary file), so that writing reads them back instead of making each shard again (for a
 * table whose routes are read from disk on each access, making a shard again reads its routes
 * again).
 */
export interface ShardStash {
  /** Keeps `json`; returns a handle for `take`. */
  keep(json: string): number;
  /** The text kept under `handle`. */
  take(handle: number): string;
}

/**
 * Plans the sharded form of `table`: every shard is made and hashed once for its id, and let go
 * (kept in `stash`, if given). Equal to shardTable's index, index bytes and shard order
 * (shards.test.ts).
 */
export async function planShards(table: RouteTable, hostsPerShard = HOSTS_PER_SHARD, stash?: ShardStash): Promise<ShardPlan> {
  const { buckets, groups } = layoutOf(table, hostsPerShard);
  const built = new IndexBuilder();
  const kept = new Map<string, number>();
  for (const g of groups) {
    const made = await makeShard(table, g);
    built.add(made);
    if (stash && !kept.has(made.shard.id)) kept.set(made.shard.id, stash.keep(made.shard.json));
  }
  const index = built.index(table, buckets);
  const groupIds = built.ids;
  return {
    index,
    indexJson: indexJson(index),
    ids: [...new Set(groupIds)],
    async *shards(skip = () => false) {
      const done = new Set<string>();
      for (const [i, g] of groups.entries()) {
        const id = groupIds[i]!;
        if (done.has(id)) continue;
        done.add(id);
        if (skip(id)) continue;
        const handle = kept.get(id);
        if (handle !== undefined) {
          yield { id, json: stash!.take(handle) };
          continue;
        }
        const { shard } = await makeShard(table, g);
        if (shard.id !== id) throw new Error(`shard ${id} came out as ${shard.id} when it was made again: the table changed while it was being stored`);
        yield shard;
      }
    },
  };
}

/** A ShardedTable (every shard made already) as a plan. */
export function planOf(sharded: ShardedTable): ShardPlan {
  return {
    index: sharded.index,
    indexJson: sharded.indexJson,
    ids: sharded.shards.map((s) => s.id),
    async *shards(skip = () => false) {
      for (const s of sharded.shards) if (!skip(s.id)) yield s;
    },
  };
}

export function indexJson(index: ShardIndex): string {
  const sorted = Object.fromEntries(Object.entries(index).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted);
}

/** The shard that holds `host`'s exact vhosts (if any). */
export function exactShardOf(index: ShardIndex, host: string): string {
  return index.shards[bucketOf(host, index.buckets)]!;
}

/**
 * Does `table` (a shard) have `host` as an exact domain on the listener a request on `scheme` with
 * Host port `port` is served by? The listener is chosen as match/vhost.ts listenerForPort does.
 */
function hasExactHost(table: RouteTable, scheme: "http" | "https", port: number | null, host: string): boolean {
  let l = table.listeners[scheme];
  if (port !== null && l.ports !== undefined && Object.hasOwn(l.ports, String(port))) l = l.ports[String(port)]!;
  return Object.hasOwn(l.exact, host);
}

/**
 * Which shard decides a request for `host` on `scheme` (Host port `port`), given its exact shard:
 * that shard when it has the host on the request's listener, else the wildcard shard (longest
 * suffix, then `*`), else the exact shard (which then answers noRoute, as the whole table would).
 */
export function decidingShard(index: ShardIndex, exact: RouteTable, scheme: "http" | "https", host: string, port: number | null = null): string {
  // Cheapest checks first: most tables have no wildcard shard, or the host's shard is it.
  if (index.wildcard === null || index.wildcard === exact.hash || hasExactHost(exact, scheme, port, host)) return exact.hash;
  return index.wildcard;
}

/** The whole table again, from its index and shards (CLI: diff, rollback checks; admin; tests). */
export function assembleTable(index: ShardIndex, shards: ReadonlyMap<string, RouteTable>): RouteTable {
  const vhosts: VirtualHost[] = [];
  const clusters: RouteTable["clusters"] = {};
  const listeners = { http: emptyListener(), https: emptyListener() };
  const seen = new Set<string>();
  const ids = [...index.shards, ...(index.wildcard ? [index.wildcard] : [])];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const s = shards.get(id);
    if (!s) throw new Error(`shard ${id} is missing`);
    const base = vhosts.length;
    vhosts.push(...s.vhosts);
    Object.assign(clusters, s.clusters);
    for (const scheme of ["http", "https"] as const) mergeListener(listeners[scheme], s.listeners[scheme], base);
  }
  for (const l of Object.values(listeners)) sortSuffixLengths(l);
  // Health-checked clusters no route names are in no shard; the index carries them.
  for (const [k, c] of Object.entries(index.healthChecked ?? {})) if (!Object.hasOwn(clusters, k)) clusters[k] = c;
  const t: RouteTable = { tableVersion: index.tableVersion, hash: index.hash, istio: index.istio, listeners, vhosts, clusters };
  if (index.warnings) t.warnings = index.warnings;
  return t;
}

/** Parsed value of a version key: an index (this CLI's pushes) or a whole table (older pushes, tests). */
export type StoredVersion = { kind: "index"; index: ShardIndex } | { kind: "table"; text: string };

/**
 * Tells an index from a whole table and checks the index's shape; a whole table is left to
 * decodeTable. Returns a problem string for an index that is not usable.
 */
export function parseStoredVersion(text: string, version: string): StoredVersion | { problem: "corruptJson" | "unknownTableVersion" | "badTable"; detail: string } {
  // An index is small and starts with its keys sorted: `{"buckets":…` (canonical JSON). A whole
  // table never has `buckets`, so one cheap prefix test avoids parsing a big table twice.
  if (!text.startsWith('{"buckets":')) return { kind: "table", text };
  let v: Partial<ShardIndex>;
  try {
    v = JSON.parse(text) as Partial<ShardIndex>;
  } catch (err) {
    return { problem: "corruptJson", detail: `index ${version}: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (v.tableVersion !== TABLE_VERSION) {
    return { problem: "unknownTableVersion", detail: `index ${version} has tableVersion ${JSON.stringify(v.tableVersion)}; this gateway understands ${TABLE_VERSION} (redeploy the Worker or push with a matching CLI)` };
  }
  const b = v.buckets;
  if (v.kind !== "shardIndex" || typeof b !== "number" || b < 1 || (b & (b - 1)) !== 0 || !Array.isArray(v.shards) || v.shards.length !== b || !v.shards.every((s) => typeof s === "string" && s !== "") || !(v.wildcard === null || typeof v.wildcard === "string")) {
    return { problem: "badTable", detail: `index ${version} is not a shard index` };
  }
  if (v.hash !== version) return { problem: "badTable", detail: `index hash ${String(v.hash)} differs from pointer version ${version}` };
  return { kind: "index", index: v as ShardIndex };
}

/** Every distinct shard id an index names. */
export function shardIdsOf(index: ShardIndex): string[] {
  return [...new Set([...index.shards, ...(index.wildcard ? [index.wildcard] : [])])];
}
