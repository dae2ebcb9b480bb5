/**
 * Assembly of header-operation lists (ISTIO-SEMANTICS §2.8). Each HeaderOps is applied
 * remove → set → add (the forwarder does that); this module only decides the ORDER of levels:
 * - single destination: Istio appends the destination's ops to the route-level lists, so route
 *   ops run first and a destination `set` wins;
 * - weighted destinations: the destination ops sit on Envoy's weighted-cluster entry, which
 *   Envoy evaluates BEFORE route-level ops, so a route-level `set` wins.
 * Istio decides by the number of destinations in the rule; the compiled table only keeps
 * non-zero-weight destinations, so a split left with one destination counts as single.
 */
import type { HeaderOps, HeaderPolicy } from "../compile/table.ts";

function nonEmpty(ops: HeaderOps | undefined): ops is HeaderOps {
  return !!ops && !!(ops.remove?.length || ops.set?.length || ops.add?.length);
}

export function orderHeaderOps(
  route: HeaderPolicy | undefined,
  destination: HeaderPolicy | undefined,
  weighted: boolean,
  side: "request" | "response",
): HeaderOps[] {
  const r = route?.[side];
  const d = destination?.[side];
  const levels = weighted ? [d, r] : [r, d];
  return levels.filter(nonEmpty);
}

/** Route-level response ops only (redirects and direct responses). */
export function routeResponseOps(route: HeaderPolicy | undefined): HeaderOps[] {
  const r = route?.response;
  return nonEmpty(r) ? [r] : [];
}
