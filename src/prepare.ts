/**
 * prepare(): a RouteTable (plain JSON from KV) → a PreparedTable ready for decide(): the
 * matchers (match/) and the actions' compiled parts (actions/), so it sits after both.
 * Done once per table per isolate: host Maps eagerly; each vhost's candidate index
 * (match/route-index.ts) on its first request; each route's matcher, CORS policy and
 * uriRegexRewrite (with their RegExps) are compiled on first use and then kept, because the index means most routes are never evaluated
 * by a given isolate — a cold prepare() of 10,000 routes is then mostly the index build.
 * The table itself is never mutated; prepared routes point back to it.
 */
import type { Route, RouteTable, VirtualHost } from "./table/types.ts";
import { compileCors, type CompiledCors } from "./actions/cors.ts";
import { compileRegexRewrite, type CompiledRegexRewrite } from "./actions/rewrite.ts";
import { buildRouteIndex, type RouteIndex } from "./match/route-index.ts";
import { compileRouteMatch, type CompiledRouteMatch } from "./match/route-match.ts";
import { prepareListener, type PreparedListener } from "./match/vhost.ts";

/** A route plus its compiled parts, each compiled at most once, on first use. */
export class PreparedRoute {
  readonly route: Route;
  private matchCache: CompiledRouteMatch | undefined;
  private corsCache: CompiledCors | null | undefined;
  private rewriteCache: CompiledRegexRewrite | null | undefined;

  constructor(route: Route) {
    this.route = route;
  }
  get match(): CompiledRouteMatch {
    return (this.matchCache ??= compileRouteMatch(this.route.match));
  }
  get cors(): CompiledCors | undefined {
    if (this.corsCache === undefined) this.corsCache = this.route.corsPolicy ? compileCors(this.route.corsPolicy) : null;
    return this.corsCache ?? undefined;
  }
  get regexRewrite(): CompiledRegexRewrite | undefined {
    if (this.rewriteCache === undefined) {
      const rr = this.route.rewrite?.uriRegexRewrite;
      this.rewriteCache = rr ? compileRegexRewrite(rr) : null;
    }
    return this.rewriteCache ?? undefined;
  }
}

/**
 * A virtual host whose routes and candidate index are built on its first request: a table load
 * is then JSON.parse plus the listener maps, whatever the number of hosts (bench/ANALYSIS.md),
 * and an isolate only pays for the hosts it actually serves.
 */
export class PreparedVhost {
  readonly vhost: VirtualHost;
  private routesCache: PreparedRoute[] | undefined;
  private indexCache: RouteIndex | undefined;

  constructor(vhost: VirtualHost) {
    this.vhost = vhost;
  }
  get routes(): PreparedRoute[] {
    return (this.routesCache ??= this.vhost.routes.map((r) => new PreparedRoute(r)));
  }
  get index(): RouteIndex {
    return (this.indexCache ??= buildRouteIndex(this.vhost.routes));
  }
}

export interface PreparedTable {
  table: RouteTable;
  listeners: { http: PreparedListener; https: PreparedListener };
  vhosts: PreparedVhost[];
}

export function prepare(table: RouteTable): PreparedTable {
  return {
    table,
    listeners: {
      http: prepareListener(table.listeners.http),
      https: prepareListener(table.listeners.https),
    },
    vhosts: table.vhosts.map((vhost) => new PreparedVhost(vhost)),
  };
}
