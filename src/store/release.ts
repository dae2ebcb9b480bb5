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
import { canonicalJson, decodeTable } from "../table/codec.ts";
import { ACTIVE_KEY, HISTORY_KEY, HISTORY_LIMIT, versionKey } from "./keys.ts";
import type { ActivePointer, VersionEntry } from "./keys.ts";
import type { KvPort, KvReader } from "./kv.ts";
import { historyJson, parseHistory, parsePointer, pointerJson } from "./pointer.ts";

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
  const text = await kv.get(versionKey(version));
  if (text === null) return null;
  const d = decodeTable(text, version);
  if (!d.ok) throw new ReleaseError(`version ${short(version)} in ${where(kv)}: ${d.detail}`);
  return d.table;
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
 * Writes the immutable form of `table` under its version unless identical content is already
 * there. Returns whether anything was written. The pointer is not touched.
 */
export async function storeVersion(kv: KvPort, table: RouteTable, stored?: boolean): Promise<{ version: string; written: boolean }> {
  if (stored ?? (await storedAs(kv, table))) return { version: table.hash, written: false };
  await kv.put(versionKey(table.hash), canonicalJson(table));
  return { version: table.hash, written: true };
}

/** Is `table`'s version stored with exactly its content? */
async function storedAs(kv: KvReader, table: RouteTable): Promise<boolean> {
  return (await kv.get(versionKey(table.hash))) === canonicalJson(table);
}

/** Flips the active pointer (the last write of a push, the only write of a rollback). */
export async function writePointer(kv: KvPort, version: string, reason: ActivePointer["reason"], now: Date): Promise<void> {
  await kv.put(ACTIVE_KEY, pointerJson(version, reason, now));
}

/** Deletes a version that no pointer or history entry names any more. */
export async function deleteVersion(kv: KvPort, version: string): Promise<void> {
  await kv.delete(versionKey(version));
}

export async function pushVersion(kv: KvPort & Named, input: PushInput): Promise<PushOutcome> {
  const version = input.table.hash;
  const active = await readActive(kv);
  const stored = await storedAs(kv, input.table);
  if (active?.version === version && stored) return { kind: "already-active", version };
  const history = await readHistory(kv);

  // 1. the immutable version (skipped when identical content is already there)
  const { written: versionWritten } = await storeVersion(kv, input.table, stored);

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
    await deleteVersion(kv, d.version);
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
