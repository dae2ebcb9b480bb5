/**
 * Config model: text → validated Istio objects + located issues (DESIGN.md §2, §3).
 * The zod schemas in ./schema are the only definition of the config types.
 */
export type { SourceFile, Severity, Issue, FindingKind } from "./issue.ts";
export { findingKind, formatIssue, formatPath, sortIssues, sourceAccepts, tally } from "./issue.ts";
export type { Located } from "./issue.ts";
export type { ConfigObjects } from "./objects.ts";
export { loadConfig } from "./load.ts";
export type { LoadOptions, Offload } from "./load.ts";
export { parseDuration } from "./duration.ts";
export { checkRegex } from "./regex.ts";
export type {
  StringMatch, Percent, Metadata,
  Headers, HeaderOperations,
  VirtualService, VirtualServiceSpec, HTTPRoute, HTTPMatchRequest, HTTPRouteDestination, Destination, PortSelector,
  HTTPRedirect, HTTPDirectResponse, HTTPBody, Delegate, HTTPRewrite, RegexRewrite, HTTPRetry, HTTPFaultInjection,
  HTTPMirrorPolicy, CorsPolicy,
  DestinationRule, DestinationRuleSpec, TrafficPolicy, PortTrafficPolicy, LoadBalancerSettings, ConsistentHashLB,
  HTTPCookie, OutlierDetection, ConnectionPoolSettings, TCPSettings, HTTPSettings, ClientTLSSettings, Subset,
  ServiceEntry, ServiceEntrySpec, ServicePort, WorkloadEntry,
  Gateway, GatewaySpec, Server, GatewayPort, ServerTLSSettings,
} from "./schema/index.ts";
export { configJsonSchema } from "./json-schema.ts";
export type { OriginsFile, OriginEntry, OriginEndpoint } from "./origins.ts";
export { isOriginsFile, originsJsonSchema } from "./origins.ts";
export { qualifyHost, isClusterName, serviceOf, knownNamespaces, CLUSTER_DOMAIN, DEFAULT_NAMESPACE } from "./k8s-names.ts";
