/**
 * Versioned, atomic releases of compiled route tables in KV (DESIGN.md §5), for the routes CLI,
 * `npm start` and the tests alike, whatever the KV is (a KvPort: local Miniflare state, remote
 * namespace, dry run, the Worker's binding).
 *
 * Write order of a push: the immutable version under its content hash, then the history, then
 * the active pointer LAST — a reader that sees the new pointer finds the version already there
 * (up to KV's eventual consistency, which the Worker tolerates by keeping its last good table).
 * Versions that fall out of the bounded history are deleted only after the flip.
 */
import type { RouteTable } from "../table/types.ts";
import { HOSTS_PER_SHARD, parseStoredVersion, planOf, planShards, shardIdsOf, type ShardPlan, type ShardStash, type ShardedTable } from "../table/shards.ts";
import { ACTIVE_KEY, HISTORY_KEY, HISTORY_LIMIT, shardKey, versionKey } from "./keys.ts";
import type { ActivePointer, VersionEntry } from "./keys.ts";
import type { KvPort, KvReader } from "./kv.ts";
import { historyJson, parseHistory, parsePointer, pointerJson } from "./pointer.ts";
import { loadVersion } from "./version.ts";

export class ReleaseError extends Error {
  override name = "ReleaseError";
}

/** A KvPort that may name where it writes (the CLI's writers do), for messages. */
type Named = { readonly target?: string };

function where(kv: Named): string {
  return kv.target ?? "KV";
}

export async function readActive(kv: KvReader & Named): Promise<ActivePointer | null> {
  const text = await kv.get(ACTIVE_KEY);
  if (text === null) return null;
  const p = parsePointer(text);
  if (!p) throw new ReleaseError(`${ACTIVE_KEY} in ${where(kv)} is not an active-version pointer`);
  return p;
}

export async function readHistory(kv: KvReader & Named): Promise<VersionEntry[]> {
  const text = await kv.get(HISTORY_KEY);
  if (text === null) return [];
  const entries = parseHistory(text);
  if (!entries) throw new ReleaseError(`${HISTORY_KEY} in ${where(kv)} is not a version history`);
  return entries;
}

/** The whole table of a stored version (CLI: diff, rollback checks), or null when it is not stored. */
export async function readVersion(kv: KvReader & Named, version: string): Promise<RouteTable | null> {
  const read = await loadVersion((key) => kv.get(key), version);
  if (read.ok) return read.table;
  if (read.problem === "get") throw read.error;
  if (read.problem === "missingVersion") return null;
  throw new ReleaseError(`version ${short(version)} in ${where(kv)}: ${read.detail}`);
}

/** Shard ids a stored version uses ([] for a whole-table version or one that is not there). */
async function shardsOfVersion(kv: KvReader, version: string): Promise<string[]> {
  const text = await kv.get(versionKey(version));
  if (text === null) return [];
  const stored = parseStoredVersion(text, version);
  return "kind" in stored && stored.kind === "index" ? shardIdsOf(stored.index) : [];
}

/**
 * Keeps the newest entries up to `limit`, but never drops the versions in `keep` (the new active
 * one and the one it replaces, which isolates may still load until they see the new pointer).
 */
export function trimHistory(entries: VersionEntry[], limit: number, keep: ReadonlySet<string>): { kept: VersionEntry[]; dropped: VersionEntry[] } {
  const kept = [...entries];
  const dropped: VersionEntry[] = [];
  for (let i = kept.length - 1; i >= 0 && kept.length > limit; i--) {
    if (keep.has(kept[i]!.version)) continue;
    dropped.unshift(...kept.splice(i, 1));
  }
  return { kept, dropped };
}

export interface PushInput {
  /** The compiled table; its `hash` is the version. */
  table: RouteTable;
  summary: string;
  sources: string[];
  now: Date;
  historyLimit?: number;
  /** Where the shards' bytes wait between planning and writing (planShards); default: made again. */
  stash?: ShardStash;
}

export type PushOutcome =
  | { kind: "already-active"; version: string }
  | {
      kind: "activated";
      version: string;
      previous: string | null;
      /** false when the same content was already stored under the hash. */
      versionWritten: boolean;
      /** Versions deleted because they fell out of the history. */
      deleted: string[];
    };

/**
 * Writes the immutable form of `table` (DESIGN.md §11): the shards that are not stored yet, then
 * the index under the version key. Shards are content-addressed and never rewritten, and the
 * shards of the versions in `present` (the active one: its index is read) are known to be stored,
 * so a one-host change writes one shard and the index. The pointer is not touched.
 *
 * Without `sharded`, the shards are planned (planShards) and each is made again right before it
 * is written, so one shard's bytes are in memory at a time, not the whole table's (issue #16).
 */
export async function storeVersion(
  kv: KvPort,
  table: RouteTable,
  sharded?: ShardedTable | ShardPlan,
  present: readonly string[] = [],
  /** The caller already read the version key and found it different (saves a read). */
  knownAbsent = false,
): Promise<{ version: string; written: boolean; shardsWritten: number }> {
  const s = sharded === undefined ? await planShards(table) : "ids" in sharded ? sharded : planOf(sharded);
  const key = versionKey(table.hash);
  if (!knownAbsent && (await kv.get(key)) === s.indexJson) return { version: table.hash, written: false, shardsWritten: 0 };
  const known = new Set<string>();
  for (const v of present) for (const id of await shardsOfVersion(kv, v)) known.add(id);
  let shardsWritten = 0;
  for await (const shard of s.shards((id) => known.has(id))) {
    await kv.put(shardKey(shard.id), shard.json);
    shardsWritten++;
  }
  await kv.put(key, s.indexJson);
  return { version: table.hash, written: true, shardsWritten };
}
/** Flips the active pointer (the last write of a push, the only write of a rollback). */
export async function writePointer(kv: KvPort, version: string, reason: ActivePointer["reason"], now: Date): Promise<void> {
  await kv.put(ACTIVE_KEY, pointerJson(version, reason, now));
}

/**
 * Deletes a version's index and the shards no version in `kept` uses (shards are shared between
 * versions). Reads the indexes of `kept`.
 */
export async function deleteVersion(kv: KvPort, version: string, kept: readonly string[]): Promise<{ shardsDeleted: number }> {
  const mine = await shardsOfVersion(kv, version);
  const used = new Set<string>();
  for (const v of kept) if (v !== version) for (const id of await shardsOfVersion(kv, v)) used.add(id);
  let shardsDeleted = 0;
  for (const id of mine) {
    if (used.has(id)) continue;
    await kv.delete(shardKey(id));
    shardsDeleted++;
  }
  await kv.delete(versionKey(version));
  return { shardsDeleted };
}

export async function pushVersion(kv: KvPort & Named, input: PushInput): Promise<PushOutcome> {
  const version = input.table.hash;
  const active = await readActive(kv);
  // The index and the shard ids only: the shards are made again one at a time as they are written.
  const sharded = await planShards(input.table, HOSTS_PER_SHARD, input.stash);
  const stored = (await kv.get(versionKey(version))) === sharded.indexJson;
  if (active?.version === version && stored) return { kind: "already-active", version };
  const history = await readHistory(kv);

  // 1. the immutable version: new shards, then the index (skipped when already stored)
  const { written: versionWritten } = stored ? { written: false } : await storeVersion(kv, input.table, sharded, active ? [active.version] : [], true);

  // 2. the history entry (a re-pushed older version moves to the top)
  const entry: VersionEntry = { version, pushedAt: input.now.toISOString(), summary: input.summary, sources: input.sources };
  const keep = new Set([version, ...(active ? [active.version] : [])]);
  const { kept, dropped } = trimHistory([entry, ...history.filter((e) => e.version !== version)], input.historyLimit ?? HISTORY_LIMIT, keep);
  await kv.put(HISTORY_KEY, historyJson(kept));

  // 3. the pointer, last
  await writePointer(kv, version, "push", input.now);

  // 4. versions that fell out of the history (never the active one, nor the one just replaced)
  const deleted: string[] = [];
  for (const d of dropped) {
    if (keep.has(d.version)) continue;
    await deleteVersion(kv, d.version, [...kept.map((e) => e.version), ...keep]);
    deleted.push(d.version);
  }
  return { kind: "activated", version, previous: active?.version ?? null, versionWritten, deleted };
}

/** Finds a version by full hash or unique prefix in the history. */
export function resolveVersion(history: VersionEntry[], ref: string): VersionEntry | { error: string } {
  const matches = history.filter((e) => e.version.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) return { error: `no version ${ref} in the history` };
  return { error: `${ref} is ambiguous: ${matches.map((m) => m.version.slice(0, 12)).join(", ")}` };
}

export type RollbackOutcome =
  | { kind: "already-active"; version: string }
  | { kind: "rolled-back"; version: string; previous: string | null };

/**
 * Flips the pointer to `ref` (hash or prefix), or by default to the version pushed before the
 * active one. Only the pointer is written; the target must exist and be a table this code reads.
 */
export async function rollback(kv: KvPort & Named, ref: string | undefined, now: Date): Promise<RollbackOutcome> {
  const [active, history] = await Promise.all([readActive(kv), readHistory(kv)]);
  let target: string;
  if (ref === undefined) {
    if (!active) throw new ReleaseError(`no active version in ${where(kv)}: nothing to roll back`);
    const i = history.findIndex((e) => e.version === active.version);
    if (i === -1) throw new ReleaseError(`the active version ${short(active.version)} is not in the history; name the version to roll back to`);
    const before = history[i + 1];
    if (!before) throw new ReleaseError(`no version before ${short(active.version)} in the history`);
    target = before.version;
  } else {
    const found = resolveVersion(history, ref);
    if ("error" in found) throw new ReleaseError(found.error);
    target = found.version;
  }
  if (active?.version === target) return { kind: "already-active", version: target };
  const table = await readVersion(kv, target);
  if (table === null) throw new ReleaseError(`version ${short(target)} is missing from ${where(kv)}`);
  await writePointer(kv, target, "rollback", now);
  return { kind: "rolled-back", version: target, previous: active?.version ?? null };
}

export function short(version: string): string {
  return version.slice(0, 12);
}

export interface GcOutcome {
  kept: string[];
  deleted: string[];
  shardsDeleted: number;
}

/**
 * `routes gc --keep N`: keeps the newest N versions of the history (and always the active one),
 * deletes the others' indexes and every shard that no kept version uses.
 */
export async function gc(kv: KvPort & Named, keepCount: number): Promise<GcOutcome> {
  if (!Number.isInteger(keepCount) || keepCount < 1) throw new ReleaseError(`--keep must be a whole number ≥ 1, got ${keepCount}`);
  const [active, history] = await Promise.all([readActive(kv), readHistory(kv)]);
  const keep = new Set(active ? [active.version] : []);
  const { kept, dropped } = trimHistory(history, keepCount, keep);
  const keptVersions = [...new Set([...kept.map((e) => e.version), ...keep])];
  // The history first: a version it no longer names is never a rollback target while its shards go.
  if (dropped.length) await kv.put(HISTORY_KEY, historyJson(kept));
  let shardsDeleted = 0;
  const deleted: string[] = [];
  for (const d of dropped) {
    shardsDeleted += (await deleteVersion(kv, d.version, keptVersions)).shardsDeleted;
    deleted.push(d.version);
  }
  return { kept: keptVersions, deleted, shardsDeleted };
}
