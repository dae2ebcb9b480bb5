/**
 * Which HTTPRoute precedence step picked the matched rule (DESIGN.md §10: `routes route` says which
 * step decided). The vhost's routes are already in precedence order; the step is the first one
 * that separates the winner from the next route that also matches the request
 * (GATEWAY-API-SEMANTICS §5). Istio routes carry no precedence (first match in written order).
 */
import type { Decision, RequestFacts } from "../decision.ts";
import type { PreparedTable } from "../prepare.ts";
import { findVhost } from "../match/find.ts";
import { MatchInput, matchesRoute } from "../match/route-match.ts";
import { explainStep } from "../compile/gateway-api/precedence.ts";

export function explainPrecedence(table: PreparedTable, facts: RequestFacts, d: Decision): string | null {
  if (!("match" in d) || !d.match) return null;
  const winner = d.match.route.precedence;
  if (!winner) return null;
  const v = findVhost(table, facts);
  if (v === null) return null;
  const routes = table.vhosts[v]!.routes;
  const input = new MatchInput(facts);
  for (let i = d.match.routeIndex + 1; i < routes.length; i++) {
    const other = routes[i]!;
    if (!other.route.precedence || !matchesRoute(other.match, input)) continue;
    return `${explainStep(winner, other.route.precedence)} (next matching: ${other.route.name} match[${other.route.matchIndex}])`;
  }
  return "the only matching rule on this host";
}
