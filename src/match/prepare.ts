/**
 * prepare(): a RouteTable (plain JSON from KV) → a PreparedTable ready for per-request matching.
 * Done once per table per isolate: host Maps, per-vhost candidate indexes (route-index.ts),
 * RegExps compiled once (route matchers, CORS origins, uriRegexRewrite).
 * The table itself is never mutated; prepared routes point back to it.
 */
import type { Route, RouteTable, VirtualHost } from "../compile/table.ts";
import { compileCors, type CompiledCors } from "../actions/cors.ts";
import { compileRegexRewrite, type CompiledRegexRewrite } from "../actions/rewrite.ts";
import { buildRouteIndex, type RouteIndex } from "./route-index.ts";
import { compileRouteMatch, type CompiledRouteMatch } from "./route-match.ts";
import { prepareListener, type PreparedListener } from "./vhost.ts";

export interface PreparedRoute {
  route: Route;
  match: CompiledRouteMatch;
  cors?: CompiledCors;
  regexRewrite?: CompiledRegexRewrite;
}

export interface PreparedVhost {
  vhost: VirtualHost;
  routes: PreparedRoute[];
  index: RouteIndex;
}

export interface PreparedTable {
  table: RouteTable;
  listeners: { http: PreparedListener; https: PreparedListener };
  vhosts: PreparedVhost[];
}

function prepareRoute(route: Route): PreparedRoute {
  const out: PreparedRoute = { route, match: compileRouteMatch(route.match) };
  if (route.corsPolicy) out.cors = compileCors(route.corsPolicy);
  if (route.rewrite?.uriRegexRewrite) out.regexRewrite = compileRegexRewrite(route.rewrite.uriRegexRewrite);
  return out;
}

export function prepare(table: RouteTable): PreparedTable {
  return {
    table,
    listeners: {
      http: prepareListener(table.listeners.http),
      https: prepareListener(table.listeners.https),
    },
    vhosts: table.vhosts.map((vhost) => ({
      vhost,
      routes: vhost.routes.map(prepareRoute),
      index: buildRouteIndex(vhost.routes),
    })),
  };
}
