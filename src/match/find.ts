/** Request → (vhost, first matching route) over a PreparedTable. */
import type { RequestFacts } from "../decision.ts";
import type { PreparedTable, PreparedVhost } from "./prepare.ts";
import { candidateLists, firstAccepted } from "./route-index.ts";
import { MatchInput, matchesRoute } from "./route-match.ts";
import { listenerForPort, selectVhost } from "./vhost.ts";

/** vhost index for the request (listener of its scheme; host without port), or null. */
export function findVhost(table: PreparedTable, facts: RequestFacts): number | null {
  return selectVhost(listenerForPort(table.listeners[facts.scheme], facts.port), facts.host);
}

/** Index of the first route of the vhost that matches (Istio first-match order), or -1. */
export function findRoute(vhost: PreparedVhost, input: MatchInput): number {
  const routes = vhost.routes;
  return firstAccepted(candidateLists(vhost.index, input), (i) => matchesRoute(routes[i]!.match, input));
}
