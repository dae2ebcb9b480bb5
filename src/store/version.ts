/**
 * The table of one stored version, whatever its stored form (DESIGN.md §5, §11): a shard index
 * whose shards are read and put back together, or a whole table (versions pushed before shards,
 * and tests that need a malformed one). Shared by the Worker's read and the CLI's (diff, rollback).
 * Never throws: every way it can go wrong is typed.
 */
import { decodeTable } from "../table/codec.ts";
import { assembleTable, parseStoredVersion, shardIdsOf } from "../table/shards.ts";
import type { RouteTable } from "../table/types.ts";
import { shardKey, versionKey } from "./keys.ts";

export type VersionProblem = "missingVersion" | "missingShard" | "corruptJson" | "unknownTableVersion" | "badTable";

export type VersionRead = { ok: true; table: RouteTable } | { ok: false; problem: VersionProblem; detail: string } | { ok: false; problem: "get"; error: unknown };

/** `get` may throw (KV error, timeout): that becomes `problem: "get"` with the error. */
export async function loadVersion(get: (key: string) => Promise<string | null>, version: string): Promise<VersionRead> {
  let text: string | null;
  try {
    text = await get(versionKey(version));
  } catch (error) {
    return { ok: false, problem: "get", error };
  }
  if (text === null) return { ok: false, problem: "missingVersion", detail: `pointer names ${version} but ${versionKey(version)} is missing` };
  const stored = parseStoredVersion(text, version);
  if ("problem" in stored) return { ok: false, problem: stored.problem, detail: stored.detail };
  if (stored.kind === "table") {
    const d = decodeTable(stored.text, version);
    return d.ok ? d : { ok: false, problem: d.problem, detail: d.detail };
  }
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
