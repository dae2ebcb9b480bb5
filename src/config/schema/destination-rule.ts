/**
 * DestinationRule (networking.istio.io) — ISTIO-SEMANTICS §1.3. The schema follows Istio's
 * validation (istio:val ValidateDestinationRule, validateTrafficPolicy, validateConnectionPool,
 * validateLoadBalancer, validateOutlierDetection, agent ValidateTLS): what Istio accepts loads.
 *
 * Edge decisions (DESIGN.md §9, reported by edge-notes.ts):
 * - loadBalancer, outlierDetection, tls.mode SIMPLE/sni, subsets, portLevelSettings: honoured.
 * - connection tuning that fetch() owns (`tcp.*`, keepalive, idle timeouts, h2 upgrade, per-connection
 *   limits), client certificates, `credentialName`, ISTIO_MUTUAL, `workloadSelector`,
 *   `proxyProtocol`, localities: ignored at the edge, with a warning naming each.
 * - `tunnel` (traffic would go through a proxy) and `simple: PASSTHROUGH` (no original
 *   destination): edge errors.
 */
import { z } from "zod";
import {
  apiVersion, bool, duration, enumOf, exportTo, host, int, ISTIO_LABEL, labelMap, Metadata, obj, port, str, uint32, workloadSelector,
} from "./common.ts";
import { describe, durationProblem, parseDurationNs } from "../duration.ts";

const int32 = (what = "a non-negative integer") => int(0, 2_147_483_647, what);
const negOk = (what: string) =>
  z.number({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }).superRefine((v, ctx) => {
    if (!Number.isInteger(v)) ctx.addIssue({ code: "custom", message: `expected ${what}, got ${v}` });
    else if (v < 0) ctx.addIssue({ code: "custom", message: `${what} must be non-negative, got ${v}` });
  });

const anyDuration = () =>
  z.string({ error: (iss) => `expected a duration like "15s", got ${describe(iss.input)}` }).superRefine((v, ctx) => {
    if (parseDurationNs(v) === null) ctx.addIssue({ code: "custom", message: `expected a duration like "15s", got ${JSON.stringify(v)}` });
  });

export const TCPSettings = obj({
  maxConnections: negOk("maxConnections").optional(),
  connectTimeout: duration().optional(),
  tcpKeepalive: obj({ probes: uint32().optional(), time: duration().optional(), interval: duration().optional() }).optional(),
  maxConnectionDuration: duration().optional(),
  // istio:val validateConnectionPool skips the check when the value is under 1 ms (0s disables the timeout).
  idleTimeout: z
    .string({ error: (iss) => durationProblem(iss.input) ?? "expected a duration" })
    .superRefine((v, ctx) => {
      const ns = parseDurationNs(v);
      if (ns !== null && ns >= 0n && ns < 1_000_000n) return;
      const problem = durationProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});

export const HTTPSettings = obj({
  http1MaxPendingRequests: negOk("http1MaxPendingRequests").optional(),
  http2MaxRequests: negOk("http2MaxRequests").optional(),
  maxRetries: negOk("maxRetries").optional(),
  maxRequestsPerConnection: negOk("maxRequestsPerConnection").optional(),
  idleTimeout: duration().optional(),
  h2UpgradePolicy: enumOf(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]).optional(),
  useClientProtocol: bool().optional(),
  maxConcurrentStreams: negOk("maxConcurrentStreams").optional(),
  // HTTP/2 PING keepalive (testdata/crds/destinationrule-valid.yaml bookinfo-ratings-http2-ping):
  // any protobuf Duration; istio:val validateConnectionPool does not check it.
  http2KeepAlive: obj({ interval: anyDuration().optional(), timeout: anyDuration().optional() }).optional(),
}).superRefine((h, ctx) => {
  if (h.h2UpgradePolicy === "UPGRADE" && h.useClientProtocol)
    ctx.addIssue({ code: "custom", path: ["useClientProtocol"], message: "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE" });
});

export const ConnectionPoolSettings = obj({ tcp: TCPSettings.optional(), http: HTTPSettings.optional() }).superRefine((c, ctx) => {
  if (c.tcp === undefined && c.http === undefined) ctx.addIssue({ code: "custom", message: "connectionPool must have at least one field (tcp or http)" });
});

export const HTTPCookie = obj({
  name: str("a cookie name").superRefine((n, ctx) => {
    if (n === "") ctx.addIssue({ code: "custom", message: "name required for httpCookie" });
    // An edge rule: the name becomes a Set-Cookie name, which must be an RFC 6265 token.
    else if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n)) ctx.addIssue({ code: "custom", params: { kind: "edge" }, message: "cookie name must be an RFC 6265 token: the edge sets it with Set-Cookie" });
  }),
  // RFC 6265 §4.1.1 path-value (any CHAR except CTLs or ";"): an edge rule, it is written into Set-Cookie.
  path: str("a cookie path")
    .superRefine((v, ctx) => {
      if (!/^[\x20-\x3a\x3c-\x7e]*$/.test(v))
        ctx.addIssue({ code: "custom", params: { kind: "edge" }, message: `cookie path must be printable ASCII without ";" (RFC 6265 path-value; the edge sends it in Set-Cookie), got ${describe(v)}` });
    })
    .optional(),
  ttl: duration({ minMs: 0 }).optional(),
  attributes: z.array(obj({ name: str(), value: str().optional() })).optional(),
});

export const ConsistentHashLB = obj({
  httpHeaderName: str("a header name").optional(),
  httpCookie: HTTPCookie.optional(),
  useSourceIp: bool().optional(),
  httpQueryParameterName: str().optional(),
  ringHash: obj({ minimumRingSize: uint32().optional() }).optional(),
  maglev: obj({ tableSize: uint32().optional() }).optional(),
  minimumRingSize: uint32().optional(),
}).superRefine((c, ctx) => {
  const keys = (["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"] as const).filter((k) => c[k] !== undefined);
  if (keys.length > 1)
    ctx.addIssue({ code: "custom", path: [keys[1]!], message: `consistentHash takes one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName; found ${keys.join(" and ")}` });
  else if (keys.length === 0)
    ctx.addIssue({ code: "custom", params: { kind: "edge" }, message: "consistentHash without a hash key (httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName) has nothing to hash at the edge: name one, or use simple" });
  if (c.ringHash && c.maglev) ctx.addIssue({ code: "custom", path: ["maglev"], message: "consistentHash takes ringHash or maglev, not both" });
  if (c.minimumRingSize && (c.ringHash || c.maglev))
    ctx.addIssue({ code: "custom", path: ["minimumRingSize"], message: "only one of minimumRingSize or maglev/ringHash can be specified" });
  const t = c.maglev?.tableSize;
  if (c.maglev) {
    if (!t) ctx.addIssue({ code: "custom", path: ["maglev", "tableSize"], message: "tableSize must be set for maglev" });
    else if (t >= 5000011) ctx.addIssue({ code: "custom", path: ["maglev", "tableSize"], message: "tableSize must be less than 5000011 for maglev" });
    else if (!isPrime(t)) ctx.addIssue({ code: "custom", path: ["maglev", "tableSize"], message: "tableSize must be a prime number for maglev" });
  }
});

/** Envoy's primality test, as Istio uses it for maglev table sizes. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

export const LoadBalancerSettings = obj({
  simple: enumOf(["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"])
    .superRefine((s, ctx) => {
      if (s === "PASSTHROUGH")
        ctx.addIssue({ code: "custom", params: { kind: "edge" }, message: "PASSTHROUGH (original destination) cannot be served at the edge: there is no original destination address; use ROUND_ROBIN or LEAST_REQUEST" });
    })
    .optional(),
  consistentHash: ConsistentHashLB.optional(),
  localityLbSetting: obj({
    distribute: z.array(obj({ from: str().optional(), to: z.record(z.string(), uint32()).optional() })).optional(),
    failover: z.array(obj({ from: str().optional(), to: str().optional() })).optional(),
    failoverPriority: z.array(str()).optional(),
    enabled: bool().optional(),
  })
    .superRefine((l, ctx) => localityProblems(l).forEach(([path, message]) => ctx.addIssue({ code: "custom", path, message })))
    .optional(),
  warmupDurationSecs: duration().optional(),
  // istio:val validateLoadBalancer + the CRD test data (testdata/crds/destinationrule-invalid.yaml):
  // duration required, minimumPercent at most 100, aggression at least 1.
  warmup: obj({
    duration: duration(),
    minimumPercent: z.number().superRefine((v, ctx) => {
      if (v > 100 || v < 0) ctx.addIssue({ code: "custom", message: `minimumPercent must be from 0 to 100, got ${v}` });
    }).optional(),
    aggression: z.number().superRefine((v, ctx) => {
      if (v < 1) ctx.addIssue({ code: "custom", message: `aggression must be greater than or equal to 1, got ${v}` });
    }).optional(),
  }).optional(),
}).superRefine((lb, ctx) => {
  if (lb.simple !== undefined && lb.consistentHash !== undefined)
    ctx.addIssue({ code: "custom", path: ["consistentHash"], message: "loadBalancer takes simple or consistentHash, not both" });
});

export const OutlierDetection = obj({
  consecutive5xxErrors: uint32().optional(),
  consecutiveGatewayErrors: uint32().optional(),
  consecutiveErrors: int(-2_147_483_648, 2_147_483_647).optional(),
  consecutiveLocalOriginFailures: uint32().optional(),
  splitExternalLocalOriginErrors: bool().optional(),
  interval: duration().optional(),
  baseEjectionTime: duration().optional(),
  maxEjectionPercent: int(0, 100, "a percentage").optional(),
  minHealthPercent: int(0, 100, "a percentage").optional(),
}).superRefine((o, ctx) => {
  if (o.consecutiveLocalOriginFailures && !o.splitExternalLocalOriginErrors)
    ctx.addIssue({ code: "custom", path: ["consecutiveLocalOriginFailures"], message: "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true" });
});

/** istio:agent ValidateTLS. Certificates are ignored at the edge (edge-notes.ts). */
export const ClientTLSSettings = obj({
  mode: enumOf(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]).optional(),
  sni: str().optional(),
  subjectAltNames: z.array(str()).optional(),
  insecureSkipVerify: bool().optional(),
  clientCertificate: str().optional(),
  privateKey: str().optional(),
  caCertificates: str().optional(),
  credentialName: str().optional(),
  caCrl: str().optional(),
}).superRefine((t, ctx) => {
  const add = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (t.insecureSkipVerify) {
    if (t.mode === "SIMPLE" && (t.caCertificates || t.credentialName || t.subjectAltNames))
      add(["insecureSkipVerify"], "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true");
    if (t.mode === "MUTUAL" && (t.caCertificates || t.subjectAltNames))
      add(["insecureSkipVerify"], "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true");
  }
  if ((t.mode === "SIMPLE" || t.mode === "MUTUAL") && t.credentialName) {
    if (t.clientCertificate || t.caCertificates || t.privateKey || t.caCrl)
      add(["credentialName"], "cannot specify client certificates, CA certificate or CA CRL when credentialName is set");
    return;
  }
  if (t.mode === "MUTUAL") {
    if (!t.clientCertificate) add(["clientCertificate"], "client certificate required for mutual TLS (or set credentialName)");
    if (!t.privateKey) add(["privateKey"], "private key required for mutual TLS (or set credentialName)");
  }
});

const policyFields = {
  loadBalancer: LoadBalancerSettings.optional(),
  connectionPool: ConnectionPoolSettings.optional(),
  outlierDetection: OutlierDetection.optional(),
  tls: ClientTLSSettings.optional(),
};

export const PortTrafficPolicy = obj({ port: obj({ number: port() }).optional(), ...policyFields }).superRefine((p, ctx) => {
  if (p.port === undefined) ctx.addIssue({ code: "custom", message: "a portLevelSettings entry must have a port" });
  if (!p.loadBalancer && !p.connectionPool && !p.outlierDetection && !p.tls)
    ctx.addIssue({ code: "custom", message: "a port traffic policy must have at least one field" });
});

export const TrafficPolicy = obj({
  ...policyFields,
  portLevelSettings: z.array(PortTrafficPolicy).optional(),
  retryBudget: obj({ percent: obj({ value: z.number() }).optional(), minRetryConcurrency: uint32().optional() }).optional(),
  /** Traffic would go through an HTTP CONNECT/POST tunnel: an edge error (edge-notes.ts). */
  tunnel: obj({ protocol: str().optional(), targetHost: str(), targetPort: port() })
    .superRefine((t, ctx) => {
      if (t.protocol && t.protocol !== "CONNECT" && t.protocol !== "POST") ctx.addIssue({ code: "custom", path: ["protocol"], message: 'tunnel protocol must be "CONNECT" or "POST"' });
    })
    .optional(),
  proxyProtocol: obj({ version: z.union([enumOf(["V1", "V2"]), z.number()]).optional() }).optional(),
}).superRefine((t, ctx) => {
  // istio:val validateTrafficPolicy: retryBudget alone does not count.
  if (!t.outlierDetection && !t.connectionPool && !t.loadBalancer && !t.tls && !t.portLevelSettings && !t.tunnel && !t.proxyProtocol)
    ctx.addIssue({ code: "custom", message: "trafficPolicy must have at least one field (loadBalancer, connectionPool, outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol)" });
  if (t.tunnel && t.proxyProtocol) ctx.addIssue({ code: "custom", path: ["proxyProtocol"], message: "tunnel and proxyProtocol must not be set together" });
  // Two entries for one port: Istio accepts it (the last wins in Envoy); the edge cannot say which was meant.
  const seen = new Set<number>();
  t.portLevelSettings?.forEach((p, i) => {
    if (!p.port) return;
    if (seen.has(p.port.number))
      ctx.addIssue({ code: "custom", params: { kind: "edge" }, path: ["portLevelSettings", i, "port", "number"], message: `port ${p.port.number} has two portLevelSettings: keep one` });
    seen.add(p.port.number);
  });
});

export const Subset = obj({
  name: str("a subset name").superRefine((v, ctx) => {
    if (!ISTIO_LABEL.test(v)) ctx.addIssue({ code: "custom", message: `subset name must be a DNS-1123 label (letters, digits and "-", at most 63 characters), got ${JSON.stringify(v)}` });
  }),
  labels: labelMap().optional(),
  trafficPolicy: TrafficPolicy.optional(),
});

export const DestinationRuleSpec = obj({
  host: host({ wildcard: "partial", star: true }),
  trafficPolicy: TrafficPolicy.optional(),
  subsets: z.array(Subset).optional(),
  exportTo: exportTo(),
  workloadSelector: workloadSelector().optional(),
}).superRefine((dr, ctx) => {
  const seen = new Set<string>();
  dr.subsets?.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["subsets", i, "name"], message: `duplicate subset name ${JSON.stringify(s.name)}` });
    seen.add(s.name);
  });
});

export const DestinationRule = obj({
  apiVersion: apiVersion(),
  kind: z.literal("DestinationRule"),
  metadata: Metadata,
  spec: DestinationRuleSpec,
});

export type TCPSettings = z.infer<typeof TCPSettings>;
export type HTTPSettings = z.infer<typeof HTTPSettings>;
export type ConnectionPoolSettings = z.infer<typeof ConnectionPoolSettings>;
export type HTTPCookie = z.infer<typeof HTTPCookie>;
export type ConsistentHashLB = z.infer<typeof ConsistentHashLB>;
export type LoadBalancerSettings = z.infer<typeof LoadBalancerSettings>;
export type OutlierDetection = z.infer<typeof OutlierDetection>;
export type ClientTLSSettings = z.infer<typeof ClientTLSSettings>;
export type PortTrafficPolicy = z.infer<typeof PortTrafficPolicy>;
export type TrafficPolicy = z.infer<typeof TrafficPolicy>;
export type Subset = z.infer<typeof Subset>;
export type DestinationRuleSpec = z.infer<typeof DestinationRuleSpec>;
export type DestinationRule = z.infer<typeof DestinationRule>;

type LocalitySetting = {
  distribute?: Array<{ from?: string; to?: Record<string, number> }>;
  failover?: Array<{ from?: string; to?: string }>;
  failoverPriority?: string[];
};
const TOPOLOGY_LABELS = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

/** istio:agent ValidateLocalityLbSetting (agent/validation_test.go TestValidateLocalityLbSetting). */
export function localityProblems(l: LocalitySetting): Array<[Array<string | number>, string]> {
  const out: Array<[Array<string | number>, string]> = [];
  if (l.distribute?.length && l.failover?.length) return [[[], "can not simultaneously specify 'distribute' and 'failover'"]];
  if (l.failover?.length) {
    const label = l.failoverPriority?.find((p) => TOPOLOGY_LABELS.includes(p));
    if (label) return [[["failoverPriority"], `can not simultaneously set 'failover' and topology label '${label}' in 'failoverPriority'`]];
  }
  const sources: string[] = [];
  for (const [i, d] of (l.distribute ?? []).entries()) {
    sources.push(d.from ?? "");
    const weights = Object.entries(d.to ?? {});
    if (weights.some(([, w]) => w <= 0 || w > 100)) return [...out, [["distribute", i, "to"], "locality weight must be in range [1, 100]"]];
    const total = weights.reduce((a, [, w]) => a + w, 0);
    if (total !== 100) return [...out, [["distribute", i, "to"], `total locality weight ${total} != 100`]];
    const p = localitiesProblem(weights.map(([k]) => k));
    if (p) out.push([["distribute", i, "to"], p]);
  }
  const p = localitiesProblem(sources);
  if (p) out.push([["distribute"], p]);
  l.failover?.forEach((f, i) => {
    const from = f.from ?? "";
    const to = f.to ?? "";
    if (from === to) out.push([["failover", i], "locality lb failover settings must specify different regions"]);
    if (from.includes("/") || to.includes("/")) out.push([["failover", i], "locality lb failover only specify region"]);
    if (from.includes("*") || to.includes("*")) out.push([["failover", i], "locality lb failover region should not contain '*' wildcard"]);
  });
  return out;
}

/** istio:agent validateLocalities: at most one trailing "*", no empty part, no overlap between entries. */
function localitiesProblem(localities: string[]): string | null {
  const seen: string[][] = [];
  for (const loc of localities) {
    const stars = loc.split("*").length - 1;
    if (stars > 1 || (stars === 1 && !loc.endsWith("*"))) return `locality ${loc} wildcard '*' number can not exceed 1 and must be in the end`;
    const parts = loc.split("/", 3);
    if (loc === "" || parts.some((x) => x === "")) return `locality ${loc} must not contain empty region/zone/subzone info`;
    // Two localities overlap when one is a prefix of the other, "*" (or a missing level) matching all.
    const covers = (a: string[], b: string[]) => a.every((x, i) => x === "*" || (i < b.length && x === b[i]));
    for (const prev of seen) if (covers(prev, parts) || covers(parts, prev)) return `locality ${loc} overlap with previous specified ones`;
    seen.push(parts);
  }
  return null;
}
