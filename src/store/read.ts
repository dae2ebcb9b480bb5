/**
 * One read of the active route table from KV (DESIGN.md §5): the pointer first, then the immutable
 * version it names. Every way this can go wrong is a typed failure, so the caller can keep its last
 * good table and say why. No zod here: a compiled table is trusted except for its version and shape.
 */
import { TABLE_VERSION, type RouteTable } from "../compile/table.ts";
import { ACTIVE_KEY, versionKey, type ActivePointer } from "./keys.ts";
import { inflateTable } from "../compile/canonical.ts";

/** The subset of a KV binding this module needs (tests pass fakes that throw or hang). */
export interface KvReader {
  get(key: string, type: "text"): Promise<string | null>;
}

export type ReadFailureReason =
  | "noPointer" // nothing pushed yet
  | "kvError" // KV threw
  | "kvTimeout" // KV did not answer within the bound
  | "badPointer" // pointer is not valid JSON / lacks `version`
  | "missingVersion" // pointer names a version that is not in KV (yet: eventual consistency)
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
  | { kind: "failed"; reason: ReadFailureReason; detail: string };

/** Bound on each KV read: a hung read must never pin a request or a refresh forever. */
export const KV_READ_TIMEOUT_MS = 2_000;

class KvTimeout extends Error {}

async function kvGet(kv: KvReader, key: string, timeoutMs: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KvTimeout(`KV get ${key} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([kv.get(key, "text"), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function failure(reason: ReadFailureReason, detail: string): ReadResult {
  return { kind: "failed", reason, detail };
}

function kvFailure(err: unknown): ReadResult {
  if (err instanceof KvTimeout) return failure("kvTimeout", err.message);
  return failure("kvError", err instanceof Error ? err.message : String(err));
}

function parsePointer(text: string): ActivePointer | null {
  try {
    const p = JSON.parse(text) as Partial<ActivePointer> | null;
    if (p && typeof p === "object" && typeof p.version === "string" && p.version !== "") return p as ActivePointer;
  } catch {
    // fall through: reported as badPointer
  }
  return null;
}

/** Cheap shape check so prepare() never walks a document that is not a table. */
function shapeProblem(t: Record<string, unknown>, version: string): string | null {
  const l = t.listeners as Record<string, unknown> | undefined;
  if (!l || typeof l !== "object" || typeof l.http !== "object" || typeof l.https !== "object") return "missing listeners";
  if (!Array.isArray(t.vhosts)) return "missing vhosts";
  if (!t.clusters || typeof t.clusters !== "object") return "missing clusters";
  // The version key is the content hash (keys.ts); a different hash means a mixed-up write.
  if (t.hash !== version) return `table hash ${String(t.hash)} differs from pointer version ${version}`;
  return null;
}

/** KV's pointer key, parsed. Never throws. */
export async function readKvPointer(kv: KvReader, timeoutMs: number = KV_READ_TIMEOUT_MS): Promise<PointerRead> {
  let pointerText: string | null;
  try {
    pointerText = await kvGet(kv, ACTIVE_KEY, timeoutMs);
  } catch (err) {
    return kvFailure(err) as PointerRead;
  }
  if (pointerText === null) return { kind: "failed", reason: "noPointer", detail: `no ${ACTIVE_KEY} key: nothing pushed yet` };
  const pointer = parsePointer(pointerText);
  if (!pointer) return { kind: "failed", reason: "badPointer", detail: `${ACTIVE_KEY} is not a JSON pointer with a "version"` };
  return { kind: "pointer", pointer };
}

/**
 * Reads the pointer (through `pointerSource` when given) and, unless it still names
 * `currentVersion`, the table it points to. Never throws.
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

  let tableText: string | null;
  try {
    tableText = await kvGet(kv, versionKey(pointer.version), timeoutMs);
  } catch (err) {
    return kvFailure(err);
  }
  if (tableText === null) return failure("missingVersion", `pointer names ${pointer.version} but ${versionKey(pointer.version)} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(tableText);
  } catch (err) {
    return failure("corruptJson", `${versionKey(pointer.version)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return failure("badTable", "table is not a JSON object");
  const obj = parsed as Record<string, unknown>;
  if (obj.tableVersion !== TABLE_VERSION) {
    return failure(
      "unknownTableVersion",
      `table ${pointer.version} has tableVersion ${JSON.stringify(obj.tableVersion)}; this Worker understands ${TABLE_VERSION} (redeploy the Worker or push with a matching CLI)`,
    );
  }
  const poolProblem = inflateTable(obj);
  if (poolProblem) return failure("badTable", `${pointer.version}: ${poolProblem}`);
  const problem = shapeProblem(obj, pointer.version);
  if (problem) return failure("badTable", problem);
  return { kind: "loaded", pointer, table: parsed as RouteTable };
}
