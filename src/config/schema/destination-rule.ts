/**
 * DestinationRule (networking.istio.io) — ISTIO-SEMANTICS §1.3.
 *
 * Edge decisions (Edge column of §1.3):
 * - loadBalancer, outlierDetection, tls.mode/sni, subsets, portLevelSettings: accepted and honoured.
 * - connectionPool `http.http1MaxPendingRequests`, `http.http2MaxRequests`, `http.maxRetries`,
 *   `tcp.connectTimeout`: accepted so Istio's circuit-breaking examples load, but a Worker isolate
 *   sees only its own requests and `fetch()` has no connect timeout, so they are NOT enforced
 *   (load.ts emits a warning naming each one).
 * - connection tuning that `fetch()` owns (`tcp.maxConnections`, keepalive, idle timeouts, h2
 *   upgrade…), certificates, `workloadSelector`, `tunnel`, `proxyProtocol`: rejected with a reason.
 */
import { z } from "zod";
import {
  apiVersion, bool, dnsLabel, duration, enumOf, exportTo, host, int, Metadata, obj, port, rejected, str, stringMap, uint32,
} from "./common.ts";

const fetchOwns = "Workers' fetch() manages upstream connections itself";

export const TCPSettings = obj({
  maxConnections: rejected("maxConnections", `${fetchOwns}; bound concurrency with http.http2MaxRequests instead (not enforced per isolate either)`),
  connectTimeout: duration().optional(),
  tcpKeepalive: rejected("tcpKeepalive", fetchOwns),
  maxConnectionDuration: rejected("maxConnectionDuration", fetchOwns),
  idleTimeout: rejected("idleTimeout", fetchOwns),
});

export const HTTPSettings = obj({
  http1MaxPendingRequests: int(0, 2_147_483_647, "a request count").optional(),
  http2MaxRequests: int(0, 2_147_483_647, "a request count").optional(),
  maxRetries: int(0, 2_147_483_647, "a retry count").optional(),
  maxRequestsPerConnection: rejected("maxRequestsPerConnection", fetchOwns),
  idleTimeout: rejected("idleTimeout", fetchOwns),
  h2UpgradePolicy: rejected("h2UpgradePolicy", fetchOwns),
  useClientProtocol: rejected("useClientProtocol", fetchOwns),
  maxConcurrentStreams: rejected("maxConcurrentStreams", fetchOwns),
});

export const ConnectionPoolSettings = obj({ tcp: TCPSettings.optional(), http: HTTPSettings.optional() });

export const HTTPCookie = obj({
  name: str("a cookie name").regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: "cookie name must be an RFC 6265 token" }),
  path: str().optional(),
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
  if (keys.length !== 1)
    ctx.addIssue({ code: "custom", message: `consistentHash takes exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName; found ${keys.length ? keys.join(" and ") : "none"}` });
  if (c.ringHash && c.maglev) ctx.addIssue({ code: "custom", path: ["maglev"], message: "consistentHash takes ringHash or maglev, not both" });
});

export const LoadBalancerSettings = obj({
  simple: enumOf(["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"])
    .superRefine((s, ctx) => {
      if (s === "PASSTHROUGH") ctx.addIssue({ code: "custom", message: "PASSTHROUGH (original destination) does not exist at the edge: there is no original destination address" });
    })
    .optional(),
  consistentHash: ConsistentHashLB.optional(),
  localityLbSetting: rejected("localityLbSetting", "locality-aware balancing needs mesh localities; the edge has none"),
  warmupDurationSecs: duration().optional(),
  warmup: obj({ duration: duration(), minimumPercent: z.number().optional(), aggression: z.number().optional() }).optional(),
}).superRefine((lb, ctx) => {
  if (lb.simple !== undefined && lb.consistentHash !== undefined)
    ctx.addIssue({ code: "custom", path: ["consistentHash"], message: "loadBalancer takes simple or consistentHash, not both" });
});

export const OutlierDetection = obj({
  consecutive5xxErrors: uint32().optional(),
  consecutiveGatewayErrors: uint32().optional(),
  consecutiveErrors: int(0, 2_147_483_647).optional(),
  consecutiveLocalOriginFailures: uint32().optional(),
  splitExternalLocalOriginErrors: bool().optional(),
  interval: duration().optional(),
  baseEjectionTime: duration().optional(),
  maxEjectionPercent: int(0, 100, "a percentage").optional(),
  minHealthPercent: int(0, 100, "a percentage").optional(),
}).superRefine((o, ctx) => {
  if (o.consecutiveLocalOriginFailures !== undefined && !o.splitExternalLocalOriginErrors)
    ctx.addIssue({ code: "custom", path: ["consecutiveLocalOriginFailures"], message: "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true" });
});

const certs = "upstream client certificates are bound with wrangler's mtls_certificates, not file paths or Kubernetes secrets";

export const ClientTLSSettings = obj({
  mode: enumOf(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"])
    .superRefine((m, ctx) => {
      if (m === "ISTIO_MUTUAL") ctx.addIssue({ code: "custom", message: "ISTIO_MUTUAL uses mesh-issued certificates; origins outside the mesh need SIMPLE (or MUTUAL)" });
    })
    .optional(),
  sni: str().optional(),
  subjectAltNames: z.array(str()).optional(),
  insecureSkipVerify: bool().optional(),
  clientCertificate: rejected("clientCertificate", certs),
  privateKey: rejected("privateKey", certs),
  caCertificates: rejected("caCertificates", certs),
  credentialName: rejected("credentialName", certs),
  caCrl: rejected("caCrl", certs),
});

export const PortTrafficPolicy = obj({
  port: obj({ number: port() }),
  loadBalancer: LoadBalancerSettings.optional(),
  connectionPool: ConnectionPoolSettings.optional(),
  outlierDetection: OutlierDetection.optional(),
  tls: ClientTLSSettings.optional(),
});

export const TrafficPolicy = obj({
  loadBalancer: LoadBalancerSettings.optional(),
  connectionPool: ConnectionPoolSettings.optional(),
  outlierDetection: OutlierDetection.optional(),
  tls: ClientTLSSettings.optional(),
  portLevelSettings: z.array(PortTrafficPolicy).optional(),
  retryBudget: obj({ percent: obj({ value: z.number() }).optional(), minRetryConcurrency: uint32().optional() }).optional(),
  tunnel: rejected("tunnel", "HTTP CONNECT tunnelling to an upstream is not available from a Worker"),
  proxyProtocol: rejected("proxyProtocol", "the PROXY protocol is L4; fetch() cannot send it"),
}).superRefine((t, ctx) => {
  if (Object.values(t).every((v) => v === undefined)) ctx.addIssue({ code: "custom", message: "trafficPolicy must contain at least one field" });
  const seen = new Set<number>();
  t.portLevelSettings?.forEach((p, i) => {
    if (seen.has(p.port.number)) ctx.addIssue({ code: "custom", path: ["portLevelSettings", i, "port", "number"], message: `port ${p.port.number} has two portLevelSettings` });
    seen.add(p.port.number);
  });
});

export const Subset = obj({
  name: dnsLabel("subset name"),
  labels: stringMap().optional(),
  trafficPolicy: TrafficPolicy.optional(),
});

export const DestinationRuleSpec = obj({
  host: host({ wildcard: "suffix", star: false }),
  trafficPolicy: TrafficPolicy.optional(),
  subsets: z.array(Subset).optional(),
  exportTo: exportTo(),
  workloadSelector: rejected("workloadSelector", "it selects sidecar workloads; the edge is not a workload"),
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
