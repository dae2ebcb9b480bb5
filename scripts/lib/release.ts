/**
 * Versioned, atomic releases of compiled route tables in KV (DESIGN.md §5), independent of
 * where KV lives (local Miniflare state, remote namespace, dry run).
 *
 * Write order of a push: the immutable version under its content hash, then the history, then
 * the active pointer LAST — a reader that sees the new pointer finds the version already there
 * (up to KV's eventual consistency, which the Worker tolerates by keeping its last good table).
 * Versions that fall out of the bounded history are deleted only after the flip.
 */
import { ACTIVE_KEY, HISTORY_KEY, HISTORY_LIMIT, versionKey } from "../../src/store/keys.ts";
import type { ActivePointer, VersionEntry, VersionHistory } from "../../src/store/keys.ts";
import { TABLE_VERSION } from "../../src/compile/table.ts";
import type { KvWriter } from "./kv-writer.ts";

export class ReleaseError extends Error {
  override name = "ReleaseError";
}

export async function readActive(kv: KvWriter): Promise<ActivePointer | null> {
  const text = await kv.get(ACTIVE_KEY);
  if (text === null) return null;
  const v = parseJson(text, ACTIVE_KEY) as Partial<ActivePointer> | null;
  if (!v || typeof v.version !== "string" || v.version === "") {
    throw new ReleaseError(`${ACTIVE_KEY} in ${kv.target} is not an active-version pointer`);
  }
  return { version: v.version, activatedAt: String(v.activatedAt ?? ""), reason: v.reason === "rollback" ? "rollback" : "push" };
}

export async function readHistory(kv: KvWriter): Promise<VersionEntry[]> {
  const text = await kv.get(HISTORY_KEY);
  if (text === null) return [];
  const v = parseJson(text, HISTORY_KEY) as Partial<VersionHistory> | null;
  if (!v || !Array.isArray(v.entries) || !v.entries.every((e) => typeof e?.version === "string")) {
    throw new ReleaseError(`${HISTORY_KEY} in ${kv.target} is not a version history`);
  }
  return v.entries.map((e) => ({
    version: e.version,
    pushedAt: String(e.pushedAt ?? ""),
    summary: String(e.summary ?? ""),
    sources: Array.isArray(e.sources) ? e.sources.map(String) : [],
  }));
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ReleaseError(`${key} is not valid JSON (${(e as Error).message})`);
  }
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
  /** RouteTable.hash */
  version: string;
  /** The exact bytes stored under versionKey(version). */
  tableJson: string;
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

export async function pushVersion(kv: KvWriter, input: PushInput): Promise<PushOutcome> {
  const key = versionKey(input.version);
  const active = await readActive(kv);
  const stored = await kv.get(key);
  if (active?.version === input.version && stored === input.tableJson) {
    return { kind: "already-active", version: input.version };
  }
  const history = await readHistory(kv);

  // 1. the immutable version (skipped when identical content is already there)
  const versionWritten = stored !== input.tableJson;
  if (versionWritten) await kv.put(key, input.tableJson);

  // 2. the history entry (a re-pushed older version moves to the top)
  const entry: VersionEntry = { version: input.version, pushedAt: input.now.toISOString(), summary: input.summary, sources: input.sources };
  const keep = new Set([input.version, ...(active ? [active.version] : [])]);
  const { kept, dropped } = trimHistory([entry, ...history.filter((e) => e.version !== input.version)], input.historyLimit ?? HISTORY_LIMIT, keep);
  await kv.put(HISTORY_KEY, JSON.stringify({ entries: kept } satisfies VersionHistory));

  // 3. the pointer, last
  await writePointer(kv, input.version, "push", input.now);

  // 4. versions that fell out of the history (never the active one, nor the one just replaced)
  const deleted: string[] = [];
  for (const d of dropped) {
    if (keep.has(d.version)) continue;
    await kv.delete(versionKey(d.version));
    deleted.push(d.version);
  }
  return { kind: "activated", version: input.version, previous: active?.version ?? null, versionWritten, deleted };
}

async function writePointer(kv: KvWriter, version: string, reason: ActivePointer["reason"], now: Date): Promise<void> {
  const pointer: ActivePointer = { version, activatedAt: now.toISOString(), reason };
  await kv.put(ACTIVE_KEY, JSON.stringify(pointer));
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
 * active one. Only the pointer is written; the target must exist and be a table this code knows.
 */
export async function rollback(kv: KvWriter, ref: string | undefined, now: Date): Promise<RollbackOutcome> {
  const [active, history] = await Promise.all([readActive(kv), readHistory(kv)]);
  let target: string;
  if (ref === undefined) {
    if (!active) throw new ReleaseError(`no active version in ${kv.target}: nothing to roll back`);
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
  const stored = await kv.get(versionKey(target));
  if (stored === null) throw new ReleaseError(`version ${short(target)} is missing from ${kv.target}`);
  const table = parseJson(stored, versionKey(target)) as { tableVersion?: unknown } | null;
  if (table?.tableVersion !== TABLE_VERSION) {
    throw new ReleaseError(`version ${short(target)} has table format ${String(table?.tableVersion)}; this gateway reads format ${TABLE_VERSION}`);
  }
  await writePointer(kv, target, "rollback", now);
  return { kind: "rolled-back", version: target, previous: active?.version ?? null };
}

export function short(version: string): string {
  return version.slice(0, 12);
}
