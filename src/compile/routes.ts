/**
 * Route order inside a virtual host (istio:route BuildHTTPRoutesForVirtualService, istio:gwgen,
 * SortVHostRoutes; ISTIO-SEMANTICS §1.2 "Route ordering and merging", §5 item 2):
 *  - each rule's `match[]` entries become one route each, in order; a rule without `match` is one
 *    route matching everything;
 *  - a VirtualService's expansion stops after a rule without `match` or after a catch-all route;
 *  - matches whose `port` differs from the server port, or whose `gateways` do not name a binding
 *    gateway, are dropped at build time;
 *  - VirtualServices are appended in creation order, then every catch-all route is moved to the
 *    end, preserving relative order (only the first can ever match).
 */
import type { Route } from "../table/types.ts";
import type { CompiledMatch, CompiledRule } from "./rule.ts";
import { isCatchAll } from "./match.ts";

export interface Binding {
  /** Gateway server port (match.port is compared with it). */
  port: number;
  /** `ns/name` of every Gateway whose server binds this VirtualService to the vhost. */
  gateways: ReadonlySet<string>;
}

function keep(m: CompiledMatch, b: Binding): boolean {
  if (m.port !== undefined && m.port !== b.port) return false;
  // sourceMatchHTTP: a match naming gateways applies only to them; one naming none is not filtered.
  if (m.gateways && !m.gateways.some((g) => b.gateways.has(g))) return false;
  return true;
}

function toRoute(rule: CompiledRule, virtualService: string, m: CompiledMatch | null): Route {
  const name = m?.match.name !== undefined ? `${rule.name}.${m.match.name}` : rule.name;
  return { name, virtualService, ruleIndex: rule.ruleIndex, matchIndex: m ? m.index : null, source: rule.source, match: m ? m.match : null, ...rule.body };
}

export function expandVirtualService(rules: readonly CompiledRule[], virtualService: string, binding: Binding): Route[] {
  const out: Route[] = [];
  for (const rule of rules) {
    if (rule.matches === null) {
      out.push(toRoute(rule, virtualService, null));
      break;
    }
    let catchAll = false;
    for (const m of rule.matches) {
      if (!keep(m, binding)) continue;
      out.push(toRoute(rule, virtualService, m));
      if (m.catchAll) {
        catchAll = true;
        break;
      }
    }
    if (catchAll) break;
  }
  return out;
}

/** Stable partition: non-catch-all routes first, catch-alls after, each group in original order. */
export function catchAllsLast(routes: readonly Route[]): Route[] {
  const head: Route[] = [];
  const tail: Route[] = [];
  for (const r of routes) (isCatchAll(r.match) ? tail : head).push(r);
  return head.concat(tail);
}
