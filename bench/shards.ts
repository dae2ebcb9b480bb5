/**
 * 8. Sharded tables and lazy loading (issue #16), ratios measured in one run:
 *   a. cold first request to a host of a 1,000,000-route / 100,000-host table vs the cold first
 *      request of a 10-route table: pointer + index + the host's shard read from KV, prepared,
 *      decided, in a fresh Node process per sample (cold V8, like a new isolate; the Worker's own
 *      TableStore and decide());
 *   b. warm decisions on the big table's shard vs the 10-route table;
 *   c. heap after touching N hosts (N distinct shards) with the default SHARD_CACHE_BYTES: bounded by
 *      the LRU, not by the table;
 *   d. a one-host change to a 10,000-host config: KV values written and their bytes vs the bytes
 *      the whole config occupies in KV (the real pushVersion on a counting KV).
 *
 * The big table goes through the real compile path, bucket by bucket: the hosts of each of the
 * index's 2,048 buckets are compiled as one config (YAML text → loadConfig → compile) and stored
 * as that bucket's shard. A shard holds exactly its bucket's vhosts and their clusters, so it is
 * byte-identical to the shard of the whole table (checked here on a 2,000-host config: the whole
 * table as one file written by gen.ts's toYaml vs the buckets written as below). Compiling 1M
 * routes takes minutes, so the index and the shards the bench reads are cached in bench/.cache/
 * (gitignored; delete it to regenerate).
 *
 * A bucket is two files, as a routes/ folder would hold them: origin.yaml (the Gateway and the
 * ServiceEntry) and hosts.yaml (the bucket's VirtualServices, written by js-yaml's dump). Both
 * matter for the build time (≈ 0.7 s → ≈ 0.1 s per bucket of ≈ 490 routes, bench/ANALYSIS.md):
 * the ServiceEntry draws three warnings (ignored `location`, an IP endpoint, port 8080), and
 * locating a finding parses its file again with the `yaml` package, the precise parser about ten
 * times slower than the js-yaml read (src/config/yaml-doc.ts): with the ServiceEntry in the same
 * file every bucket paid that parse of all its routes. And `yaml`'s stringify took as long as
 * the whole load; js-yaml's dump writes the same objects (no anchors: noRefs) about ten times
 * faster.
 */
import { spawnSync } from "node:child_process";
import jsYaml from "js-yaml";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../src/table/codec.ts";
import { bucketCount, bucketOf, indexJson, shardTable, type ShardIndex } from "../src/table/shards.ts";
import { TABLE_VERSION, type RouteTable } from "../src/table/types.ts";
import { ACTIVE_KEY, versionKey, shardKey } from "../src/store/keys.ts";
import { pointerJson } from "../src/store/pointer.ts";
import { pushVersion } from "../src/store/release.ts";
import { gateway, hostName, manyHosts, mixRule, originEntry, toYaml, virtualService, type IstioObject } from "./gen.ts";
import type { Pipeline } from "./pipeline.ts";
import { ratios, spread, type Spread } from "./stats.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const CACHE = path.join(here, ".cache");

/** A stored version as files: kv.json = { key: value } of pointer, index and the shards a sample reads. */
interface StoredDir {
  dir: string;
  /** A host per stored shard (the first is the cold-request host). */
  hosts: string[];
  indexBytes: number;
  shardBytes: number[];
  /** Total bytes of every shard of the version (also those not stored here). */
  allShardBytes: number;
  buckets: number;
  /** Wall-clock and CPU seconds the build took (the run that filled the cache; absent for the small table). */
  build?: { s: number; cpuS: number };
}

function hostServices(hostIds: number[], perHost: number): IstioObject[] {
  return hostIds.map((j) => virtualService(`vs-${j}`, [hostName(j)], Array.from({ length: perHost }, (_, i) => mixRule(i, hostName(j)).rule)));
}

function objectsFor(hostIds: number[], perHost: number): IstioObject[] {
  return [gateway(), originEntry(), ...hostServices(hostIds, perHost)];
}

let originYaml: string | undefined;

/** A bucket's config as files (see the header): origin.yaml + hosts.yaml. */
export function bucketFiles(hostIds: number[], perHost: number): Array<{ path: string; text: string }> {
  originYaml ??= toYaml([gateway(), originEntry()]);
  const hosts = hostServices(hostIds, perHost).map((o) => jsYaml.dump(o, { lineWidth: -1, noRefs: true })).join("---\n");
  return [
    { path: "origin.yaml", text: originYaml },
    { path: "hosts.yaml", text: hosts },
  ];
}

/** The shard of one bucket, compiled from that bucket's hosts alone. */
async function bucketShard(pipeline: Pipeline, hostIds: number[], perHost: number): Promise<{ id: string; json: string }> {
  const t = await pipeline.compileFiles(bucketFiles(hostIds, perHost));
  const s = await shardTable(t, Number.MAX_SAFE_INTEGER);
  if (s.shards.length !== 1 || s.index.wildcard !== null) throw new Error("a bucket compiled to more than one shard");
  return { id: s.shards[0]!.id, json: s.shards[0]!.json };
}

/** Whole-table sharding and bucket-by-bucket compilation give the same shards (2,000 hosts). */
export async function checkBucketMethod(pipeline: Pipeline): Promise<void> {
  const hosts = 2_000;
  const whole = await shardTable(await pipeline.compile(objectsFor(Array.from({ length: hosts }, (_, j) => j), 2)));
  const b = whole.index.buckets;
  const groups: number[][] = Array.from({ length: b }, () => []);
  for (let j = 0; j < hosts; j++) groups[bucketOf(hostName(j), b)]!.push(j);
  for (let k = 0; k < b; k++) {
    const s = await bucketShard(pipeline, groups[k]!, 2);
    if (s.id !== whole.index.shards[k]) throw new Error(`bucket ${k}: compiled alone ${s.id.slice(0, 12)} ≠ whole table's ${whole.index.shards[k]!.slice(0, 12)}`);
  }
}

/** Writes pointer + index + `shards` as the KV a child reads. */
function writeStored(dir: string, index: ShardIndex, shards: Map<string, string>): number {
  mkdirSync(dir, { recursive: true });
  const idx = indexJson(index);
  const kv: Record<string, string> = { [ACTIVE_KEY]: pointerJson(index.hash, "push", new Date(0)), [versionKey(index.hash)]: idx };
  for (const [id, json] of shards) kv[shardKey(id)] = json;
  writeFileSync(path.join(dir, "kv.json"), JSON.stringify(kv));
  return idx.length;
}

/** The big table (`hosts` × `perHost` routes), bucket by bucket; stores the shards of the first `keep` buckets. */
export async function bigTable(pipeline: Pipeline, hosts: number, perHost: number, keep: number, log: (s: string) => void): Promise<StoredDir> {
  const dir = path.join(CACHE, `shards-${hosts}x${perHost}-k${keep}`);
  const meta = path.join(dir, "meta.json");
  if (existsSync(meta)) return { dir, ...(JSON.parse(readFileSync(meta, "utf8")) as Omit<StoredDir, "dir">) };
  const buckets = bucketCount(hosts);
  const groups: number[][] = Array.from({ length: buckets }, () => []);
  for (let j = 0; j < hosts; j++) groups[bucketOf(hostName(j), buckets)]!.push(j);
  const ids: string[] = [];
  const kept = new Map<string, string>();
  const keptHosts: string[] = [];
  const shardBytes: number[] = [];
  let allShardBytes = 0;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < buckets; k++) {
    const s = await bucketShard(pipeline, groups[k]!, perHost);
    ids.push(s.id);
    allShardBytes += s.json.length;
    if (k < keep) {
      kept.set(s.id, s.json);
      keptHosts.push(hostName(groups[k]![0]!));
      shardBytes.push(s.json.length);
    }
    if (k % 256 === 255) log(`  compiled ${k + 1}/${buckets} buckets (${((k + 1) * hosts) / buckets | 0} hosts) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const index: ShardIndex = {
    tableVersion: TABLE_VERSION,
    kind: "shardIndex",
    // The version is the whole table's hash; the whole table is never built here, so the hash of
    // its shard ids stands in (unique per content, which is all the Worker needs of it).
    hash: await sha256Hex(ids.join("\n")),
    istio: "1.28",
    buckets,
    shards: ids,
    wildcard: null,
    summary: { vhosts: hosts, routes: hosts * perHost, clusters: 1, endpoints: 1 },
  };
  const indexBytes = writeStored(dir, index, kept);
  const cpu = process.cpuUsage(cpu0);
  const build = { s: (Date.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 };
  const out = { hosts: keptHosts, indexBytes, shardBytes, allShardBytes, buckets, build };
  writeFileSync(meta, JSON.stringify(out));
  return { dir, ...out };
}

/** A small table (one host, `routes` routes) stored the way push stores it. */
export async function smallTable(pipeline: Pipeline, routes: number, workDir: string): Promise<StoredDir> {
  const cfg = manyHosts({ routes, routesPerHost: routes });
  const t: RouteTable = await pipeline.compile(cfg.objects);
  const s = await shardTable(t);
  const dir = path.join(workDir, `small-${routes}`);
  rmSync(dir, { recursive: true, force: true });
  const indexBytes = writeStored(dir, s.index, new Map(s.shards.map((x) => [x.id, x.json])));
  return { dir, hosts: [hostName(0)], indexBytes, shardBytes: s.shards.map((x) => x.json.length), allShardBytes: s.shards.reduce((n, x) => n + x.json.length, 0), buckets: s.index.buckets };
}

function child(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ["--experimental-strip-types", "--no-warnings", "--expose-gc", path.join(here, "shards-child.ts"), ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`shards child failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
}

export interface ColdResult {
  bigCpuMs: number[];
  smallCpuMs: number[];
  bigWallMs: number[];
  smallWallMs: number[];
  ratio: Spread;
  wallRatio: Spread;
  bigWarmUs: number;
  smallWarmUs: number;
}

/** a + b: cold first request (fresh process each), alternating which runs first; warm decision after. */
export function measureCold(big: StoredDir, small: StoredDir, rounds: number): ColdResult {
  const out: ColdResult = { bigCpuMs: [], smallCpuMs: [], bigWallMs: [], smallWallMs: [], ratio: spread([1]), wallRatio: spread([1]), bigWarmUs: Infinity, smallWarmUs: Infinity };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["big", "small"] : ["small", "big"];
    for (const which of order) {
      const d = which === "big" ? big : small;
      const o = child(["cold", d.dir, d.hosts[0]!]);
      if (which === "big") {
        out.bigCpuMs.push(o.cpuMs!);
        out.bigWallMs.push(o.ms!);
        out.bigWarmUs = Math.min(out.bigWarmUs, o.warmUs!);
      } else {
        out.smallCpuMs.push(o.cpuMs!);
        out.smallWallMs.push(o.ms!);
        out.smallWarmUs = Math.min(out.smallWarmUs, o.warmUs!);
      }
    }
  }
  out.ratio = spread(ratios(out.bigCpuMs, out.smallCpuMs));
  out.wallRatio = spread(ratios(out.bigWallMs, out.smallWallMs));
  return out;
}

/** c: heap (after GC) once 0, 16, 64, … hosts of distinct shards were served, with the default bound. */
export function measureHeap(big: StoredDir): Record<string, number> {
  return child(["heap", big.dir, ...big.hosts]);
}

export interface ChangeResult {
  writes: number;
  writtenBytes: number;
  configBytes: number;
  keys: string[];
}

/** d: the real pushVersion of a one-host change on a counting KV. */
export async function measureOneHostChange(pipeline: Pipeline, hosts: number): Promise<ChangeResult> {
  const data = new Map<string, string>();
  const writes: Array<[string, number]> = [];
  const kv = {
    target: "bench KV",
    get: async (k: string) => data.get(k) ?? null,
    put: async (k: string, v: string) => void (writes.push([k, v.length]), data.set(k, v)),
    delete: async (k: string) => void data.delete(k),
  };
  const ids = Array.from({ length: hosts }, (_, j) => j);
  const before = await pipeline.compile(objectsFor(ids, 1));
  const changed = objectsFor(ids, 1);
  // Host 7 gets a second rule: one host's routes change, nothing else.
  const vs = changed.find((o) => o.metadata.name === "vs-7")!;
  (vs.spec as { http: unknown[] }).http.unshift(mixRule(1, hostName(7)).rule);
  const after = await pipeline.compile(changed);
  await pushVersion(kv, { table: before, summary: "before", sources: [], now: new Date(0) });
  const s = await shardTable(before);
  const configBytes = s.indexJson.length + s.shards.reduce((n, x) => n + x.json.length, 0);
  writes.length = 0;
  await pushVersion(kv, { table: after, summary: "after", sources: [], now: new Date(1) });
  return { writes: writes.length, writtenBytes: writes.reduce((n, [, b]) => n + b, 0), configBytes, keys: writes.map(([k]) => k.replace(/[0-9a-f]{64}/, (h) => h.slice(0, 8) + "…")) };
}
