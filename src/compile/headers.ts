/**
 * Istio `Headers` → table HeaderPolicy (ISTIO-SEMANTICS §2.8, istio:route translateAppendHeaders):
 * per list, remove first, then every `set` (sorted by key), then every `add` (sorted by key).
 * Names are lower-cased (HTTP field names are case-insensitive, RFC 9110 §5.1).
 *
 * `host` / `:authority` in request set/add are not header edits: Istio turns them into an
 * authority rewrite (`set` wins over `add`). The caller decides where that authority goes
 * (route level wins over destination level, §2.8 "Authority").
 *
 * Route-level and destination-level policies stay separate in the table because their order
 * depends on the split (§2.8): single destination ⇒ route ops then destination ops; weighted
 * destinations ⇒ destination ops then route ops (route `set` wins). The forwarder applies that.
 */
import type { HeaderOps, HeaderPolicy } from "../table/types.ts";
import type { IstioHeaderOperations, IstioHeaders } from "./input.ts";

const AUTHORITY_NAMES = new Set(["host", ":authority"]);

function sortedPairs(map: Record<string, string> | undefined, skipAuthority: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(map ?? {})) {
    const lower = name.toLowerCase();
    if (skipAuthority && AUTHORITY_NAMES.has(lower)) continue;
    out.push([lower, value]);
  }
  // Stable sort by name only: two spellings of one name keep their YAML order.
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function headerOps(ops: IstioHeaderOperations | undefined, request: boolean): HeaderOps | undefined {
  if (!ops) return undefined;
  const out: HeaderOps = {};
  const remove = [...new Set((ops.remove ?? []).map((n) => n.toLowerCase()))];
  if (remove.length) out.remove = remove;
  const set = sortedPairs(ops.set, request);
  if (set.length) out.set = set;
  const add = sortedPairs(ops.add, request);
  if (add.length) out.add = add;
  return out.remove || out.set || out.add ? out : undefined;
}

/** The authority a request `set`/`add` of `host` or `:authority` asks for (`set` wins). */
function requestAuthority(ops: IstioHeaderOperations | undefined): string | undefined {
  const pick = (map: Record<string, string> | undefined) => {
    let found: string | undefined;
    for (const [name, value] of Object.entries(map ?? {})) if (AUTHORITY_NAMES.has(name.toLowerCase())) found ??= value;
    return found;
  };
  return pick(ops?.set) ?? pick(ops?.add);
}

export function headerPolicy(h: IstioHeaders | undefined): { policy?: HeaderPolicy; authority?: string } {
  if (!h) return {};
  const policy: HeaderPolicy = {};
  const request = headerOps(h.request, true);
  const response = headerOps(h.response, false);
  if (request) policy.request = request;
  if (response) policy.response = response;
  const out: { policy?: HeaderPolicy; authority?: string } = {};
  if (request || response) out.policy = policy;
  const authority = requestAuthority(h.request);
  if (authority !== undefined) out.authority = authority;
  return out;
}
