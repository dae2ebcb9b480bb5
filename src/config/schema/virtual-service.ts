/**
 * VirtualService (networking.istio.io) — ISTIO-SEMANTICS §1.2.
 * Per-object rules live here (zod refinements); rules that need other objects (subsets,
 * gateways, delegates) live in references.ts.
 */
import { z } from "zod";
import {
  apiVersion, bool, duration, EDGE, enumOf, exportTo, FaultPercent, fqdnProblem, headerMap, host, int, ISTIO_HEADER_NAME, ISTIO_LABEL,
  isIpAddress, labelMap, Metadata, obj, Percent, port, regexSource, str, stringMatch, StringMatch, dnsLabel, wildcardDomainProblem, wireStr, authorityStr,
} from "./common.ts";
import { Headers } from "./headers.ts";
import { RETRY_ON_TOKENS } from "./retry-on.ts";
import { describe } from "../duration.ts";

/**
 * `mesh`, `name` (the VirtualService's namespace), `namespace/name`, or the legacy
 * `name.namespace[.svc.cluster.local]` that Istio still accepts with a warning
 * (istio:val validateGatewayNames; ISTIO-SEMANTICS §1.2).
 */
export const gatewayRef = () =>
  str("a gateway name").superRefine((g, ctx) => {
    if (g === "mesh") return;
    const slash = g.indexOf("/");
    if (slash < 0) {
      const p = fqdnProblem(g);
      if (p) ctx.addIssue({ code: "custom", message: `expected a gateway as "name", "namespace/name" or "mesh", got ${JSON.stringify(g)}` });
      return;
    }
    const [ns, name] = [g.slice(0, slash), g.slice(slash + 1)];
    if (!ISTIO_LABEL.test(ns) || !ISTIO_LABEL.test(name))
      ctx.addIssue({ code: "custom", message: `expected a gateway as "namespace/name" (both DNS-1123 labels), got ${JSON.stringify(g)}` });
  });

/** Istio's subset-name rule (istio:val validateSubsetName): a DNS-1123 label, either case. */
export const subsetName = (what = "subset name") =>
  str(what).superRefine((v, ctx) => {
    if (!ISTIO_LABEL.test(v)) ctx.addIssue({ code: "custom", message: `${what} must be a DNS-1123 label (letters, digits and "-", at most 63 characters), got ${JSON.stringify(v)}` });
  });

export const PortSelector = obj({ number: port() });

// istio:val validateDestination: any host Istio's wildcard-domain rule accepts except "*"
// (a wildcard destination is an edge error when nothing serves it: references.ts).
export const Destination = obj({
  host: host({ wildcard: "partial", star: false }),
  subset: subsetName("subset").optional(),
  port: PortSelector.optional(),
});

export const HTTPRouteDestination = obj({
  destination: Destination,
  weight: int(0, 2_147_483_647, "a non-negative integer weight").optional(),
  headers: Headers.optional(),
});

export const HTTPMatchRequest = obj({
  name: str().optional(),
  uri: stringMatch("uri").optional(),
  scheme: StringMatch.optional(),
  method: StringMatch.optional(),
  authority: StringMatch.optional(),
  headers: headerMap(StringMatch).optional(),
  withoutHeaders: headerMap(stringMatch("withoutHeaders")).optional(),
  queryParams: z.record(str(), StringMatch).optional(),
  ignoreUriCase: bool().optional(),
  /** Build-time: the match applies only to the gateway server on this port. */
  port: port().optional(),
  /** Build-time: overrides the VirtualService's `gateways` for this match. */
  gateways: z.array(gatewayRef()).optional(),
  /** Selects the calling workload: an edge error (edge-notes.ts), the edge is no workload. */
  sourceLabels: labelMap().optional(),
  sourceNamespace: str("a namespace")
    .superRefine((v, ctx) => {
      if (v !== "" && !ISTIO_LABEL.test(v)) ctx.addIssue({ code: "custom", message: `sourceNamespace ${JSON.stringify(v)} is not a valid namespace name` });
    })
    .optional(),
  statPrefix: str().optional(),
});

export const HTTPRedirect = obj({
  uri: wireStr("a redirect uri").optional(),
  prefixRewrite: wireStr("a redirect prefixRewrite").optional(),
  authority: authorityStr("a redirect authority").optional(),
  port: port().optional(),
  derivePort: enumOf(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]).optional(),
  scheme: enumOf(["http", "https"]).optional(),
  // istio:val validateHTTPRedirect: 0 (unset) or 300–399.
  redirectCode: z
    .number({ error: (iss) => `expected a redirect status from 300 to 399, got ${describe(iss.input)}` })
    .superRefine((c, ctx) => {
      if (!Number.isInteger(c) || (c !== 0 && (c < 300 || c > 399))) {
        ctx.addIssue({ code: "custom", message: `${c} is not a valid redirect code, must be 3xx` });
        return;
      }
      // Istio accepts 300–399, but only these are translated to Envoy; any other code makes Istio
      // drop the action (ISTIO-SEMANTICS §1.2 HTTPRedirect): an edge error, said up front.
      if (c !== 0 && ![301, 302, 303, 307, 308].includes(c))
        ctx.addIssue({ code: "custom", params: EDGE, message: `redirectCode ${c} cannot be served: Envoy (and the edge) support only 301, 302, 303, 307 and 308` });
    })
    .optional(),
}).superRefine((r, ctx) => {
  if (r.uri && r.prefixRewrite !== undefined)
    ctx.addIssue({ code: "custom", path: ["prefixRewrite"], message: "a redirect takes uri or prefixRewrite, not both" });
  if (r.port !== undefined && r.derivePort !== undefined)
    ctx.addIssue({ code: "custom", path: ["derivePort"], message: "a redirect takes port or derivePort, not both" });
  // Proto3: an empty string is unset (istio:val "redirect must specify URI, authority, scheme, or port").
  if (!r.uri && r.prefixRewrite === undefined && !r.authority && r.port === undefined && r.derivePort === undefined && !r.scheme)
    ctx.addIssue({ code: "custom", message: "a redirect must specify uri, authority, scheme or port (empty strings count as unset)" });
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
  if (b.string !== undefined && b.bytes !== undefined) {
    ctx.addIssue({ code: "custom", message: "a body takes exactly one of string or bytes" });
    return;
  }
  if (b.string === undefined && b.bytes === undefined) return; // an empty body (Istio accepts it)
  const size = b.string !== undefined ? new TextEncoder().encode(b.string).length : Math.floor((b.bytes!.length * 3) / 4);
  if (size > MAX_DIRECT_RESPONSE_BODY_BYTES)
    ctx.addIssue({ code: "custom", path: [b.string !== undefined ? "string" : "bytes"], message: `body is ${size} bytes; the maximum is ${MAX_DIRECT_RESPONSE_BODY_BYTES} (1 MiB)` });
});

/**
 * istio:val validateHTTPStatus accepts 200–600. A Worker cannot answer a status above 599 (the
 * Response constructor throws a RangeError), so 600 is an edge error: it would turn every matching
 * request into a 500.
 */
export const httpStatus = () =>
  z
    .number({ error: (iss) => `expected an HTTP status from 200 to 599, got ${describe(iss.input)}` })
    .superRefine((v, ctx) => {
      if (!Number.isInteger(v) || v < 200 || v > 600) ctx.addIssue({ code: "custom", message: `HTTP status ${v} is not in range 200-599` });
      else if (v === 600) ctx.addIssue({ code: "custom", params: EDGE, message: "status 600 cannot be served: a Worker answers 200–599 only (Istio accepts 600); use 599 or less" });
    });

export const HTTPDirectResponse = obj({
  status: httpStatus(),
  body: HTTPBody.optional(),
});

export const Delegate = obj({ name: dnsLabel("delegate name"), namespace: dnsLabel("delegate namespace").optional() });

// uriRegexRewrite searches every occurrence (Envoy regex_rewrite): the stricter "search" bound.
export const RegexRewrite = obj({ match: str("an RE2 regular expression").optional(), rewrite: wireStr("a uriRegexRewrite rewrite").optional() }).superRefine((r, ctx) => {
  if (!r.match || !r.rewrite) {
    ctx.addIssue({ code: "custom", message: "uriRegexRewrite needs both match and rewrite (non-empty)" });
    return;
  }
  const issue = regexSource("search").safeParse(r.match);
  if (!issue.success) for (const i of issue.error.issues) ctx.addIssue({ ...(i as object), code: "custom", path: ["match"], message: i.message } as never);
});

export const HTTPRewrite = obj({
  uri: wireStr("a rewrite uri").optional(),
  authority: authorityStr("a rewrite authority").optional(),
  uriRegexRewrite: RegexRewrite.optional(),
}).superRefine((r, ctx) => {
  if (r.uri && r.uriRegexRewrite !== undefined)
    ctx.addIssue({ code: "custom", path: ["uriRegexRewrite"], message: "a rewrite takes uri or uriRegexRewrite, not both" });
  if (!r.uri && r.uriRegexRewrite === undefined && !r.authority)
    ctx.addIssue({ code: "custom", message: "a rewrite needs at least one of uri, uriRegexRewrite, authority (empty strings count as unset)" });
});

export const HTTPRetry = obj({
  attempts: int(0, 2_147_483_647, "a non-negative number of attempts").optional(),
  perTryTimeout: duration().optional(),
  retryOn: str("a comma-separated list of retry conditions")
    .superRefine((s, ctx) => {
      // Istio splits on "," without trimming, so "5xx, reset" is rejected (istio:val validateHTTPRetry).
      for (const token of s.split(",")) {
        if (RETRY_ON_TOKENS.has(token)) continue;
        // A number is accepted when Go's http.StatusText knows it (istio:val validateHTTPRetry).
        if (/^[+-]?\d+$/.test(token) && GO_STATUS_TEXT.has(Number(token))) continue;
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
  // Proto3: an absent attempts is 0, and retryOn "" is unset (istio:val validateHTTPRetry).
  if (r.attempts !== undefined && r.attempts !== 0) return;
  for (const f of ["perTryTimeout", "retryOn", "retryRemoteLocalities"] as const)
    if (r[f] !== undefined && r[f] !== "")
      ctx.addIssue({ code: "custom", path: [f], message: `${f} cannot be set when attempts is 0 or absent (retries disabled); set attempts` });
});

/** Go's net/http StatusText table: the numeric retryOn values Istio accepts. */
const GO_STATUS_TEXT: ReadonlySet<number> = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425,
  426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

export const Delay = obj({
  fixedDelay: duration().optional(),
  exponentialDelay: duration()
    .superRefine((_, ctx) => ctx.addIssue({ code: "custom", message: "exponentialDelay is not supported by Istio yet; use fixedDelay" }))
    .optional(),
  percentage: FaultPercent.optional(),
  /** Deprecated integer percent, used only when `percentage` is absent. */
  percent: int(-2_147_483_648, 2_147_483_647, "a percentage").optional(),
}).superRefine((d, ctx) => {
  if (d.fixedDelay !== undefined && d.exponentialDelay !== undefined)
    ctx.addIssue({ code: "custom", path: ["exponentialDelay"], message: "a delay takes fixedDelay or exponentialDelay, not both" });
});

/** grpc.SupportedGRPCStatus (istio:val validateGRPCStatus): the status names, upper case. */
export const GRPC_STATUS_NAMES: ReadonlySet<string> = new Set([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
  "UNAUTHENTICATED",
]);

export const Abort = obj({
  httpStatus: httpStatus().optional(),
  grpcStatus: str("a gRPC status name such as UNAVAILABLE")
    .superRefine((v, ctx) => {
      if (!GRPC_STATUS_NAMES.has(v))
        ctx.addIssue({ code: "custom", message: `gRPC status ${JSON.stringify(v)} is not supported: expected a name such as "UNAVAILABLE" or "NOT_FOUND" (grpc/doc/statuscodes.md)` });
    })
    .optional(),
  http2Error: str()
    .superRefine((_, ctx) => ctx.addIssue({ code: "custom", message: "HTTP/2 abort fault injection is not supported by Istio yet; use httpStatus" }))
    .optional(),
  percentage: FaultPercent.optional(),
  /**
   * Deprecated integer percent, used only when `percentage` is absent. Current Istio dropped it
   * from Abort, but its older fault-injection task (`abort: {httpStatus: 500, percent: 100}`) is
   * still widely copied; we accept it like Delay's.
   */
  percent: int(0, 100, "a percentage").optional(),
}).superRefine((a, ctx) => {
  const set = (["httpStatus", "grpcStatus", "http2Error"] as const).filter((k) => a[k] !== undefined);
  if (set.length > 1) ctx.addIssue({ code: "custom", path: [set[1]!], message: `an abort takes one of httpStatus, grpcStatus, http2Error; found ${set.join(" and ")}` });
  // No error type: Istio warns ("abort configured, but error type not set"); edge-notes.ts says so.
});

export const HTTPFaultInjection = obj({ delay: Delay.optional(), abort: Abort.optional() }).superRefine((f, ctx) => {
  if (f.delay === undefined && f.abort === undefined) ctx.addIssue({ code: "custom", message: "a fault needs a delay, an abort, or both" });
});

export const HTTPMirrorPolicy = obj({ destination: Destination, percentage: Percent.optional() });

// istio:val supportedMethods (Go's net/http method names); no "*".
const CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"] as const;
const headerOrStar = () =>
  str("a header name or *").superRefine((h, ctx) => {
    if (h !== "*" && !ISTIO_HEADER_NAME.test(h))
      ctx.addIssue({ code: "custom", message: `expected a header name (an RFC 7230 token) or "*", got ${describe(h)}` });
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
  /** Deprecated (Istio warns); the CRD's spelling, and the proto name some copies use. */
  mirrorPercent: int(0, 100, "a percentage").optional(),
  mirror_percent: int(0, 100, "a percentage").optional(),
  mirrors: z.array(HTTPMirrorPolicy).optional(),
  corsPolicy: CorsPolicy.optional(),
  headers: Headers.optional(),
  /** Removed from Istio's API (upgrades need no setting); Istio's own websockets sample still has it. */
  websocketUpgrade: bool().optional(),
});

export const HTTPRoute = HTTPRouteBase.superRefine(checkHTTPRoute);

/**
 * istio:val validateHTTPRouteConflict + validateHTTPRoute. A rule with `delegate` (a root rule) must
 * not also route or redirect; otherwise redirect excludes route/fault/rewrite/directResponse,
 * directResponse excludes route/fault/rewrite, and without either a non-empty route is required.
 * Istio does not check rule or match names for duplicates.
 */
function checkHTTPRoute(r: z.infer<typeof HTTPRouteBase>, ctx: z.RefinementCtx) {
  const add = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
  if (r.delegate !== undefined) {
    if (r.redirect !== undefined) add(["redirect"], "a rule with delegate must not specify redirect");
    if (r.route !== undefined) add(["route"], "a rule with delegate must not specify route");
    if (r.directResponse !== undefined)
      ctx.addIssue({ code: "custom", path: ["directResponse"], params: EDGE, message: "a rule with delegate and directResponse has two actions; the edge cannot tell which Istio would serve: keep one" });
  } else if (r.redirect !== undefined) {
    if (r.route?.length) add(["route"], "a rule cannot contain both route and redirect");
    if (r.fault !== undefined) add(["fault"], "a rule cannot contain both fault and redirect");
    if (r.rewrite !== undefined) add(["rewrite"], "a rule cannot contain both rewrite and redirect");
    if (r.directResponse !== undefined) add(["directResponse"], "a rule cannot contain both directResponse and redirect");
  } else if (r.directResponse !== undefined) {
    if (r.route?.length) add(["route"], "a rule cannot contain both route and directResponse");
    if (r.fault !== undefined) add(["fault"], "a rule cannot contain both fault and directResponse");
    if (r.rewrite !== undefined) add(["rewrite"], "a rule cannot contain both rewrite and directResponse");
  } else if (!r.route?.length) add(r.route ? ["route"] : [], "an http rule needs route (at least one destination), redirect, directResponse or delegate");
  if (r.mirror !== undefined && r.mirrors?.length) add(["mirrors"], "use mirror or mirrors, not both");
  if (r.mirrorPercent !== undefined && r.mirror_percent !== undefined) add(["mirror_percent"], "use mirrorPercent or mirror_percent, not both");
  if (r.route && r.route.length > 1) {
    // Istio ≥ 1.15: weights are relative; with several destinations the total must be > 0.
    const total = r.route.reduce((s, d) => s + (d.weight ?? 0), 0);
    if (total === 0) add(["route"], `the weights of ${r.route.length} destinations add up to 0; give at least one a positive weight`);
  }
  // istio:val validateAuthorityRewrite: the authority is rewritten in one place only.
  const authoritySets = [
    ...(r.rewrite?.authority ? [["rewrite", "authority"]] : []),
    ...Object.keys(r.headers?.request?.set ?? {}).filter(isAuthority).map((k) => ["headers", "request", "set", k]),
    ...Object.keys(r.headers?.request?.add ?? {}).filter(isAuthority).map((k) => ["headers", "request", "add", k]),
  ];
  if (authoritySets.length > 1) add(authoritySets[1]!, "the authority is set more than once (rewrite.authority and an :authority/host header): keep one");
}

const isAuthority = (h: string) => h.toLowerCase() === ":authority" || h.toLowerCase() === "host";

/**
 * istio:host Name.Matches, used for duplicate VirtualService hosts: case-sensitive; a wildcard
 * matches every name ending with its suffix ("*" matches everything).
 */
export function hostsOverlap(a: string, b: string): boolean {
  const wa = a.startsWith("*"), wb = b.startsWith("*");
  if (wa && wb) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (wa) return b.endsWith(a.slice(1));
  if (wb) return a.endsWith(b.slice(1));
  return a === b;
}

/** L4 routes: Istio validates them; the edge cannot serve them (edge-notes.ts). */
const RouteDestination = obj({ destination: Destination, weight: int(0, 2_147_483_647, "a non-negative integer weight").optional() });
const routeDestinations = z.array(RouteDestination).superRefine((list, ctx) => {
  if (list.length > 1 && list.reduce((s, d) => s + (d.weight ?? 0), 0) === 0)
    ctx.addIssue({ code: "custom", message: `the weights of ${list.length} destinations add up to 0` });
});
const subnet = () =>
  str("an IP address or CIDR").superRefine((v, ctx) => {
    const [ip, bits, extra] = v.split("/");
    const ok = extra === undefined && isIpAddress(ip!) && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (ip!.includes(":") ? 128 : 32)));
    if (!ok) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a valid IP address or CIDR block` });
  });
const L4MatchAttributes = obj({
  destinationSubnets: z.array(subnet()).optional(),
  port: port().optional(),
  sourceSubnet: str().optional(),
  sourceLabels: labelMap().optional(),
  gateways: z.array(gatewayRef()).optional(),
  sourceNamespace: str().optional(),
});
const TLSMatchAttributes = obj({
  sniHosts: z.array(str("an SNI host")),
  destinationSubnets: z.array(subnet()).optional(),
  port: port().optional(),
  sourceLabels: labelMap().optional(),
  gateways: z.array(gatewayRef()).optional(),
  sourceNamespace: str().optional(),
});
export const TCPRoute = obj({ match: z.array(L4MatchAttributes).optional(), route: routeDestinations.optional() }).superRefine((t, ctx) => {
  if (!t.route?.length) ctx.addIssue({ code: "custom", path: ["route"], message: "a tcp route needs route (at least one destination)" });
});
export const TLSRoute = obj({ match: z.array(TLSMatchAttributes).optional(), route: routeDestinations.optional() }).superRefine((t, ctx) => {
  if (!t.match?.length) ctx.addIssue({ code: "custom", path: ["match"], message: "a tls route needs at least one match" });
  t.match?.forEach((m, i) => {
    if (m.sniHosts.length === 0) ctx.addIssue({ code: "custom", path: ["match", i, "sniHosts"], message: "a tls match needs at least one SNI host" });
  });
  if (!t.route?.length) ctx.addIssue({ code: "custom", path: ["route"], message: "a tls route needs route (at least one destination)" });
});

const VirtualServiceSpecBase = obj({
  hosts: z.array(str("a host")).optional(),
  gateways: z.array(gatewayRef()).optional(),
  http: z.array(HTTPRoute).optional(),
  tcp: z.array(TCPRoute).optional(),
  tls: z.array(TLSRoute).optional(),
  exportTo: exportTo(),
});

/** istio:val ValidateVirtualService (the per-object part; delegation across objects is references.ts). */
export const VirtualServiceSpec = VirtualServiceSpecBase.superRefine((vs, ctx) => {
  const add = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
  const hosts = vs.hosts ?? [];
  const gateways = vs.gateways ?? [];
  if (hosts.length === 0) {
    // No hosts: a delegate VirtualService.
    if (gateways.length) add(["gateways"], "a delegate VirtualService (no hosts) must not specify gateways");
    if (vs.tls?.length) add(["tls"], "a delegate VirtualService (no hosts) must not specify tls routes");
    if (vs.tcp?.length) add(["tcp"], "a delegate VirtualService (no hosts) must not specify tcp routes");
    vs.http?.forEach((r, i) => {
      if (r.delegate) add(["http", i, "delegate"], "a delegate VirtualService cannot delegate again");
    });
  }
  const appliesToGateway = gateways.length > 0 && !gateways.includes("mesh");
  const sni = vs.tls?.some((t) => t.match?.some((m) => m.sniHosts.length > 0)) ?? false;
  // istio:agent ValidateWildcardDomainForVirtualServiceBoundToGateway: with SNI routes on a gateway,
  // Istio's auto-generated `outbound_.<port>_._.<host>` names are hosts too.
  const hostProblemOf = (h: string, sniHost: boolean) => (appliesToGateway && sniHost && h.startsWith("outbound_") ? outboundSniProblem(h) : wildcardDomainProblem(h));
  let allValid = true;
  hosts.forEach((h, i) => {
    const p = hostProblemOf(h, sni);
    if (p && !isIpAddress(h)) {
      add(["hosts", i], p);
      allValid = false;
    } else if (!p && h === "*" && !appliesToGateway) {
      add(["hosts", i], `host "*" is only allowed when gateways lists gateways (and not mesh)`);
      allValid = false;
    }
  });
  if (allValid)
    for (let i = 0; i < hosts.length; i++)
      for (let j = i + 1; j < hosts.length; j++)
        if (hostsOverlap(hosts[i]!, hosts[j]!)) add(["hosts", j], `duplicate hosts in the VirtualService: ${JSON.stringify(hosts[i])} and ${JSON.stringify(hosts[j])}`);
  if (!vs.http?.length && !vs.tcp?.length && !vs.tls?.length) add([], "a VirtualService needs http, tcp or tls routes");
  if (!appliesToGateway)
    vs.http?.forEach((r, i) =>
      r.match?.forEach((m, j) => {
        for (const k of ["headers", "withoutHeaders"] as const)
          for (const name of Object.keys(m[k] ?? {}))
            if (name.startsWith("@request.auth.claims"))
              add(["http", i, "match", j, k, name], "JWT claim based routing is only supported for gateways (this VirtualService has no gateways or includes mesh)");
      }),
    );
  vs.tls?.forEach((t, i) =>
    t.match?.forEach((m, j) =>
      m.sniHosts.forEach((sni, k) => {
        const p = hostProblemOf(sni, true);
        if (p) {
          if (!isIpAddress(sni)) add(["tls", i, "match", j, "sniHosts", k], p);
          return;
        }
        if (!hosts.some((h) => sniSubsetOf(sni, h)))
          add(["tls", i, "match", j, "sniHosts", k], `SNI host ${JSON.stringify(sni)} is not a compatible subset of any of the VirtualService hosts`);
      }),
    ),
  );
});

/** istio:agent parseAutoGeneratedSNIDomain: `outbound_.<port>_._.<hostname>`. */
function outboundSniProblem(h: string): string | null {
  const parts = h.split("_");
  if (parts.length < 4) return `domain name ${JSON.stringify(h)} is invalid: expected outbound_.<PORT>_._.<HOSTNAME>`;
  const port = parts[1]!.replace(/^\.+|\.+$/g, "");
  const hostname = parts[3]!.replace(/^\.+|\.+$/g, "");
  if (parts[0] !== "outbound" || !/[0-9]/.test(port) || !/[a-zA-Z]/.test(hostname))
    return `domain name ${JSON.stringify(h)} is invalid: expected outbound_.<PORT>_._.<HOSTNAME>`;
  return null;
}

/** istio:host Name.SubsetOf. */
function sniSubsetOf(a: string, b: string): boolean {
  if (b.startsWith("*")) return a.startsWith("*") ? a.slice(1).endsWith(b.slice(1)) : a.endsWith(b.slice(1));
  return !a.startsWith("*") && a === b;
}

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
export type TCPRoute = z.infer<typeof TCPRoute>;
export type TLSRoute = z.infer<typeof TLSRoute>;
export type VirtualServiceSpec = z.infer<typeof VirtualServiceSpec>;
export type VirtualService = z.infer<typeof VirtualService>;
