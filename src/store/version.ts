/**
 * The table of one stored version, whatever its stored form (DESIGN.md §5, §11): a shard index
 * whose shards are read and put back together, or a whole table (versions pushed before shards,
 * and tests that need a malformed one). Shared by the Worker's read and the CLI's (diff, rollback).
 * Never throws: every way it can go wrong is typed.
 */
import { decodeTable } from "../table/codec.ts";
import { assembleTable, parseStoredVersion, shardIdsOf, type ShardIndex } from "../table/shards.ts";
import type { RouteTable } from "../table/types.ts";
import { shardKey, versionKey } from "./keys.ts";

export type VersionProblem = "missingVersion" | "missingShard" | "corruptJson" | "unknownTableVersion" | "badTable";

export type VersionRead = { ok: true; table: RouteTable } | { ok: false; problem: VersionProblem; detail: string } | { ok: false; problem: "get"; error: unknown };

/** The version key alone: a sharded version's index (its shards unread), or a whole table. */
export type StoredRead = { ok: true; index: ShardIndex } | { ok: true; table: RouteTable } | { ok: false; problem: VersionProblem; detail: string } | { ok: false; problem: "get"; error: unknown };

/**
 * Reads and checks the version key only (the Worker: a cold isolate reads its index, then the
 * shards its hosts need, on first use). `get` may throw: that becomes `problem: "get"`.
 */
export async function readStoredVersion(get: (key: string) => Promise<string | null>, version: string): Promise<StoredRead> {
  let text: string | null;
  try {
    text = await get(versionKey(version));
  } catch (error) {
    return { ok: false, problem: "get", error };
  }
  if (text === null) return { ok: false, problem: "missingVersion", detail: `pointer names ${version} but ${versionKey(version)} is missing` };
  const stored = parseStoredVersion(text, version);
  if ("problem" in stored) return { ok: false, problem: stored.problem, detail: stored.detail };
  if (stored.kind === "index") return { ok: true, index: stored.index };
  const d = decodeTable(stored.text, version);
  return d.ok ? d : { ok: false, problem: d.problem, detail: d.detail };
}

/** The whole table of a version, a sharded one assembled from all its shards (CLI, admin pages). */
export async function loadVersion(get: (key: string) => Promise<string | null>, version: string): Promise<VersionRead> {
  const stored = await readStoredVersion(get, version);
  if (!stored.ok) return stored;
  if ("table" in stored) return stored;
  return assembleVersion(get, version, stored.index);
}

/** Reads every shard of `index` and puts the whole table back together. */
export async function assembleVersion(get: (key: string) => Promise<string | null>, version: string, index: ShardIndex): Promise<VersionRead> {
  const stored = { index };
  const ids = shardIdsOf(stored.index);
  let texts: Array<string | null>;
  try {
    texts = await Promise.all(ids.map((id) => get(shardKey(id))));
  } catch (error) {
    return { ok: false, problem: "get", error };
  }
  const shards = new Map<string, RouteTable>();
  for (const [i, id] of ids.entries()) {
    const t = texts[i];
    if (t === null || t === undefined) return { ok: false, problem: "missingShard", detail: `version ${version} names shard ${id} but ${shardKey(id)} is missing` };
    const d = decodeTable(t, id);
    if (!d.ok) return { ok: false, problem: d.problem, detail: `shard ${id} of ${version}: ${d.detail}` };
    shards.set(id, d.table);
  }
  return { ok: true, table: assembleTable(stored.index, shards) };
}
