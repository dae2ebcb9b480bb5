/**
 * Request → (vhost, first matching route) over a prepared table (src/prepare.ts). The parameters
 * name only what matching reads, so match/ does not depend on the prepared form.
 */
import type { RequestFacts } from "../decision.ts";
import { candidateLists, firstAccepted, type RouteIndex } from "./route-index.ts";
import { MatchInput, matchesRoute, type CompiledRouteMatch } from "./route-match.ts";
import { listenerForPort, selectVhost, type PreparedListener } from "./vhost.ts";

/** What findRoute reads of a prepared virtual host. */
export interface MatchableVhost {
  readonly routes: ReadonlyArray<{ readonly match: CompiledRouteMatch }>;
  readonly index: RouteIndex;
}

/** vhost index for the request (listener of its scheme; host without port), or null. */
export function findVhost(table: { listeners: Record<"http" | "https", PreparedListener> }, facts: RequestFacts): number | null {
  return selectVhost(listenerForPort(table.listeners[facts.scheme], facts.port), facts.host);
}

/** Index of the first route of the vhost that matches (Istio first-match order), or -1. */
export function findRoute(vhost: MatchableVhost, input: MatchInput): number {
  const routes = vhost.routes;
  return firstAccepted(candidateLists(vhost.index, input), (i) => matchesRoute(routes[i]!.match, input));
}
