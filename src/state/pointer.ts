/**
 * Fast activation (DESIGN.md §11, issue #13.1): the pointer source the table store consults when
 * the state plane is bound. PURE: time and both reads are injected.
 *
 * Two copies of the active pointer exist:
 *  - KV's key (`routes/active`, written by every push/rollback): eventually consistent, 60 s+
 *    per location;
 *  - the pointer object's copy (a Durable Object, strongly consistent), set by
 *    `routes push|rollback --gateway URL` through the admin API, read by isolates through a
 *    per-location Cache API copy (src/state/location-cache.ts), so the object's load is one read
 *    per location per cache TTL whatever the number of isolates.
 *
 * The newer `activatedAt` wins (ties: the object's), so:
 *  - a push with `--gateway` reaches every isolate within STATE_REFRESH_SECONDS + the cache TTL;
 *  - a push without it (KV only) still lands as today, once KV's pointer is re-read (every
 *    CONFIG_REFRESH_SECONDS) and shows the newer flip;
 *  - the object slow, failing or empty ⇒ KV's pointer, exactly today's behaviour.
 *
 * Requests never wait on the object: a refresh runs in `waitUntil`, and the one read a cold
 * isolate awaits (its first load) waits for KV only: the object's answer is merged if it has
 * arrived by then, and in any case remembered for the next refresh. Each object read is bounded
 * by `objectTimeoutMs`; after a failure the object is skipped for `objectBackoffMs` (KV's pointer
 * is read on every refresh meanwhile), so a dead object costs nothing per request.
 */
import type { ActivePointer } from "../store/keys.ts";
import type { PointerRead, PointerSource } from "../store/read.ts";

/** What the pointer object answers: its pointer, or null when nothing was ever set. */
export type ObjectPointerRead = (signal: { timeoutMs: number }) => Promise<ActivePointer | null>;

export interface PointerSourceDeps {
  readObject: ObjectPointerRead;
  now: () => number;
  /** How often KV's pointer is re-read while the object answers (CONFIG_REFRESH_SECONDS). */
  kvRecheckMs: number;
  objectTimeoutMs: number;
  objectBackoffMs: number;
  log?: (entry: Record<string, unknown>) => void;
}

/** Bound on one object read (cache miss + RPC); a hung object never pins a refresh longer. */
export const OBJECT_TIMEOUT_MS = 1_000;
/** After a failed object read, KV alone for this long (no retry storm against a sick object). */
export const OBJECT_BACKOFF_MS = 5_000;

function activatedMs(p: ActivePointer): number {
  const t = Date.parse(p.activatedAt);
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

/** The pointer to serve of the object's and KV's: the later flip; the object's on a tie. */
export function newerPointer(object: ActivePointer | null, kv: ActivePointer | null): ActivePointer | null {
  if (!object) return kv;
  if (!kv) return object;
  return activatedMs(kv) > activatedMs(object) ? kv : object;
}

/** Per-isolate view of the pointer source, for the admin API and logs. */
export interface PointerSourceStatus {
  object: ActivePointer | null;
  objectReadAt: number | null;
  objectError: { at: number; detail: string } | null;
  kv: ActivePointer | null;
  kvReadAt: number | null;
}

export interface StatePointerSource {
  source: PointerSource;
  status(): PointerSourceStatus;
}

export function createPointerSource(deps: PointerSourceDeps): StatePointerSource {
  let object: ActivePointer | null = null;
  let objectReadAt: number | null = null;
  let objectError: { at: number; detail: string } | null = null;
  let objectDownUntil = Number.NEGATIVE_INFINITY;
  let kv: ActivePointer | null = null;
  let kvReadAt: number | null = null;

  /** Starts one bounded object read; its outcome updates the remembered copy whenever it lands. */
  function readObject(): Promise<boolean> {
    const started = deps.now();
    return deps.readObject({ timeoutMs: deps.objectTimeoutMs }).then(
      (p) => {
        // A null answer (nothing set yet) is a valid read: KV decides.
        object = p;
        objectReadAt = started;
        objectError = null;
        return true;
      },
      (err: unknown) => {
        const detail = err instanceof Error ? err.message : String(err);
        objectError = { at: started, detail };
        objectDownUntil = deps.now() + deps.objectBackoffMs;
        deps.log?.({ ts: new Date(started).toISOString(), level: "warn", msg: "state plane: pointer object unreachable; using KV's pointer", detail });
        return false;
      },
    );
  }

  function merged(): PointerRead {
    const p = newerPointer(object, kv);
    if (p) return { kind: "pointer", pointer: p };
    return { kind: "failed", reason: "noPointer", detail: "neither the state object nor KV has a pointer" };
  }

  const source: PointerSource = async (readKvPointer) => {
    const now = deps.now();
    const objectUp = now >= objectDownUntil;
    const pendingObject = objectUp ? readObject() : null;
    const kvDue = !objectUp || kvReadAt === null || now - kvReadAt >= deps.kvRecheckMs;
    if (!kvDue) {
      const ok = await pendingObject!;
      if (ok) return merged();
      // The object just failed: this refresh reads KV after all.
    }
    // Never wait on the object longer than on KV: whatever it has answered by the time KV has
    // is merged (readObject updates `object` when it lands, for this or the next refresh).
    const read = await readKvPointer();
    kvReadAt = now;
    if (read.kind === "failed") {
      // Without an object pointer this is today's failure (recorded, last good table kept).
      if (!object) return read;
    } else kv = read.pointer;
    return merged();
  };

  return {
    source,
    status: () => ({ object, objectReadAt, objectError, kv, kvReadAt }),
  };
}
