/**
 * The compiler's view of its input: the validated Istio objects produced by src/config.
 * One seam, so the rest of src/compile imports config types from a single place.
 */
export type {
  Located,
  ConfigObjects,
  Issue,
  StringMatch as IstioStringMatch,
  Headers as IstioHeaders,
  HeaderOperations as IstioHeaderOperations,
  VirtualService,
  HTTPRoute,
  HTTPMatchRequest,
  HTTPRouteDestination,
  Destination as IstioDestination,
  HTTPRetry,
  HTTPFaultInjection,
  CorsPolicy as IstioCorsPolicy,
  HTTPRewrite,
  HTTPRedirect,
  Gateway,
  Server,
  DestinationRule,
  TrafficPolicy as IstioTrafficPolicy,
  PortTrafficPolicy,
  Subset,
  LoadBalancerSettings,
  OutlierDetection as IstioOutlierDetection,
  ClientTLSSettings,
  ServiceEntry,
  ServicePort,
  WorkloadEntry,
} from "../config/index.ts";

/** `namespace/name` of an object, the identity Istio uses in gateway and delegate references. */
export function objectKey(o: { metadata: { name: string; namespace?: string } }): string {
  return `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}
