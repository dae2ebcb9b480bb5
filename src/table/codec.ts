/**
 * Canonical bytes of a compiled RouteTable and its content hash (DESIGN.md §5: versions are stored
 * in KV under the hash of their content, so equal configs must give byte-identical JSON).
 *
 * Canonical form: object keys sorted at every depth (UTF-16 code unit order; integer-like keys
 * first, see sortedKeys), `undefined` properties omitted, arrays kept in order (route order is
 * meaning), no whitespace. Record-like maps (`listeners.*.exact`, `clusters`) are objects, so they are
 * sorted too: the insertion order of the compiler never leaks into the bytes. Route `source`
 * locations are left out (see sortedKeys).
 */
import { TABLE_VERSION, type RouteAction, type RouteTable } from "./types.ts";

/**
 * The stored form interns route actions: most routes of a large config share a handful of
 * actions (the same destination), which were 29 % of a 10,000-route table's bytes and of its
 * JSON.parse time in a cold isolate (bench/ANALYSIS.md). Routes hold an index into `actionPool`;
 * `inflateTable` restores the in-memory RouteTable right after JSON.parse.
 */
interface StoredTable extends Omit<RouteTable, "vhosts"> {
  vhosts: Array<Omit<RouteTable["vhosts"][number], "routes"> & { routes: Array<Omit<RouteTable["vhosts"][number]["routes"][number], "action"> & { action: number }> }>;
  actionPool: RouteAction[];
}

export function canonicalJson(table: RouteTable): string {
  return [...canonicalPieces(table)].join("");
}

/**
 * The identity of a route action in the pool: its canonical JSON. compile shares one object
 * between equal actions with it too (issue #16 item 2: memory), so the pool of the stored form
 * and the objects in memory agree.
 */
export function actionKey(action: RouteAction): string {
  return JSON.stringify(action, sortedKeys);
}

/** An action's index in the pool: the first equal action's (by actionKey), else a new entry. */
function intern(pool: RouteAction[], seen: Map<string, number>, action: RouteAction, key = actionKey(action)): number {
  let i = seen.get(key);
  if (i === undefined) {
    i = pool.length;
    pool.push(action);
    seen.set(key, i);
  }
  return i;
}

/**
 * The content hash of `table` and its canonical JSON with that hash in it, from ONE serialization
 * (tableHash then canonicalJson would serialize the table twice, and every shard of a push is
 * hashed and stored: issue #16 item 2). The top-level keys are sorted, so the stored bytes are the
 * keys before `hash`, then `hash`, then the keys after it, each part serialized once; the bytes
 * equal canonicalJson({ ...table, hash }) exactly (src/table/shards.test.ts checks it).
 */
export async function hashedCanonicalJson(table: RouteTable): Promise<{ hash: string; json: string }> {
  const before: string[] = [];
  const after: string[] = [];
  for (const [k, pieces] of storedMembers(table)) if (k !== "hash") (k < "hash" ? before : after).push(`${JSON.stringify(k)}:${[...pieces].join("")}`);
  const head = before.join(",");
  const tail = after.join(",");
  const join = (hash: string) => `{${head}${head ? "," : ""}"hash":${JSON.stringify(hash)}${tail ? "," : ""}${tail}}`;
  const hash = await sha256Hex(join(""));
  return { hash, json: join(hash) };
}

/**
 * Stored table (just JSON.parse'd) → RouteTable, in place: action indexes are replaced by the
 * pooled actions (shared, immutable). A table without a pool (hand-written) is left as it is.
 * Returns a problem string for an index out of range.
 */
export function inflateTable(parsed: Record<string, unknown>): string | null {
  const pool = parsed.actionPool;
  if (pool === undefined) return null;
  if (!Array.isArray(pool)) return "actionPool is not a list";
  delete parsed.actionPool;
  const vhosts = parsed.vhosts;
  if (!Array.isArray(vhosts)) return null;
  for (const vh of vhosts as Array<{ routes?: unknown }>) {
    if (!vh || !Array.isArray(vh.routes)) continue;
    for (const r of vh.routes as Array<{ action?: unknown }>) {
      if (typeof r?.action !== "number") continue;
      const a = pool[r.action];
      if (a === undefined) return `route action ${r.action} is not in actionPool (${pool.length} entries)`;
      r.action = a;
    }
  }
  return null;
}

export type DecodeProblem = "corruptJson" | "unknownTableVersion" | "badTable";

export type Decoded = { ok: true; table: RouteTable } | { ok: false; problem: DecodeProblem; detail: string };

/** Cheap shape check so prepare() never walks a document that is not a table. */
function shapeProblem(t: Record<string, unknown>, version: string | undefined): string | null {
  const l = t.listeners as Record<string, unknown> | undefined;
  if (!l || typeof l !== "object" || typeof l.http !== "object" || typeof l.https !== "object") return "missing listeners";
  if (!Array.isArray(t.vhosts)) return "missing vhosts";
  if (!t.clusters || typeof t.clusters !== "object") return "missing clusters";
  // A version is stored under its content hash; a different hash means a mixed-up write.
  if (version !== undefined && t.hash !== version) return `table hash ${String(t.hash)} differs from pointer version ${version}`;
  return null;
}

/**
 * The one decoder of the stored form (Worker and CLI): JSON text → RouteTable, with every way it
 * can be wrong typed. No zod: a compiled table is trusted except for its version and shape.
 * `version` (the key it was stored under) must equal the table's hash when given.
 */
export function decodeTable(text: string, version?: string): Decoded {
  const where = version ?? "table";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: "corruptJson", detail: `${where}: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false, problem: "badTable", detail: "table is not a JSON object" };
  const obj = parsed as Record<string, unknown>;
  if (obj.tableVersion !== TABLE_VERSION) {
    return {
      ok: false,
      problem: "unknownTableVersion",
      detail: `table ${where} has tableVersion ${JSON.stringify(obj.tableVersion)}; this gateway understands ${TABLE_VERSION} (redeploy the Worker or push with a matching CLI)`,
    };
  }
  const poolProblem = inflateTable(obj);
  if (poolProblem) return { ok: false, problem: "badTable", detail: `${where}: ${poolProblem}` };
  const problem = shapeProblem(obj, version);
  if (problem) return { ok: false, problem: "badTable", detail: problem };
  return { ok: true, table: parsed as RouteTable };
}

/**
 * JSON.stringify replacer: plain objects are re-created with their keys sorted (only when they
 * are not sorted already — the compiler mostly builds them in order). Native stringify does the
 * rest, several times faster than a hand-written serializer on a 6 MB table.
 * Note: JS enumerates integer-like keys ("7", "42") first in numeric order whatever the insertion
 * order; that order is as deterministic as lexicographic order, which is all canonical needs.
 */
function sortedKeys(this: unknown, key: string, value: unknown): unknown {
  // A route's `source` (file:line) is for the CLI's explanations only: it stays out of the stored
  // bytes and the hash (moving a rule in its file is not a new version; the Worker parses less).
  if ((key === "source" || key === "precedence") && this !== null && typeof this === "object" && "ruleIndex" in this) return undefined;
  if (typeof value === "number" && !Number.isFinite(value)) {
    // Non-finite numbers would serialize as null and silently change meaning: refuse them.
    throw new TypeError(`canonicalJson: non-finite number ${value}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = obj[k];
  return out;
}

/** sha-256 of UTF-8 text as lower-case hex (crypto.subtle: Node 22 and workerd). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The canonical JSON of `table` as a sequence of pieces, one virtual host at a time; their
 * concatenation is canonicalJson(table). The stored copy of a vhost's routes (each with its
 * action's pool index) and its bytes are garbage as soon as the consumer (an incremental hash)
 * has read them, instead of ≈ 0.5 KiB per route alive together beside the table (issue #16 item
 * 2: CLI memory). src/table/shards.test.ts checks the bytes against a reference serializer on
 * random and generated tables.
 */
export function* canonicalPieces(table: RouteTable): Generator<string> {
  let first = true;
  for (const [k, pieces] of storedMembers(table)) {
    yield `${first ? "{" : ","}${JSON.stringify(k)}:`;
    yield* pieces;
    first = false;
  }
  yield first ? "{}" : "}";
}

/**
 * The stored form's top-level members in canonical order (keys sorted as sortedKeys sorts them;
 * `undefined` members left out as JSON.stringify leaves them out), each as its key and its JSON
 * in pieces: `vhosts` one virtual host at a time, the rest whole. The action pool comes first in
 * the bytes (its key sorts first) but is gathered from every route, so each vhost's routes are
 * read twice: once for the pool, once for the vhost's bytes.
 *
 * A route's pool index is its action's key (actionKey). A rule's match entries, and compile's
 * equal actions, share one action object, so the key of an object is computed once and kept in a
 * WeakMap. Weak, and never relied on: a lazy table (the CLI's build for large configs, issue #16)
 * returns fresh routes at every read of `vh.routes`, so the second read finds none of the first
 * read's objects, and a strong map would keep every route's action of the first read alive.
 *
 * A fresh object is looked up by its plain JSON first (native JSON.stringify without the sorting
 * replacer: ≈ 5× cheaper than actionKey; actionKey on every route of a lazy 100,000-route table was
 * 1.2 s of a push's CPU). Equal plain JSON means equal content, so equal actionKey: the plain text
 * may stand for the key. Except that plain JSON writes NaN and ±Infinity as null where actionKey
 * refuses them, so a text with `null` in it is always keyed the long way.
 */
function* storedMembers(table: RouteTable): Generator<[key: string, pieces: Iterable<string>]> {
  const pool: RouteAction[] = [];
  const seen = new Map<string, number>();
  const byObject = new WeakMap<RouteAction, number>();
  const byText = new Map<string, number>();
  /** The index of an action not met as this object before; `keyed(key)` finds it by actionKey. */
  const lookUp = (action: RouteAction, keyed: (key: string) => number): number => {
    const text = JSON.stringify(action);
    const plain = !text.includes("null");
    let i = plain ? byText.get(text) : undefined;
    if (i === undefined) {
      i = keyed(actionKey(action));
      if (plain) byText.set(text, i);
    }
    byObject.set(action, i);
    return i;
  };
  for (const vh of table.vhosts)
    for (const r of vh.routes) {
      if (!byObject.has(r.action)) lookUp(r.action, (key) => intern(pool, seen, r.action, key));
    }
  // The pool is written before the vhosts: an action the first read did not have cannot get an index.
  const indexOf = (action: RouteAction, domain: string): number =>
    byObject.get(action) ??
    lookUp(action, (key) => {
      const i = seen.get(key);
      if (i === undefined) throw new Error(`canonicalJson: a route action of vhost ${domain} was not there when the routes were read before (the table changed while it was serialized)`);
      return i;
    });
  const top: Record<string, unknown> = { ...table, actionPool: pool };
  for (const k of Object.keys(top).sort()) {
    if (k === "vhosts") {
      yield [k, vhostPieces(table.vhosts, indexOf)];
      continue;
    }
    const json = JSON.stringify(top[k], sortedKeys) as string | undefined;
    if (json !== undefined) yield [k, [json]];
  }
}

/** `vhosts` of the stored form, one virtual host at a time: each route's action is its pool index. */
function* vhostPieces(vhosts: RouteTable["vhosts"], indexOf: (action: RouteAction, domain: string) => number): Generator<string> {
  yield "[";
  let n = 0;
  for (const vh of vhosts) {
    // Not `{ ...vh, routes }`: a spread reads a lazy table's `routes` (from disk) once more.
    const routes: StoredTable["vhosts"][number]["routes"] = vh.routes.map((r) => ({ ...r, action: indexOf(r.action, vh.domain) }));
    const stored: Record<string, unknown> = {};
    for (const k of Object.keys(vh)) stored[k] = k === "routes" ? routes : vh[k as keyof typeof vh];
    yield `${n++ ? "," : ""}${JSON.stringify(stored, sortedKeys)}`;
  }
  yield "]";
}

/** An incremental SHA-256 (the CLI passes node:crypto's; crypto.subtle has no streaming digest). */
export interface IncrementalHash {
  /** Adds the UTF-8 bytes of `text`. */
  update(text: string): void;
  /** Lower-case hex. */
  digest(): string;
}

/**
 * tableHash without the whole canonical string in memory: the pieces are fed to `hash` in runs
 * of about 1 MiB. Equal to tableHash(table) (shards.test.ts).
 */
export function streamedTableHash(table: RouteTable, hash: IncrementalHash): string {
  let buf = "";
  for (const piece of canonicalPieces({ ...table, hash: "" })) {
    buf += piece;
    if (buf.length >= 1 << 20) {
      hash.update(buf);
      buf = "";
    }
  }
  hash.update(buf);
  return hash.digest();
}

/** sha-256 hex of the canonical JSON with `hash` set to "". */
export function tableHash(table: RouteTable): Promise<string> {
  return sha256Hex(canonicalJson({ ...table, hash: "" }));
}
