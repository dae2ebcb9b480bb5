/**
 * The admin contract of rollouts (issue #14): what `/__gateway/rollouts` answers, what the
 * `routes rollout …` CLI and the console's canaries page read. Pure types and the pure helpers
 * that find a table's Canaries and describe a rollout before its object has said anything.
 *
 * Routes (src/admin, behind the same Bearer ADMIN_TOKEN as every /__gateway endpoint; every error
 * is JSON `{"error": "…"}`):
 *   GET  /__gateway/rollouts[?offset=N&limit=M]
 *                                          200 RolloutList: the Canaries of the active table in
 *                                          name order, one page of at most ROLLOUTS_PAGE_MAX
 *                                          (default ROLLOUTS_PAGE_DEFAULT) from `offset`, with
 *                                          `total` and, when more follow, `next` (the next offset);
 *                                          a rollout whose object has no state yet shows its
 *                                          initial state, `source: "initial"`. 400 on a bad
 *                                          offset/limit.
 *   GET  /__gateway/rollouts/NAME          200 RolloutStatus | 404
 *   POST /__gateway/rollouts/NAME/ACTION   ACTION ∈ promote | pause | resume | abort:
 *                                          200 RolloutStatus | 404 | 409 (not applicable in the
 *                                          current phase) | 503 (no state plane: STATE not bound,
 *                                          or its object did not answer)
 * NAME is the Canary's `namespace/name`, URL-encoded as one segment (`default%2Fcheckout`) or
 * written with its slash (`default/checkout`); a bare `name` finds it when only one namespace
 * has a Canary of that name.
 */
import { destinationLabel, type Route, type RouteRollout, type RouteTable } from "../table/types.ts";
import { startRollout, type RolloutSpec, type RolloutState } from "./judge.ts";

export const ROLLOUT_ACTIONS = ["promote", "pause", "resume", "abort"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export const ROLLOUTS_PATH = "/__gateway/rollouts";

/** Where a status's `state` comes from. */
export type RolloutSource =
  /** The rollout's Durable Object: the state the Worker serves within seconds everywhere. */
  | "object"
  /** The object has no state for this spec yet (nothing has started it), or there is no state
   *  plane: the state the rollout starts with; the Worker serves the pushed weights meanwhile. */
  | "initial"
  /** The object did not answer: `error` says why; weights are what the Worker serves without it. */
  | "unreachable";

export interface RolloutStatus {
  /** `namespace/name` of the Canary document. */
  name: string;
  /** `namespace/name` of the VirtualService it drives, and the `http[]` rule (by name). */
  virtualService: string;
  rule: string;
  /** Destinations as `host` or `host/subset`. */
  primary: string;
  canary: string;
  /** The Canary's spec hash in the active table (a change restarts the rollout). */
  specHash: string;
  /** Percent of traffic each variant gets from the Worker now (sum 100). */
  weights: { primary: number; canary: number };
  /** The weights pushed in the VirtualService (what the Worker serves without a rollout state). */
  pushedWeights: { primary: number; canary: number };
  state: RolloutState;
  spec: RolloutSpec;
  /** What counts as a failed request (the Canary's `analysis.failures`). */
  failures: RouteRollout["failures"];
  source: RolloutSource;
  /** Why the object could not be read (source "unreachable"). */
  error?: string;
}

export interface RolloutList {
  rollouts: RolloutStatus[];
  /** How many Canaries the active table has (every page says it). */
  total: number;
  /** The offset of the next page; absent on the last page. */
  next?: number;
}

/**
 * A page of the list asks every rollout's object for its state: one subrequest each. A page is
 * bounded so that one admin request stays far below the Workers subrequest limit (50 on Free)
 * and its time stays bounded (objects are asked ROLLOUTS_LIST_CONCURRENCY at a time, each within
 * the state plane's 1 s call timeout).
 */
export const ROLLOUTS_PAGE_DEFAULT = 20;
export const ROLLOUTS_PAGE_MAX = 40;
/** Workers keep at most six connections open per request; more wait in the runtime's queue. */
export const ROLLOUTS_LIST_CONCURRENCY = 6;

export interface RolloutPage {
  offset: number;
  limit: number;
}

/** `?offset=N&limit=M` as the list reads them; a message for anything else. */
export function rolloutPageOf(offset: string | undefined, limit: string | undefined): RolloutPage | string {
  const whole = (raw: string | undefined, name: string, fallback: number, min: number, max: number): number | string => {
    if (raw === undefined || raw === "") return fallback;
    if (!/^[0-9]{1,9}$/.test(raw)) return `${name}: expected a whole number, got ${JSON.stringify(raw.slice(0, 32))}`;
    const n = Number(raw);
    return n < min || n > max ? `${name}: expected ${min}–${max}, got ${n}` : n;
  };
  const o = whole(offset, "offset", 0, 0, 999_999_999);
  if (typeof o === "string") return o;
  const l = whole(limit, "limit", ROLLOUTS_PAGE_DEFAULT, 1, ROLLOUTS_PAGE_MAX);
  if (typeof l === "string") return l;
  return { offset: o, limit: l };
}

/** One Canary as the active table carries it. */
export interface TableCanary {
  rollout: RouteRollout;
  virtualService: string;
  rule: string;
  primary: string;
  canary: string;
  /** Canary weight in percent as pushed (the split's own weights). */
  pushedCanaryWeight: number;
}

const label = destinationLabel;

/** The rule name of a route: its Envoy-style name without the `.<match name>` suffix. */
function ruleOf(route: Route): string {
  const m = route.match?.name;
  return m && route.name.endsWith(`.${m}`) ? route.name.slice(0, -(m.length + 1)) : route.name;
}

/** Every Canary-driven split of a table, once per Canary, in table order. */
export function canariesOf(table: RouteTable): TableCanary[] {
  const out = new Map<string, TableCanary>();
  for (const vh of table.vhosts) {
    for (const route of vh.routes) {
      const a = route.action;
      if (a.kind !== "route" || !a.rollout || out.has(a.rollout.name)) continue;
      const r = a.rollout;
      const p = a.destinations[r.primary];
      const c = a.destinations[r.canary];
      if (!p || !c) continue;
      const total = a.destinations.reduce((s, d) => s + d.weight, 0);
      out.set(r.name, {
        rollout: r,
        virtualService: route.virtualService,
        rule: ruleOf(route),
        primary: label(p),
        canary: label(c),
        pushedCanaryWeight: total > 0 ? Math.round((100 * c.weight) / total) : 0,
      });
    }
  }
  return [...out.values()];
}

/** The judge's view of a compiled Canary. */
export function specOf(r: RouteRollout): RolloutSpec {
  return {
    name: r.name,
    steps: r.steps,
    intervalMs: r.intervalMs,
    threshold: r.threshold,
    minRequests: r.minRequests,
    ...(r.successRate ? { successRate: r.successRate } : {}),
    ...(r.latencyP99 ? { latencyP99: r.latencyP99 } : {}),
  };
}

/** A status from a table's Canary and what the state plane said (null: nothing yet). */
export function rolloutStatus(c: TableCanary, state: RolloutState | null, source: RolloutSource, now: number, error?: string): RolloutStatus {
  const pushed = { primary: 100 - c.pushedCanaryWeight, canary: c.pushedCanaryWeight };
  const w = state && source === "object" ? state.canaryWeight : null;
  return {
    name: c.rollout.name,
    virtualService: c.virtualService,
    rule: c.rule,
    primary: c.primary,
    canary: c.canary,
    specHash: c.rollout.specHash,
    weights: w === null ? pushed : { primary: 100 - w, canary: w },
    pushedWeights: pushed,
    state: state ?? startRollout(specOf(c.rollout), now),
    spec: specOf(c.rollout),
    failures: c.rollout.failures,
    source,
    ...(error !== undefined ? { error } : {}),
  };
}

/** The Canary a NAME of the admin path designates (`ns/name`, or a bare name when unambiguous). */
export function findCanary(canaries: readonly TableCanary[], name: string): TableCanary | undefined {
  const exact = canaries.find((c) => c.rollout.name === name);
  if (exact || name.includes("/")) return exact;
  const bare = canaries.filter((c) => c.rollout.name.endsWith(`/${name}`));
  return bare.length === 1 ? bare[0] : undefined;
}
