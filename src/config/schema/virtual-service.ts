/**
 * VirtualService (networking.istio.io) — ISTIO-SEMANTICS §1.2.
 * Per-object rules live here (zod refinements); rules that need other objects (subsets,
 * gateways, delegates) live in references.ts.
 */
import { z } from "zod";
import {
  apiVersion, bool, duration, enumOf, exportTo, headerMap, host, int, Metadata, obj, Percent, port, regexSource,
  rejected, str, stringMatch, StringMatch, dnsLabel, DNS1123_LABEL, DNS1123_SUBDOMAIN,
} from "./common.ts";
import { Headers } from "./headers.ts";
import { RETRY_ON_TOKENS } from "./retry-on.ts";
import { describe } from "../duration.ts";

/** `mesh`, `name` (the VirtualService's namespace) or `namespace/name` (ISTIO-SEMANTICS §1.2). */
export const gatewayRef = () =>
  str("a gateway name").superRefine((g, ctx) => {
    if (g === "mesh") return;
    const parts = g.split("/");
    const ok =
      (parts.length === 1 && DNS1123_SUBDOMAIN.test(g)) ||
      (parts.length === 2 && DNS1123_LABEL.test(parts[0]!) && DNS1123_SUBDOMAIN.test(parts[1]!));
    if (!ok) ctx.addIssue({ code: "custom", message: `expected a gateway as "name", "namespace/name" or "mesh", got ${JSON.stringify(g)}` });
  });

export const PortSelector = obj({ number: port() });

export const Destination = obj({
  host: host({ wildcard: "none", star: false }),
  subset: dnsLabel("subset").optional(),
  port: PortSelector.optional(),
});

export const HTTPRouteDestination = obj({
  destination: Destination,
  weight: int(0, 2_147_483_647, "a non-negative integer weight").optional(),
  headers: Headers.optional(),
});

const presence = stringMatch({ presence: true });

export const HTTPMatchRequest = obj({
  name: str().optional(),
  uri: stringMatch({ emptyPrefix: true }).optional(),
  scheme: StringMatch.optional(),
  method: StringMatch.optional(),
  authority: StringMatch.optional(),
  headers: headerMap(presence).optional(),
  withoutHeaders: headerMap(presence).optional(),
  queryParams: z.record(str(), presence).optional(),
  ignoreUriCase: bool().optional(),
  /** Build-time: the match applies only to the gateway server on this port. */
  port: port().optional(),
  /** Build-time: overrides the VirtualService's `gateways` for this match. */
  gateways: z.array(gatewayRef()).optional(),
  sourceLabels: rejected("sourceLabels", "it selects sidecar workloads; the edge is not a workload"),
  sourceNamespace: rejected("sourceNamespace", "it selects sidecar namespaces; the edge is not a workload"),
  statPrefix: str().optional(),
});

export const HTTPRedirect = obj({
  uri: str().optional(),
  prefixRewrite: str().optional(),
  authority: str().optional(),
  port: port().optional(),
  derivePort: enumOf(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]).optional(),
  scheme: enumOf(["http", "https"]).optional(),
  redirectCode: int(300, 399, "a redirect status")
    .superRefine((c, ctx) => {
      // Istio's validation accepts 300–399, but only these are translated to Envoy; any other code
      // makes Istio drop the action (ISTIO-SEMANTICS §1.2 HTTPRedirect), so we reject it up front.
      if (Number.isInteger(c) && c >= 300 && c <= 399 && ![301, 302, 303, 307, 308].includes(c))
        ctx.addIssue({ code: "custom", message: `redirectCode ${c} is not usable: Envoy supports only 301, 302, 303, 307 and 308` });
    })
    .optional(),
}).superRefine((r, ctx) => {
  if (r.uri !== undefined && r.prefixRewrite !== undefined)
    ctx.addIssue({ code: "custom", path: ["prefixRewrite"], message: "a redirect takes uri or prefixRewrite, not both" });
  if (r.port !== undefined && r.derivePort !== undefined)
    ctx.addIssue({ code: "custom", path: ["derivePort"], message: "a redirect takes port or derivePort, not both" });
  if ([r.uri, r.prefixRewrite, r.authority, r.port, r.derivePort, r.scheme].every((x) => x === undefined))
    ctx.addIssue({ code: "custom", message: "a redirect needs at least one of uri, prefixRewrite, authority, port, derivePort, scheme" });
});

/** 1 MiB: Istio's max_direct_response_body_size_bytes (ISTIO-SEMANTICS §1.1 item 7). */
export const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

export const HTTPBody = obj({
  string: str().optional(),
  bytes: str("base64 bytes")
    .superRefine((b, ctx) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b) || b.length % 4 !== 0)
        ctx.addIssue({ code: "custom", message: "body.bytes must be base64 (RFC 4648 §4) of length a multiple of 4" });
    })
    .optional(),
}).superRefine((b, ctx) => {
  if ((b.string === undefined) === (b.bytes === undefined)) {
    ctx.addIssue({ code: "custom", message: "a body takes exactly one of string or bytes" });
    return;
  }
  const size = b.string !== undefined ? new TextEncoder().encode(b.string).length : Math.floor((b.bytes!.length * 3) / 4);
  if (size > MAX_DIRECT_RESPONSE_BODY_BYTES)
    ctx.addIssue({ code: "custom", path: [b.string !== undefined ? "string" : "bytes"], message: `body is ${size} bytes; the maximum is ${MAX_DIRECT_RESPONSE_BODY_BYTES} (1 MiB)` });
});

// 599 at most: a Worker cannot answer a status above 599 (the Response constructor throws a
// RangeError), so a 600 would turn every matching request into a 500.
export const HTTPDirectResponse = obj({
  status: int(200, 599, "an HTTP status"),
  body: HTTPBody.optional(),
});

export const Delegate = obj({ name: dnsLabel("delegate name"), namespace: dnsLabel("delegate namespace").optional() });

// uriRegexRewrite searches every occurrence (Envoy regex_rewrite): the stricter "search" bound.
export const RegexRewrite = obj({ match: regexSource("search").optional(), rewrite: str().optional() }).superRefine((r, ctx) => {
  if (r.match === undefined || r.rewrite === undefined)
    ctx.addIssue({ code: "custom", message: "uriRegexRewrite needs both match and rewrite" });
});

export const HTTPRewrite = obj({
  uri: str().optional(),
  authority: str().optional(),
  uriRegexRewrite: RegexRewrite.optional(),
}).superRefine((r, ctx) => {
  if (r.uri !== undefined && r.uriRegexRewrite !== undefined)
    ctx.addIssue({ code: "custom", path: ["uriRegexRewrite"], message: "a rewrite takes uri or uriRegexRewrite, not both" });
  if (r.uri === undefined && r.uriRegexRewrite === undefined && r.authority === undefined)
    ctx.addIssue({ code: "custom", message: "a rewrite needs at least one of uri, uriRegexRewrite, authority" });
});

export const HTTPRetry = obj({
  attempts: int(0, 2_147_483_647, "a non-negative number of attempts").optional(),
  perTryTimeout: duration().optional(),
  retryOn: str("a comma-separated list of retry conditions")
    .superRefine((s, ctx) => {
      // Istio splits on "," without trimming, so "5xx, reset" is rejected (istio:val validateHTTPRetry).
      for (const token of s.split(",")) {
        if (RETRY_ON_TOKENS.has(token)) continue;
        if (/^\d+$/.test(token) && Number(token) >= 100 && Number(token) <= 599) continue;
        ctx.addIssue({
          code: "custom",
          message: `unknown retryOn condition ${JSON.stringify(token)}: expected Envoy conditions such as 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, or an HTTP status, separated by "," without spaces`,
        });
      }
    })
    .optional(),
  retryRemoteLocalities: bool().optional(),
  retryIgnorePreviousHosts: bool().optional(),
  backoff: duration().optional(),
}).superRefine((r, ctx) => {
  if (r.attempts !== 0) return;
  for (const f of ["perTryTimeout", "retryOn", "retryRemoteLocalities"] as const)
    if (r[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `${f} cannot be set when attempts is 0 (retries disabled)` });
});

export const Delay = obj({
  fixedDelay: duration().optional(),
  exponentialDelay: rejected("exponentialDelay", "Istio rejects it; use fixedDelay"),
  percentage: Percent.optional(),
  /** Deprecated integer percent, used only when `percentage` is absent. */
  percent: int(0, 100, "a percentage").optional(),
}).superRefine((d, ctx) => {
  if (d.fixedDelay === undefined) ctx.addIssue({ code: "custom", message: "a delay needs fixedDelay" });
});

export const Abort = obj({
  httpStatus: int(200, 599, "an HTTP status").optional(), // 599 at most, as directResponse.status
  grpcStatus: str("a gRPC status name such as UNAVAILABLE").optional(),
  http2Error: rejected("http2Error", "Istio rejects it; use httpStatus"),
  percentage: Percent.optional(),
  /**
   * Deprecated integer percent, used only when `percentage` is absent. Current Istio dropped it
   * from Abort, but its older fault-injection task (`abort: {httpStatus: 500, percent: 100}`) is
   * still widely copied; we accept it like Delay's.
   */
  percent: int(0, 100, "a percentage").optional(),
}).superRefine((a, ctx) => {
  if ((a.httpStatus === undefined) === (a.grpcStatus === undefined))
    ctx.addIssue({ code: "custom", message: "an abort takes exactly one of httpStatus or grpcStatus" });
  if (a.grpcStatus !== undefined && /^\d+$/.test(a.grpcStatus))
    ctx.addIssue({ code: "custom", path: ["grpcStatus"], message: `grpcStatus is a status name such as "UNAVAILABLE", not a number (got ${a.grpcStatus})` });
});

export const HTTPFaultInjection = obj({ delay: Delay.optional(), abort: Abort.optional() }).superRefine((f, ctx) => {
  if (f.delay === undefined && f.abort === undefined) ctx.addIssue({ code: "custom", message: "a fault needs a delay, an abort, or both" });
});

export const HTTPMirrorPolicy = obj({ destination: Destination, percentage: Percent.optional() });

const CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"] as const;
const headerOrStar = () =>
  str("a header name or *").superRefine((h, ctx) => {
    if (h !== "*" && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h))
      ctx.addIssue({ code: "custom", message: `expected a header name or "*", got ${describe(h)}` });
  });

export const CorsPolicy = obj({
  allowOrigins: z.array(StringMatch).optional(),
  allowOrigin: z.array(str()).optional(),
  allowMethods: z.array(enumOf(CORS_METHODS)).optional(),
  allowHeaders: z.array(headerOrStar()).optional(),
  exposeHeaders: z.array(headerOrStar()).optional(),
  maxAge: duration({ minMs: 1000, wholeSeconds: true }).optional(),
  allowCredentials: bool().optional(),
  unmatchedPreflights: enumOf(["UNSPECIFIED", "FORWARD", "IGNORE"]).optional(),
}).superRefine((c, ctx) => {
  c.allowOrigins?.forEach((m, i) => {
    if (m.exact === "" || m.prefix === "" || m.regex === "")
      ctx.addIssue({ code: "custom", path: ["allowOrigins", i], message: "an allowed origin must not be empty" });
  });
});

const HTTPRouteBase = obj({
  name: str().optional(),
  match: z.array(HTTPMatchRequest).optional(),
  route: z.array(HTTPRouteDestination).optional(),
  redirect: HTTPRedirect.optional(),
  directResponse: HTTPDirectResponse.optional(),
  delegate: Delegate.optional(),
  rewrite: HTTPRewrite.optional(),
  timeout: duration().optional(),
  retries: HTTPRetry.optional(),
  fault: HTTPFaultInjection.optional(),
  mirror: Destination.optional(),
  mirrorPercentage: Percent.optional(),
  mirror_percent: int(0, 100, "a percentage").optional(),
  mirrors: z.array(HTTPMirrorPolicy).optional(),
  corsPolicy: CorsPolicy.optional(),
  headers: Headers.optional(),
});

export const HTTPRoute = HTTPRouteBase.superRefine(checkHTTPRoute);

/** One action per rule; redirect/directResponse exclude rewrite/fault; mirror XOR mirrors; weights. */
function checkHTTPRoute(r: z.infer<typeof HTTPRouteBase>, ctx: z.RefinementCtx) {
  const actions = (["route", "redirect", "directResponse", "delegate"] as const).filter((k) => r[k] !== undefined);
  if (actions.length === 0)
    ctx.addIssue({ code: "custom", message: "an http rule needs exactly one of route, redirect, directResponse, delegate; found none" });
  else if (actions.length > 1)
    ctx.addIssue({ code: "custom", path: [actions[1]!], message: `an http rule takes exactly one of route, redirect, directResponse, delegate; found ${actions.join(" and ")}` });
  for (const local of ["redirect", "directResponse"] as const) {
    if (r[local] === undefined) continue;
    for (const f of ["rewrite", "fault"] as const)
      if (r[f] !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `${f} cannot be combined with ${local}: the response is generated at the edge` });
  }
  if (r.mirror !== undefined && r.mirrors !== undefined)
    ctx.addIssue({ code: "custom", path: ["mirrors"], message: "use mirror or mirrors, not both" });
  if (r.mirror === undefined) {
    if (r.mirrorPercentage !== undefined) ctx.addIssue({ code: "custom", path: ["mirrorPercentage"], message: "mirrorPercentage needs mirror" });
    if (r.mirror_percent !== undefined) ctx.addIssue({ code: "custom", path: ["mirror_percent"], message: "mirror_percent needs mirror" });
  }
  if (r.route && r.route.length === 0) ctx.addIssue({ code: "custom", path: ["route"], message: "route needs at least one destination" });
  if (r.route && r.route.length > 1) {
    // Istio ≥ 1.15: weights are relative; with several destinations the total must be > 0.
    const total = r.route.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (total === 0)
      ctx.addIssue({ code: "custom", path: ["route"], message: `the weights of ${r.route.length} destinations add up to 0; give at least one a positive weight` });
  }
  // uriRegexRewrite needs no match (Istio validateHTTPRewrite): it rewrites the path of every request of the rule.
  if (r.redirect?.prefixRewrite !== undefined && !(r.match?.length && r.match.every((m) => m.uri?.prefix !== undefined)))
    ctx.addIssue({ code: "custom", path: ["redirect", "prefixRewrite"], message: "prefixRewrite needs every match of the rule to be a uri prefix match" });
  const names = new Set<string>();
  r.match?.forEach((m, i) => {
    if (m.name === undefined) return;
    if (names.has(m.name)) ctx.addIssue({ code: "custom", path: ["match", i, "name"], message: `duplicate match name ${JSON.stringify(m.name)} in this rule` });
    names.add(m.name);
  });
}

/** Two VirtualService hosts overlap when one equals or wildcard-covers the other. */
export function hostsOverlap(a: string, b: string): boolean {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b || a === "*" || b === "*") return true;
  const wa = a.startsWith("*"), wb = b.startsWith("*");
  const sa = wa ? a.slice(1) : a, sb = wb ? b.slice(1) : b;
  if (wa && wb) return sa.endsWith(sb) || sb.endsWith(sa);
  if (wa) return b.endsWith(sa) && b.length > sa.length;
  if (wb) return a.endsWith(sb) && a.length > sb.length;
  return false;
}

const VirtualServiceSpecBase = obj({
  hosts: z.array(host({ wildcard: "partial", star: true })).optional(),
  gateways: z.array(gatewayRef()).optional(),
  http: z.array(HTTPRoute).optional(),
  tcp: rejected("tcp", "tcp routes are L4 and do not exist at an HTTP edge"),
  tls: rejected("tls", "tls (SNI passthrough) routes are L4 and do not exist at an HTTP edge; Cloudflare terminates TLS"),
  exportTo: exportTo(),
});

export const VirtualServiceSpec = VirtualServiceSpecBase.superRefine((vs, ctx) => {
  const hosts = vs.hosts ?? [];
  for (let i = 0; i < hosts.length; i++)
    for (let j = 0; j < i; j++)
      if (hostsOverlap(hosts[i]!, hosts[j]!)) {
        ctx.addIssue({ code: "custom", path: ["hosts", i], message: `host ${JSON.stringify(hosts[i])} overlaps hosts[${j}] ${JSON.stringify(hosts[j])} in the same VirtualService` });
        break;
      }
  if (hosts.includes("*") && (!vs.gateways?.length || vs.gateways.includes("mesh")))
    ctx.addIssue({ code: "custom", path: ["hosts", hosts.indexOf("*")], message: `host "*" is only allowed when gateways lists gateways (and not mesh)` });
  if (!vs.http?.length) ctx.addIssue({ code: "custom", path: ["http"], message: "a VirtualService needs at least one http rule" });
  const names = new Map<string, number>();
  vs.http?.forEach((r, i) => {
    if (r.name === undefined || r.name === "") return;
    const prev = names.get(r.name);
    if (prev !== undefined) ctx.addIssue({ code: "custom", path: ["http", i, "name"], message: `duplicate http rule name ${JSON.stringify(r.name)} (also http[${prev}])` });
    else names.set(r.name, i);
  });
});

export const VirtualService = obj({
  apiVersion: apiVersion(),
  kind: z.literal("VirtualService"),
  metadata: Metadata,
  spec: VirtualServiceSpec,
});

export type Destination = z.infer<typeof Destination>;
export type PortSelector = z.infer<typeof PortSelector>;
export type HTTPRouteDestination = z.infer<typeof HTTPRouteDestination>;
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequest>;
export type HTTPRedirect = z.infer<typeof HTTPRedirect>;
export type HTTPBody = z.infer<typeof HTTPBody>;
export type HTTPDirectResponse = z.infer<typeof HTTPDirectResponse>;
export type Delegate = z.infer<typeof Delegate>;
export type RegexRewrite = z.infer<typeof RegexRewrite>;
export type HTTPRewrite = z.infer<typeof HTTPRewrite>;
export type HTTPRetry = z.infer<typeof HTTPRetry>;
export type HTTPFaultInjection = z.infer<typeof HTTPFaultInjection>;
export type HTTPMirrorPolicy = z.infer<typeof HTTPMirrorPolicy>;
export type CorsPolicy = z.infer<typeof CorsPolicy>;
export type HTTPRoute = z.infer<typeof HTTPRoute>;
export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpec>;
export type VirtualService = z.infer<typeof VirtualService>;
