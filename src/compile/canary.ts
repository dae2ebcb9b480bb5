/**
 * Canary documents → the split they drive (issue #14). A Canary names a VirtualService and one
 * of its `http[]` rules by name; that rule must route to exactly the Canary's primary and canary
 * destinations (the canary may carry weight 0, the usual way to write "not started": it is kept
 * in the split here instead of being dropped as a zero-weight destination, so the rollout can
 * raise it). The result is `action.rollout` on the rule's route action, with the analysis the
 * rollout's object runs and the hash that tells it whether the analysis changed.
 */
import type { Canary } from "../config/canary.ts";
import type { Located } from "../config/issue.ts";
import { parseDuration } from "../config/duration.ts";
import type { Destinations } from "./destinations.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { CompiledRule } from "./rule.ts";
import { sha256Hex } from "../table/codec.ts";
import { destinationLabel, type RouteRollout, type WeightedDestination } from "../table/types.ts";

export interface CanaryContext {
  /** Compiled rules of the VirtualServices the edge serves, by `namespace/name`. */
  rules: Pick<ReadonlyMap<string, CompiledRule[]>, "get">;
  /** Every VirtualService key (served or not), to tell "missing" from "not served". */
  known: ReadonlySet<string>;
  destinations: Destinations;
  diags: Diagnostics;
}

export async function applyCanaries(canaries: ReadonlyArray<Located<Canary>>, ctx: CanaryContext): Promise<void> {
  const driven = new Map<string, string>();
  for (const c of canaries) {
    const { metadata, spec } = c.value;
    const name = `${metadata.namespace}/${metadata.name}`;
    const vsKey = spec.target.virtualService.includes("/") ? spec.target.virtualService : `${metadata.namespace}/${spec.target.virtualService}`;
    const rules = ctx.rules.get(vsKey);
    if (!rules) {
      const why = ctx.known.has(vsKey) ? "is not served at the edge (no Gateway binds it)" : "does not exist";
      ctx.diags.error(c, ["spec", "target", "virtualService"], `VirtualService ${vsKey} ${why}`, "canary-target");
      continue;
    }
    const rule = rules.find((r) => r.name === spec.target.rule);
    if (!rule) {
      const names = rules.map((r) => JSON.stringify(r.name)).join(", ");
      ctx.diags.error(c, ["spec", "target", "rule"], `VirtualService ${vsKey} has no http rule named ${JSON.stringify(spec.target.rule)} (its rules: ${names || "none"})`, "canary-target");
      continue;
    }
    const action = rule.body.action;
    if (action.kind !== "route") {
      ctx.diags.error(c, ["spec", "target", "rule"], `rule ${JSON.stringify(spec.target.rule)} of ${vsKey} is a ${action.kind}, not a route: a Canary drives a weighted route`, "canary-target");
      continue;
    }
    const other = driven.get(`${vsKey}#${spec.target.rule}`);
    if (other) {
      ctx.diags.error(c, ["spec", "target"], `rule ${JSON.stringify(spec.target.rule)} of ${vsKey} is already driven by Canary ${other}`, "canary-target");
      continue;
    }
    const primary = ctx.destinations.resolve(spec.primary, { obj: c, path: ["spec", "primary"] });
    const canary = ctx.destinations.resolve(spec.canary, { obj: c, path: ["spec", "canary"] });
    if (primary.cluster !== null && primary.cluster === canary.cluster) {
      ctx.diags.error(c, ["spec", "canary"], "the canary is the same destination as the primary", "canary-target");
      continue;
    }
    const same = (d: WeightedDestination, x: typeof primary) => d.cluster === x.cluster && d.host === x.host && d.subset === x.subset;
    const pi = action.destinations.findIndex((d) => same(d, primary));
    if (pi < 0) {
      ctx.diags.error(c, ["spec", "primary"], `rule ${JSON.stringify(spec.target.rule)} of ${vsKey} does not route to the primary ${label(primary)}`, "canary-target");
      continue;
    }
    let ci = action.destinations.findIndex((d) => same(d, canary));
    const strangers = action.destinations.filter((_, i) => i !== pi && i !== ci);
    if (strangers.length > 0) {
      ctx.diags.error(c, ["spec", "target", "rule"], `rule ${JSON.stringify(spec.target.rule)} of ${vsKey} also routes to ${strangers.map(label).join(", ")}: a Canary drives a split of exactly its primary and canary`, "canary-target");
      continue;
    }
    // The rule's own copy: compile shares one action object between equal rules (index.ts).
    const own = { ...action, destinations: [...action.destinations] };
    rule.body.action = own;
    if (ci < 0) {
      // Written with weight 0 (dropped by the compiler) or not at all: kept with weight 0.
      own.destinations.push({ ...canary, weight: 0 });
      ci = own.destinations.length - 1;
    }
    const a = spec.analysis;
    const analysis = {
      steps: stepsOf(a),
      intervalMs: parseDuration(a.interval) ?? 60_000,
      threshold: a.threshold,
      minRequests: a.minRequests,
      ...(a.successRate ? { successRate: a.successRate } : {}),
      ...(a.latencyP99 ? { latencyP99: a.latencyP99 } : {}),
      failures: a.failures,
    };
    const specHash = (await sha256Hex(JSON.stringify({ analysis, primary: label(primary), canary: label(canary) }))).slice(0, 16);
    const rollout: RouteRollout = { name, primary: pi, canary: ci, specHash, ...analysis };
    own.rollout = rollout;
    driven.set(`${vsKey}#${spec.target.rule}`, name);
  }
}

const label = destinationLabel;

/** Explicit stepWeights, or stepWeight, 2·stepWeight, … up to maxWeight (Flagger's two forms). */
export function stepsOf(a: { stepWeights?: number[]; stepWeight?: number; maxWeight?: number }): number[] {
  if (a.stepWeights && a.stepWeights.length > 0) return [...a.stepWeights];
  const step = a.stepWeight ?? 10;
  const max = a.maxWeight ?? 50;
  const out: number[] = [];
  for (let w = step; w < max; w += step) out.push(w);
  out.push(max);
  return out;
}
