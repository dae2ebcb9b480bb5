/**
 * CorsPolicy at run time (ISTIO-SEMANTICS §2.12; Envoy cors filter as Istio configures it).
 *
 * - A CORS request has a non-empty `Origin`. It is allowed iff some `allowOrigins` StringMatch
 *   matches the Origin exactly as sent, or matches the literal `*` (so `exact: "*"` allows all).
 * - Preflight = OPTIONS + non-empty Origin + non-empty Access-Control-Request-Method.
 *   Allowed ⇒ answered locally, 200, headers in this order: allow-origin (the request Origin,
 *   never `*`), allow-credentials `true` (only when allowCredentials), allow-methods (joined with
 *   "," — `*` alone echoes the requested method), allow-headers (joined — `*` alone echoes
 *   Access-Control-Request-Headers), max-age (integer seconds, when set). No Vary, no
 *   expose-headers. Not allowed ⇒ FORWARD (default): proxied untouched; IGNORE: answered
 *   locally with 200 and no CORS headers.
 * - Actual request with an allowed Origin ⇒ forwarded; the response gets allow-origin,
 *   allow-credentials (if configured), expose-headers (if any). Disallowed ⇒ untouched
 *   (Envoy never blocks).
 */
import type { CorsPolicy } from "../table/types.ts";
import type { RequestFacts } from "../decision.ts";
import { compileStringMatch, type Matcher } from "../match/string-match.ts";

export interface CompiledCors {
  policy: CorsPolicy;
  origins: Matcher[];
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
}

export function compileCors(policy: CorsPolicy): CompiledCors {
  return {
    policy,
    origins: policy.allowOrigins.map((m) => compileStringMatch(m)),
    allowMethods: policy.allowMethods.join(","),
    allowHeaders: policy.allowHeaders.join(","),
    exposeHeaders: policy.exposeHeaders.join(","),
  };
}

export type CorsOutcome =
  /** Not a CORS request, or a disallowed one that is forwarded untouched. */
  | { kind: "none" }
  /** Answer locally with 200 and these headers (empty for an IGNOREd unmatched preflight). */
  | { kind: "preflight"; headers: Array<[string, string]> }
  /** Forward; add these headers to the response. */
  | { kind: "actual"; headers: Array<[string, string]> };

function originAllowed(c: CompiledCors, origin: string): boolean {
  for (const m of c.origins) if (m(origin) || m("*")) return true;
  return false;
}

export function evaluateCors(c: CompiledCors, facts: RequestFacts): CorsOutcome {
  const origin = facts.headers.get("origin");
  if (!origin) return { kind: "none" };
  const allowed = originAllowed(c, origin);
  const requestMethod = facts.headers.get("access-control-request-method");
  const isPreflight = facts.method === "OPTIONS" && !!requestMethod;
  const p = c.policy;

  if (isPreflight) {
    if (!allowed) return p.unmatchedPreflights === "IGNORE" ? { kind: "preflight", headers: [] } : { kind: "none" };
    const headers: Array<[string, string]> = [["access-control-allow-origin", origin]];
    if (p.allowCredentials === true) headers.push(["access-control-allow-credentials", "true"]);
    if (c.allowMethods === "*") headers.push(["access-control-allow-methods", requestMethod]);
    else if (c.allowMethods) headers.push(["access-control-allow-methods", c.allowMethods]);
    if (c.allowHeaders === "*") {
      const requested = facts.headers.get("access-control-request-headers");
      if (requested) headers.push(["access-control-allow-headers", requested]);
    } else if (c.allowHeaders) headers.push(["access-control-allow-headers", c.allowHeaders]);
    if (p.maxAgeSeconds !== undefined) headers.push(["access-control-max-age", String(p.maxAgeSeconds)]);
    // HTTPRoute CORS (GEP-1767) sends Expose-Headers on the preflight as well; Envoy does not.
    if (p.exposeOnPreflight === true && c.exposeHeaders) headers.push(["access-control-expose-headers", c.exposeHeaders]);
    return { kind: "preflight", headers };
  }

  if (!allowed) return { kind: "none" };
  const headers: Array<[string, string]> = [["access-control-allow-origin", origin]];
  if (p.allowCredentials === true) headers.push(["access-control-allow-credentials", "true"]);
  if (c.exposeHeaders) headers.push(["access-control-expose-headers", c.exposeHeaders]);
  return { kind: "actual", headers };
}
