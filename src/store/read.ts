/**
 * One read of the active route table from KV (DESIGN.md §5): the pointer first, then the immutable
 * version it names. Every way this can go wrong is a typed failure, so the caller can keep its last
 * good table and say why.
 */
import type { ShardIndex } from "../table/shards.ts";
import type { RouteTable } from "../table/types.ts";
import { ACTIVE_KEY, type ActivePointer } from "./keys.ts";
import { getWithTimeout, KvTimeout, KV_READ_TIMEOUT_MS, type KvReader } from "./kv.ts";
import { parsePointer } from "./pointer.ts";
import { readStoredVersion } from "./version.ts";

export { KV_READ_TIMEOUT_MS };
export type { KvReader };

export type ReadFailureReason =
  | "noPointer" // nothing pushed yet
  | "kvError" // KV threw
  | "kvTimeout" // KV did not answer within the bound
  | "badPointer" // pointer is not valid JSON / lacks `version`
  | "missingVersion" // pointer names a version that is not in KV (yet: eventual consistency)
  | "missingShard" // the version's index names a shard that is not in KV (yet)
  | "corruptJson" // version value is not valid JSON
  | "unknownTableVersion" // compiled by a newer/older CLI than this Worker understands
  | "badTable" // JSON, right version, but not shaped like a RouteTable / hash differs
  | "prepareFailed"; // building match indexes threw (set by the store, not here)

/**
 * Where the active pointer comes from. The default reads KV's key; the state plane (src/state)
 * wraps it to consult its Durable Object's copy first and fall back to KV's. The hook is the
 * only thing the store knows about the state plane: it gets KV's reader and returns a pointer or
 * a typed failure, and must never throw or wait unboundedly.
 */
export type PointerRead = { kind: "pointer"; pointer: ActivePointer } | { kind: "failed"; reason: ReadFailureReason; detail: string };
export type PointerSource = (readKvPointer: () => Promise<PointerRead>) => Promise<PointerRead>;

export type ReadResult =
  | { kind: "unchanged"; pointer: ActivePointer }
  | { kind: "loaded"; pointer: ActivePointer; table: RouteTable }
  /** A sharded version: only its index was read; shards are read per host, on first use. */
  | { kind: "loadedIndex"; pointer: ActivePointer; index: ShardIndex }
  | { kind: "failed"; reason: ReadFailureReason; detail: string };

function failure(reason: ReadFailureReason, detail: string): { kind: "failed"; reason: ReadFailureReason; detail: string } {
  return { kind: "failed", reason, detail };
}

function kvFailure(err: unknown): { kind: "failed"; reason: ReadFailureReason; detail: string } {
  if (err instanceof KvTimeout) return failure("kvTimeout", err.message);
  return failure("kvError", err instanceof Error ? err.message : String(err));
}

/** KV's pointer key, parsed. Never throws. */
export async function readKvPointer(kv: KvReader, timeoutMs: number = KV_READ_TIMEOUT_MS): Promise<PointerRead> {
  let pointerText: string | null;
  try {
    pointerText = await getWithTimeout(kv, ACTIVE_KEY, timeoutMs);
  } catch (err) {
    return kvFailure(err);
  }
  if (pointerText === null) return failure("noPointer", `no ${ACTIVE_KEY} key: nothing pushed yet`);
  const pointer = parsePointer(pointerText);
  if (!pointer) return failure("badPointer", `${ACTIVE_KEY} is not a JSON pointer with a "version"`);
  return { kind: "pointer", pointer };
}

/**
 * Reads the pointer (through `pointerSource` when given) and, unless it still names
 * `currentVersion`, the version it points to: a whole table, or a sharded version's index
 * (never its shards). Never throws.
 */
export async function readActiveTable(
  kv: KvReader,
  currentVersion: string | undefined,
  timeoutMs: number = KV_READ_TIMEOUT_MS,
  pointerSource?: PointerSource,
): Promise<ReadResult> {
  const readKv = () => readKvPointer(kv, timeoutMs);
  const read = pointerSource ? await pointerSource(readKv) : await readKv();
  if (read.kind === "failed") return read;
  const pointer = read.pointer;
  if (pointer.version === currentVersion) return { kind: "unchanged", pointer };

  const version = await readStoredVersion((key) => getWithTimeout(kv, key, timeoutMs), pointer.version);
  if (version.ok) return "index" in version ? { kind: "loadedIndex", pointer, index: version.index } : { kind: "loaded", pointer, table: version.table };
  if (version.problem === "get") return kvFailure(version.error);
  return failure(version.problem, version.detail);
}
