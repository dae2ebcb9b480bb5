/**
 * HTTPRoute (gateway.networking.k8s.io v1/v1beta1; v1beta1 types are aliases of v1), the fields
 * and CRD validation of GATEWAY-API-SEMANTICS §3–§9 and the admission errors of §10. CRD defaults
 * are applied by the compiler (path PathPrefix "/", weight 1, redirect 302, CORS maxAge 5…).
 */
import { z } from "zod";
import { bool, enumOf, int, Metadata, obj, str } from "../schema/common.ts";
import { checkRegex } from "../regex.ts";
import {
  GATEWAY_API_VERSIONS, gatewayDuration, group, headerName, hostname, kind, namespaceName, objectName,
  parseGatewayDuration, portNumber, sectionName, status,
} from "./common.ts";

export const ParentReference = obj({
  group: group().optional(),
  kind: kind().optional(),
  namespace: namespaceName().optional(),
  name: objectName("a parent name"),
  sectionName: sectionName().optional(),
  port: portNumber().optional(),
});

/** Exact/PathPrefix path values (httproute_types.go CEL on HTTPPathMatch). */
export function pathValueProblem(v: string): string | null {
  if (!v.startsWith("/")) return `must be an absolute path starting with "/", got ${JSON.stringify(v)}`;
  if (v.length > 1024) return "at most 1024 characters";
  for (const bad of ["//", "/./", "/../", "%2f", "%2F", "#"]) if (v.includes(bad)) return `must not contain ${JSON.stringify(bad)}, got ${JSON.stringify(v)}`;
  if (v.endsWith("/..") || v.endsWith("/.")) return `must not end with "/.." or "/.", got ${JSON.stringify(v)}`;
  if (!/^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/.test(v)) return `may contain only [-A-Za-z0-9/._~!$&'()*+,;=:@] and %XX escapes, got ${JSON.stringify(v)}`;
  return null;
}

export const HTTPPathMatch = obj({
  type: enumOf(["Exact", "PathPrefix", "RegularExpression"]).optional(),
  value: str("a path").optional(),
}).superRefine((m, ctx) => {
  const type = m.type ?? "PathPrefix";
  if (m.value === undefined) return;
  if (type === "RegularExpression") {
    if (m.value.length > 1024) ctx.addIssue({ code: "custom", path: ["value"], message: "at most 1024 characters" });
    const r = checkRegex(m.value);
    if (!r.ok) ctx.addIssue({ code: "custom", path: ["value"], message: r.message });
    return;
  }
  const p = pathValueProblem(m.value);
  if (p) ctx.addIssue({ code: "custom", path: ["value"], message: p });
});

const valueMatch = (max: number) =>
  obj({
    type: enumOf(["Exact", "RegularExpression"]).optional(),
    name: headerName(),
    value: str("a value"),
  }).superRefine((m, ctx) => {
    if (m.value.length < 1 || m.value.length > max) ctx.addIssue({ code: "custom", path: ["value"], message: `a value has 1 to ${max} characters` });
    if (m.type === "RegularExpression") {
      const r = checkRegex(m.value);
      if (!r.ok) ctx.addIssue({ code: "custom", path: ["value"], message: r.message });
    }
  });

/** listType=map on `name`: exact duplicates are rejected at admission (case variants are not: first wins, §4.3). */
const uniqueNames = <T extends { name: string }>(list: T[], ctx: z.RefinementCtx, path: Array<string | number>) => {
  const seen = new Map<string, number>();
  list.forEach((e, i) => {
    if (seen.has(e.name)) ctx.addIssue({ code: "custom", path: [...path, i, "name"], message: `${JSON.stringify(e.name)} is already listed at [${seen.get(e.name)}]` });
    else seen.set(e.name, i);
  });
};

export const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;

export const HTTPRouteMatch = obj({
  path: HTTPPathMatch.optional(),
  headers: z.array(valueMatch(4096)).max(16).optional(),
  queryParams: z.array(valueMatch(1024)).max(16).optional(),
  method: enumOf(METHODS).optional(),
}).superRefine((m, ctx) => {
  if (m.headers) uniqueNames(m.headers, ctx, ["headers"]);
  if (m.queryParams) uniqueNames(m.queryParams, ctx, ["queryParams"]);
});

const HTTPHeader = obj({ name: headerName(), value: str("a header value") });
export const HTTPHeaderFilter = obj({
  set: z.array(HTTPHeader).max(16).optional(),
  add: z.array(HTTPHeader).max(16).optional(),
  remove: z.array(headerName()).max(16).optional(),
}).superRefine((f, ctx) => {
  if (f.set) uniqueNames(f.set, ctx, ["set"]);
  if (f.add) uniqueNames(f.add, ctx, ["add"]);
});

export const HTTPPathModifier = obj({
  type: enumOf(["ReplaceFullPath", "ReplacePrefixMatch"]),
  replaceFullPath: str("a path").max(1024).optional(),
  replacePrefixMatch: str("a path").max(1024).optional(),
}).superRefine((p, ctx) => {
  if (p.type === "ReplaceFullPath" && (p.replaceFullPath === undefined || p.replacePrefixMatch !== undefined))
    ctx.addIssue({ code: "custom", message: "type ReplaceFullPath needs replaceFullPath (and no replacePrefixMatch)" });
  if (p.type === "ReplacePrefixMatch" && (p.replacePrefixMatch === undefined || p.replaceFullPath !== undefined))
    ctx.addIssue({ code: "custom", message: "type ReplacePrefixMatch needs replacePrefixMatch (and no replaceFullPath)" });
});

export const HTTPRequestRedirectFilter = obj({
  scheme: enumOf(["http", "https"]).optional(),
  hostname: hostname(false).optional(),
  path: HTTPPathModifier.optional(),
  port: portNumber().optional(),
  statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)], { error: (iss) => `expected a redirect status 301, 302, 303, 307 or 308, got ${JSON.stringify(iss.input)}` }).optional(),
});

export const HTTPURLRewriteFilter = obj({
  hostname: hostname(false).optional(),
  path: HTTPPathModifier.optional(),
});

export const BackendObjectReference = obj({
  group: group().optional(),
  kind: kind().optional(),
  name: objectName("a backend name"),
  namespace: namespaceName().optional(),
  port: portNumber().optional(),
});

export const HTTPRequestMirrorFilter = obj({
  backendRef: BackendObjectReference,
  percent: int(0, 100, "a percentage").optional(),
  fraction: obj({ numerator: int(0, 2_147_483_647, "a numerator"), denominator: int(1, 2_147_483_647, "a denominator").optional() }).optional(),
}).superRefine((m, ctx) => {
  if (m.percent !== undefined && m.fraction !== undefined) ctx.addIssue({ code: "custom", message: "only one of percent or fraction may be set" });
  if (m.fraction && m.fraction.numerator > (m.fraction.denominator ?? 100))
    ctx.addIssue({ code: "custom", path: ["fraction"], message: "numerator must be less than or equal to denominator" });
});

const CORS_ORIGIN = /^(\*|https?:\/\/(\*|(\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9])\.)*([a-zA-Z0-9]|[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]))(:[0-9]{1,5})?)$/;
const starAlone = (list: string[] | undefined, ctx: z.RefinementCtx, field: string) => {
  if (list && list.includes("*") && list.length > 1) ctx.addIssue({ code: "custom", path: [field], message: `"*" must be the only entry of ${field}` });
};
export const HTTPCORSFilter = obj({
  allowOrigins: z
    .array(
      str("an origin").superRefine((o, ctx) => {
        if (!CORS_ORIGIN.test(o)) ctx.addIssue({ code: "custom", message: `expected "*" or scheme://host[:port] (the host may start with "*."), got ${JSON.stringify(o)}` });
      }),
    )
    .max(64)
    .optional(),
  allowMethods: z.array(z.union([enumOf(METHODS), z.literal("*")], { error: (iss) => `expected an HTTP method or "*", got ${JSON.stringify(iss.input)}` })).max(9).optional(),
  allowHeaders: z.array(str()).max(64).optional(),
  exposeHeaders: z.array(str()).max(64).optional(),
  allowCredentials: bool().optional(),
  maxAge: int(1, 2_147_483_647, "a number of seconds").optional(),
}).superRefine((c, ctx) => {
  starAlone(c.allowOrigins, ctx, "allowOrigins");
  starAlone(c.allowMethods, ctx, "allowMethods");
  starAlone(c.allowHeaders, ctx, "allowHeaders");
});

export const FILTER_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "RequestMirror", "CORS", "ExtensionRef", "ExternalAuth"] as const;
const FILTER_FIELD: Record<(typeof FILTER_TYPES)[number], string> = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  RequestMirror: "requestMirror",
  CORS: "cors",
  ExtensionRef: "extensionRef",
  ExternalAuth: "externalAuth",
};

export const HTTPRouteFilter = obj({
  type: enumOf(FILTER_TYPES),
  requestHeaderModifier: HTTPHeaderFilter.optional(),
  responseHeaderModifier: HTTPHeaderFilter.optional(),
  requestRedirect: HTTPRequestRedirectFilter.optional(),
  urlRewrite: HTTPURLRewriteFilter.optional(),
  requestMirror: HTTPRequestMirrorFilter.optional(),
  cors: HTTPCORSFilter.optional(),
  extensionRef: obj({ group: group(), kind: kind(), name: objectName() }).optional(),
  externalAuth: z.unknown().optional(),
}).superRefine((f, ctx) => {
  // CEL: the union member must match `type`, and no other member may be set.
  const want = FILTER_FIELD[f.type];
  for (const [t, field] of Object.entries(FILTER_FIELD)) {
    const set = (f as Record<string, unknown>)[field] !== undefined;
    if (field === want && !set) ctx.addIssue({ code: "custom", message: `filter type ${f.type} needs \`${field}\`` });
    if (field !== want && set) ctx.addIssue({ code: "custom", path: [field], message: `\`${field}\` belongs to filter type ${t}, not ${f.type}` });
  }
});
export type HTTPRouteFilter = z.infer<typeof HTTPRouteFilter>;

const SINGLETONS = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS"];
/** CEL on a filters list (rule or backendRef level), GATEWAY-API-SEMANTICS §6.1. */
function checkFilters(filters: HTTPRouteFilter[] | undefined, ctx: z.RefinementCtx, path: Array<string | number>): void {
  if (!filters) return;
  const seen = new Map<string, number>();
  filters.forEach((f, i) => {
    if (SINGLETONS.includes(f.type)) {
      if (seen.has(f.type)) ctx.addIssue({ code: "custom", path: [...path, i, "type"], message: `${f.type} may appear only once in a filters list (already at [${seen.get(f.type)}])` });
      else seen.set(f.type, i);
    }
  });
  if (seen.has("RequestRedirect") && seen.has("URLRewrite"))
    ctx.addIssue({ code: "custom", path: [...path, seen.get("URLRewrite")!, "type"], message: "RequestRedirect and URLRewrite cannot be used together" });
}

export const HTTPBackendRef = obj({
  group: group().optional(),
  kind: kind().optional(),
  name: objectName("a backend name"),
  namespace: namespaceName().optional(),
  port: portNumber().optional(),
  weight: int(0, 1_000_000, "a weight").optional(),
  filters: z.array(HTTPRouteFilter).max(16).optional(),
}).superRefine((b, ctx) => {
  if ((b.group ?? "") === "" && (b.kind ?? "Service") === "Service" && b.port === undefined)
    ctx.addIssue({ code: "custom", path: ["port"], message: "Must have port for Service reference" });
  checkFilters(b.filters, ctx, ["filters"]);
});

export const HTTPRouteTimeouts = obj({
  request: gatewayDuration().optional(),
  backendRequest: gatewayDuration().optional(),
}).superRefine((t, ctx) => {
  const r = t.request !== undefined ? parseGatewayDuration(t.request) : null;
  const b = t.backendRequest !== undefined ? parseGatewayDuration(t.backendRequest) : null;
  if (r !== null && b !== null && r !== 0 && b > r)
    ctx.addIssue({ code: "custom", path: ["backendRequest"], message: `backendRequest timeout (${t.backendRequest}) cannot be longer than request timeout (${t.request})` });
  for (const [k, v] of [["request", r], ["backendRequest", b]] as const)
    if (v !== null && v !== 0 && v < 1) ctx.addIssue({ code: "custom", path: [k], message: "a non-zero timeout is at least 1ms" });
});

export const HTTPRouteRetry = obj({
  codes: z.array(int(400, 599, "an HTTP status code")).optional(),
  attempts: int(0, 2_147_483_647, "a number of retries").optional(),
  backoff: gatewayDuration().optional(),
});

/** GEP-1619, both shapes (v1.6.1 and main, §9). */
export const SessionPersistence = obj({
  sessionName: str().optional(),
  absoluteTimeout: gatewayDuration().optional(),
  idleTimeout: gatewayDuration().optional(),
  type: enumOf(["Cookie", "Header"]).optional(),
  cookieConfig: obj({ lifetimeType: enumOf(["Session", "Permanent"]).optional() }).optional(),
  cookie: obj({ name: str().optional(), path: str().optional(), lifetimeType: enumOf(["Session", "Permanent"]).optional() }).optional(),
  header: obj({ name: headerName() }).optional(),
}).superRefine((sp, ctx) => {
  // The CRD's CEL rules on the main shape (§9): each type takes only its own block, and a
  // Permanent cookie needs the absoluteTimeout that becomes its lifetime.
  const type = sp.type ?? "Cookie";
  if (type === "Cookie" && sp.header !== undefined) ctx.addIssue({ code: "custom", path: ["header"], message: "header is only allowed when type is Header" });
  if (type === "Header" && sp.cookie !== undefined) ctx.addIssue({ code: "custom", path: ["cookie"], message: "cookie is only allowed when type is Cookie" });
  if (sp.cookie?.lifetimeType === "Permanent" && sp.absoluteTimeout === undefined)
    ctx.addIssue({ code: "custom", path: ["cookie", "lifetimeType"], message: "absoluteTimeout must be specified when cookie lifetimeType is Permanent" });
});

export const HTTPRouteRule = obj({
  name: sectionName("a rule name").optional(),
  matches: z.array(HTTPRouteMatch).max(64).optional(),
  filters: z.array(HTTPRouteFilter).max(16).optional(),
  backendRefs: z.array(HTTPBackendRef).max(16).optional(),
  timeouts: HTTPRouteTimeouts.optional(),
  retry: HTTPRouteRetry.optional(),
  sessionPersistence: SessionPersistence.optional(),
}).superRefine((r, ctx) => {
  checkFilters(r.filters, ctx, ["filters"]);
  const redirect = r.filters?.findIndex((f) => f.type === "RequestRedirect") ?? -1;
  if (redirect >= 0 && r.backendRefs?.length)
    ctx.addIssue({ code: "custom", path: ["filters", redirect], message: "RequestRedirect filter must not be used together with backendRefs" });
  // ReplacePrefixMatch (rule or backend level) needs exactly one match, and it must be a PathPrefix.
  const all = [...(r.filters ?? []).map((f, i) => ({ f, path: ["filters", i] as Array<string | number> }))];
  r.backendRefs?.forEach((b, bi) => b.filters?.forEach((f, i) => all.push({ f, path: ["backendRefs", bi, "filters", i] })));
  for (const { f, path } of all) {
    const mod = f.requestRedirect?.path ?? f.urlRewrite?.path;
    if (mod?.type !== "ReplacePrefixMatch") continue;
    const ms = r.matches ?? [];
    const ok = ms.length === 1 && (ms[0]!.path?.type ?? "PathPrefix") === "PathPrefix";
    if (!ok)
      ctx.addIssue({ code: "custom", path, message: "When using ReplacePrefixMatch, the rule must have exactly one match and that match must be a PathPrefix" });
  }
});
export type HTTPRouteRule = z.infer<typeof HTTPRouteRule>;
export type HTTPRouteMatch = z.infer<typeof HTTPRouteMatch>;
export type HTTPBackendRef = z.infer<typeof HTTPBackendRef>;
export type BackendObjectReference = z.infer<typeof BackendObjectReference>;
export type ParentReference = z.infer<typeof ParentReference>;
export type HTTPHeaderFilter = z.infer<typeof HTTPHeaderFilter>;

export const HTTPRouteSpec = obj({
  parentRefs: z.array(ParentReference).max(32).optional(),
  hostnames: z.array(hostname()).max(16).optional(),
  rules: z.array(HTTPRouteRule).max(16).optional(),
  useDefaultGateways: z.unknown().optional(),
}).superRefine((s, ctx) => {
  const total = (s.rules ?? []).reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (total > 128) ctx.addIssue({ code: "custom", path: ["rules"], message: `at most 128 matches across all rules, got ${total}` });
  const names = new Map<string, number>();
  s.rules?.forEach((r, i) => {
    if (r.name === undefined) return;
    if (names.has(r.name)) ctx.addIssue({ code: "custom", path: ["rules", i, "name"], message: `rule name ${JSON.stringify(r.name)} is already used by rules[${names.get(r.name)}]` });
    else names.set(r.name, i);
  });
  // CEL: refs to one parent are distinct; if one sets sectionName (or port) all must, with different values.
  const byParent = new Map<string, Array<{ i: number; section?: string; port?: number }>>();
  s.parentRefs?.forEach((p, i) => {
    const key = `${p.group ?? ""}|${p.kind ?? "Gateway"}|${p.namespace ?? ""}|${p.name}`;
    const list = byParent.get(key) ?? [];
    list.push({ i, ...(p.sectionName !== undefined ? { section: p.sectionName } : {}), ...(p.port !== undefined ? { port: p.port } : {}) });
    byParent.set(key, list);
  });
  for (const list of byParent.values()) {
    if (list.length < 2) continue;
    const keys = list.map((e) => `${e.section ?? ""}|${e.port ?? ""}`);
    const dup = keys.findIndex((k, j) => keys.indexOf(k) !== j);
    if (dup >= 0 || keys.includes("|"))
      ctx.addIssue({ code: "custom", path: ["parentRefs", list[dup >= 0 ? dup : keys.indexOf("|")]!.i], message: "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent, and they must differ" });
  }
});

export const HTTPRoute = obj({
  apiVersion: enumOf(GATEWAY_API_VERSIONS),
  kind: z.literal("HTTPRoute"),
  metadata: Metadata,
  spec: HTTPRouteSpec,
  status: status(),
});
export type HTTPRoute = z.infer<typeof HTTPRoute>;
