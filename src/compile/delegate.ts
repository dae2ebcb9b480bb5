/**
 * Delegate VirtualServices (istio:vsmodel mergeHTTPRoutes / mergeHTTPRoute / hasConflict,
 * ISTIO-SEMANTICS §1.2 "Delegate VirtualServices"): a root rule with `delegate` is replaced in
 * place by the delegate's rules, their matches merged with the root's and unset fields inherited
 * from the root.
 *
 * Istio drops a delegate rule whose matches conflict with the root's (and a root rule whose
 * delegate is missing) with only a debug log. We report both as errors instead: a silently
 * missing route is exactly the failure DESIGN.md §1 promises to surface at validation time.
 */
import type { Diagnostics } from "./diagnostics.ts";
import type { HTTPMatchRequest, HTTPRoute, IstioStringMatch, Located, VirtualService } from "./input.ts";
import { objectKey } from "./input.ts";
import { resolveGatewayName } from "./gateway-names.ts";
import type { Where } from "./regex.ts";

/** One rule of a VirtualService after delegate resolution. */
export interface FlatRule {
  rule: HTTPRoute;
  /** Index of the rule in the root VirtualService's `http[]`. */
  ruleIndex: number;
  name: string;
  /** Where the rule is written (the delegate's rule for delegated rules). */
  own: Where;
  /** Where fields listed in `inherited` come from (the root rule). */
  root: Where;
  inherited: ReadonlySet<string>;
}

const INHERITED_FIELDS = [
  "rewrite", "directResponse", "timeout", "retries", "fault", "mirror", "mirrorPercentage", "mirrorPercent", "mirror_percent", "mirrors", "corsPolicy", "headers",
] as const;

export function flattenRules(vs: Located<VirtualService>, byKey: ReadonlyMap<string, Located<VirtualService>>, diags: Diagnostics): FlatRule[] {
  const out: FlatRule[] = [];
  const ns = vs.value.metadata.namespace ?? "default";
  (vs.value.spec.http ?? []).forEach((rule, i) => {
    const own: Where = { obj: vs, path: ["spec", "http", i] };
    const rootName = rule.name ?? `http[${i}]`;
    if (!rule.delegate) {
      out.push({ rule, ruleIndex: i, name: rootName, own, root: own, inherited: new Set() });
      return;
    }
    const key = `${rule.delegate.namespace ?? ns}/${rule.delegate.name}`;
    const target = byKey.get(key);
    if (!target) {
      diags.error(vs, [...own.path, "delegate"], `delegate VirtualService ${key} does not exist; Istio would silently drop this rule`, "delegate-not-found");
      return;
    }
    if (target.value.spec.hosts?.length || target.value.spec.gateways?.length) {
      diags.error(target, ["spec", target.value.spec.hosts?.length ? "hosts" : "gateways"], `VirtualService ${key} is used as a delegate by ${objectKey(vs.value)}, so it must not set hosts or gateways`, "delegate-invalid");
      return;
    }
    const targetNs = target.value.metadata.namespace ?? "default";
    (target.value.spec.http ?? []).forEach((sub, j) => {
      const subWhere: Where = { obj: target, path: ["spec", "http", j] };
      if (sub.delegate) {
        diags.error(target, [...subWhere.path, "delegate"], `a delegate's rule cannot delegate again (${key} is a delegate of ${objectKey(vs.value)}); Istio supports one level`, "delegate-chain");
        return;
      }
      const merged = mergeMatches(rule.match, ns, sub.match, targetNs);
      if (merged === null) {
        diags.error(target, [...subWhere.path, "match"], `no match of this rule is compatible with the matches of ${objectKey(vs.value)} spec.http[${i}] that delegates to it (a delegate may only narrow the root's conditions); Istio would silently drop this rule`, "delegate-conflict");
        return;
      }
      const effective: HTTPRoute = { ...sub };
      if (merged !== undefined) effective.match = merged;
      const inherited = new Set<string>();
      for (const f of INHERITED_FIELDS) {
        if (effective[f] === undefined && rule[f] !== undefined) {
          (effective as Record<string, unknown>)[f] = rule[f];
          inherited.add(f);
        }
      }
      delete effective.delegate;
      const name = `${rootName}-${sub.name ?? `http[${j}]`}`;
      out.push({ rule: effective, ruleIndex: i, name, own: subWhere, root: own, inherited });
    });
  });
  return out;
}

/**
 * istio mergeHTTPMatchRequests: root without matches ⇒ delegate's; delegate without matches ⇒
 * root's; otherwise one merged match per (delegate match × compatible root match), and every
 * delegate match needs at least one compatible root match. null = conflict; undefined = no matches.
 */
function mergeMatches(
  root: HTTPMatchRequest[] | undefined, rootNs: string,
  leaf: HTTPMatchRequest[] | undefined, leafNs: string,
): HTTPMatchRequest[] | undefined | null {
  if (!root?.length) return leaf?.length ? leaf.map((m) => withGateways(m, leafNs)) : undefined;
  if (!leaf?.length) return root.map((m) => withGateways(m, rootNs));
  const out: HTTPMatchRequest[] = [];
  for (const l of leaf) {
    const ln = withGateways(l, leafNs);
    let found = false;
    for (const r of root) {
      const rn = withGateways(r, rootNs);
      if (hasConflict(rn, ln)) continue;
      out.push(mergeMatch(rn, ln));
      found = true;
    }
    if (!found) return null;
  }
  return out;
}

/** Gateway names resolved against the namespace of the VirtualService that wrote them. */
function withGateways(m: HTTPMatchRequest, ns: string): HTTPMatchRequest {
  return m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, ns)) } : m;
}

function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  if (root.name !== undefined) out.name = leaf.name !== undefined ? `${root.name}-${leaf.name}` : root.name;
  for (const k of ["uri", "scheme", "method", "authority"] as const) if (out[k] === undefined && root[k] !== undefined) out[k] = root[k];
  // Maps are unioned; the delegate wins on a key clash (maps.MergeCopy(root, delegate)).
  for (const k of ["headers", "withoutHeaders", "queryParams"] as const) {
    if (root[k] || leaf[k]) out[k] = { ...root[k], ...leaf[k] };
  }
  if (out.port === undefined && root.port !== undefined) out.port = root.port;
  if (!out.gateways?.length && root.gateways?.length) out.gateways = root.gateways;
  if (out.ignoreUriCase === undefined && root.ignoreUriCase !== undefined) out.ignoreUriCase = root.ignoreUriCase;
  return out;
}

function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  for (const k of ["uri", "scheme", "method", "authority"] as const) if (stringMatchConflict(root[k], leaf[k])) return true;
  const lookup = (map: Record<string, IstioStringMatch> | undefined, name: string, ci: boolean) => {
    if (!map) return undefined;
    if (!ci) return map[name];
    const key = Object.keys(map).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : map[key];
  };
  for (const [name, m] of Object.entries(leaf.headers ?? {})) if (stringMatchConflict(lookup(root.headers, name, true), m)) return true;
  for (const [name, m] of Object.entries(leaf.withoutHeaders ?? {})) if (stringMatchConflict(lookup(root.withoutHeaders, name, true), m)) return true;
  for (const [name, m] of Object.entries(leaf.queryParams ?? {})) if (stringMatchConflict(lookup(root.queryParams, name, false), m)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port) return true;
  // The delegate's gateways must be a subset of the root's.
  if (root.gateways?.length && leaf.gateways?.length && !leaf.gateways.every((g) => root.gateways!.includes(g))) return true;
  return false;
}

/**
 * istio stringMatchConflict: no conflict when either side is unset; a regex on either side
 * conflicts; root exact X needs delegate exact X; root prefix P needs a delegate prefix or exact
 * starting with P; anything else conflicts.
 */
export function stringMatchConflict(root: IstioStringMatch | undefined, leaf: IstioStringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex) return true;
  if (leaf.regex) return true;
  if (root.exact) return leaf.prefix ? true : leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}
