/**
 * What a sticky split tells the origin, caches and analytics (DESIGN.md §4) — pure, so decide()
 * and the Worker only apply the results.
 *
 * Origin: `x-edge-variant: <host or host/subset>` on the upstream request (set, so a client
 * cannot choose its variant by sending the header; forced variants are ordinary match rules).
 *
 * Caches:
 *  - The response that *assigns* a visitor (carries our Set-Cookie) gets
 *    `cache-control: private, no-store`, replacing the origin's: a shared cache that stored it
 *    would hand one visitor id — and so one variant — to everyone.
 *  - Every response of a sticky split gets `vary: cookie` appended (RFC 9110 §12.5.5): the
 *    content depends on the visitor cookie, so a shared cache downstream must not serve one
 *    visitor's variant to another. Browsers cache it normally (their cookie is stable).
 *  - Variants on different origins/URLs never share a Cloudflare cache entry (the URL is the
 *    key). Variants served from one URL of one origin (the origin renders by `x-edge-variant`)
 *    must answer `Cache-Control: private` or `no-store`: Cloudflare's cache ignores `Vary`
 *    (other than Accept-Encoding), so `Vary: x-edge-variant` protects only other caches.
 *
 * Analytics: one Workers Analytics Engine data point per sticky-split request (optional binding
 * `AB_ANALYTICS`), see `analyticsDataPoint`.
 */
import type { HeaderOps } from "../table/types.ts";
import type { Decision } from "../decision.ts";

export const VARIANT_HEADER = "x-edge-variant";
/** Replaces the origin's caching on the one response that sets the visitor cookie. */
export const ASSIGNING_CACHE_CONTROL = "private, no-store";

/** Request header ops for the origin: append after the route's and destination's own ops. */
export function variantRequestOps(variant: string): HeaderOps {
  return { set: [[VARIANT_HEADER, variant]] };
}

/**
 * Response header ops for a sticky split: append last, after every route/destination op, so
 * they win. `assigning` = this response sets the visitor cookie.
 */
export function stickyResponseOps(assigning: boolean, varyOn = "cookie"): HeaderOps {
  const ops: HeaderOps = { add: [["vary", varyOn]] };
  if (assigning) ops.set = [["cache-control", ASSIGNING_CACHE_CONTROL]];
  return ops;
}

export interface AbOutcome {
  /** StickySplit.splitId (`namespace/vs/rule`). */
  splitId: string;
  /** Route name (`home-ab`, `http[2].mobile`). */
  route: string;
  /** Decision.variant (`host` or `host/subset`). */
  variant: string;
  /** Final status sent to the client (after retries; local replies included). */
  status: number;
  /** Time from request start to response headers, ms. */
  latencyMs: number;
  /** Upstream attempts made (1 + retries); 0 when answered locally. */
  attempts: number;
  /** true when this request minted the visitor id (first visit of this visitor to the split). */
  newVisitor: boolean;
  /** Active table version (RouteTable.hash), to tell weights apart across rollouts. */
  tableVersion?: string;
}

/** Shape of `AnalyticsEngineDataset.writeDataPoint`'s argument (kept local: the module stays pure). */
export interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

/** Analytics Engine: an index is at most 96 bytes. */
const MAX_INDEX_BYTES = 96;

export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/**
 * One data point per request of a sticky split:
 *   index1  split id (sampling key: each split is sampled on its own)
 *   blob1 route · blob2 variant · blob3 status class (`2xx`…) · blob4 `new`/`returning` · blob5 table version (12 hex)
 *   double1 latency ms · double2 attempts · double3 status
 * The Worker, once the response status is known (writeDataPoint is fire-and-forget, no await):
 *   const o = abOutcome(decision, { status, latencyMs, attempts, tableVersion });
 *   if (o && env.AB_ANALYTICS) env.AB_ANALYTICS.writeDataPoint(analyticsDataPoint(o));
 */
export function analyticsDataPoint(o: AbOutcome): DataPoint {
  return {
    indexes: [fitIndex(o.splitId)],
    blobs: [o.route, o.variant, statusClass(o.status), o.newVisitor ? "new" : "returning", (o.tableVersion ?? "").slice(0, 12)],
    doubles: [o.latencyMs, o.attempts, o.status],
  };
}

/**
 * The outcome to record for a decision, or undefined when the request did not go through a
 * sticky split (nothing to record). `status`, `latencyMs`, `attempts` come from the executor.
 */
export function abOutcome(
  decision: Decision,
  r: { status: number; latencyMs: number; attempts: number; tableVersion?: string },
): AbOutcome | undefined {
  if (decision.kind !== "forward" || decision.variant === undefined) return undefined;
  const action = decision.match.route.action;
  if (action.kind !== "route" || !action.sticky) return undefined;
  const prefix = `${action.sticky.cookie}=`;
  const o: AbOutcome = {
    splitId: action.sticky.splitId,
    route: decision.match.route.name,
    variant: decision.variant,
    status: r.status,
    latencyMs: r.latencyMs,
    attempts: r.attempts,
    newVisitor: decision.setCookies.some((c) => c.startsWith(prefix)),
  };
  if (r.tableVersion !== undefined) o.tableVersion = r.tableVersion;
  return o;
}

/** Long split ids (namespace 63 + name 253 + rule) keep a readable head and a hash tail. */
function fitIndex(id: string): string {
  if (new TextEncoder().encode(id).length <= MAX_INDEX_BYTES) return id;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  // 80 UTF-16 units of ASCII-ish ids + "~" + 8 hex ≤ 96 bytes unless the head is non-ASCII.
  let head = id.slice(0, 80);
  while (new TextEncoder().encode(head).length > MAX_INDEX_BYTES - 9) head = head.slice(0, -1);
  return `${head}~${(h >>> 0).toString(16).padStart(8, "0")}`;
}
