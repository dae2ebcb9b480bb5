/**
 * Istio `headers.request` / `headers.response` operations (ISTIO-SEMANTICS §2.8).
 *
 * Each HeaderOps list is applied as Envoy evaluates one HeaderValueOption list: all `remove`
 * first, then `set` (overwrite-or-add), then `add` (append). Lists are applied in the order the
 * Decision gives them (the compiler/decide already ordered route vs destination levels).
 *
 * Values support these Envoy substitution variables (anything else is left verbatim, `%%` → `%`):
 *   %DOWNSTREAM_REMOTE_ADDRESS%               client IP (Workers do not expose the client port,
 *   %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%   so both give the bare IP from cf-connecting-ip)
 *   %REQ(name)%                              downstream request header (or :authority, :path,
 *                                            :method, :scheme); empty when absent
 *   %RESP(name)%                             upstream response header (response ops only)
 *   %PROTOCOL%                               downstream protocol, e.g. HTTP/1.1, HTTP/2
 *   %START_TIME%                             request start, RFC 3339
 *
 * `host` / `:authority` set by header ops is not applied here: it is the Decision's `authority`
 * (forward/authority.ts); other pseudo-headers cannot be set (Istio rejects them too).
 *
 * Which lists apply, and in which order of levels (orderHeaderOps, used by decide):
 * - single destination: Istio appends the destination's ops to the route-level lists, so route
 *   ops run first and a destination `set` wins;
 * - weighted destinations: the destination ops sit on Envoy's weighted-cluster entry, which
 *   Envoy evaluates BEFORE route-level ops, so a route-level `set` wins.
 * Istio decides by the number of destinations in the rule; the compiled table only keeps
 * non-zero-weight destinations, so a split left with one destination counts as single.
 */
import type { HeaderOps, HeaderPolicy } from "../table/types.ts";

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

export interface HeaderVars {
  clientIp?: string;
  protocol?: string;
  startTime?: number;
  /** Downstream request headers as received. */
  request?: Headers;
  /** Pseudo-headers of the downstream request. */
  pseudo?: { authority: string; path: string; method: string; scheme: string };
  /** Upstream response headers, for response ops. */
  response?: Headers;
}

function lookupHeader(name: string, vars: HeaderVars, source: "REQ" | "RESP"): string {
  const n = name.trim().toLowerCase();
  if (source === "RESP") return vars.response?.get(n) ?? "";
  if (n.startsWith(":")) {
    const p = vars.pseudo;
    if (!p) return "";
    if (n === ":authority") return p.authority;
    if (n === ":path") return p.path;
    if (n === ":method") return p.method;
    if (n === ":scheme") return p.scheme;
    return "";
  }
  if (n === "host") return vars.pseudo?.authority ?? vars.request?.get("host") ?? "";
  return vars.request?.get(n) ?? "";
}

function variable(token: string, vars: HeaderVars): string | null {
  switch (token) {
    case "DOWNSTREAM_REMOTE_ADDRESS":
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
      return vars.clientIp ?? "";
    case "PROTOCOL":
      return vars.protocol ?? "";
    case "START_TIME":
      return new Date(vars.startTime ?? Date.now()).toISOString();
  }
  const m = /^(REQ|RESP)\(([^)]*)\)$/.exec(token);
  if (m) return lookupHeader(m[2]!, vars, m[1] as "REQ" | "RESP");
  return null;
}

/** Expands Envoy `%VAR%` substitutions in a header value (`%%` is a literal `%`). */
export function substitute(value: string, vars: HeaderVars): string {
  if (!value.includes("%")) return value;
  let out = "";
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf("%", i);
    if (start < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, start);
    if (value[start + 1] === "%") {
      out += "%";
      i = start + 2;
      continue;
    }
    const end = value.indexOf("%", start + 1);
    const replaced = end < 0 ? null : variable(value.slice(start + 1, end), vars);
    if (replaced === null) {
      // Unknown variable or a lone `%`: keep the `%` literally and continue after it.
      out += "%";
      i = start + 1;
    } else {
      out += replaced;
      i = end + 1;
    }
  }
  return out;
}

/** Names never touched by header ops: the authority is routed separately; pseudo-headers are not real headers. */
function settable(name: string): boolean {
  return name !== "host" && !name.startsWith(":");
}

/** Applies the lists in order, each as remove → set → add. Mutates `headers`. */
export function applyHeaderOps(headers: Headers, lists: readonly HeaderOps[], vars: HeaderVars): void {
  for (const ops of lists) {
    if (ops.remove) for (const name of ops.remove) if (settable(name)) headers.delete(name);
    if (ops.set) for (const [name, value] of ops.set) if (settable(name)) headers.set(name, substitute(value, vars));
    if (ops.add) for (const [name, value] of ops.add) if (settable(name)) headers.append(name, substitute(value, vars));
  }
}
