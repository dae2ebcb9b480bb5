/**
 * The loaded configuration: every validated object of each kind with its location. loadConfig
 * (load.ts) produces it; references.ts, gateway-api/, compile/ and analyze/ read it.
 */
import type { Located } from "./issue.ts";
import type { OriginsFile } from "./origins.ts";
import type {
  DestinationRule as DestinationRuleT,
  Gateway as GatewayT,
  ServiceEntry as ServiceEntryT,
  VirtualService as VirtualServiceT,
} from "./schema/index.ts";
import type {
  GatewayApiGateway as GatewayApiGatewayT,
  HTTPRoute as HTTPRouteT,
  Namespace as NamespaceT,
  ReferenceGrant as ReferenceGrantT,
} from "./gateway-api/index.ts";

import type { Canary as CanaryT } from "./canary.ts";

export interface ConfigObjects {
  gateways: Located<GatewayT>[];
  virtualServices: Located<VirtualServiceT>[];
  destinationRules: Located<DestinationRuleT>[];
  serviceEntries: Located<ServiceEntryT>[];
  /** Origins files (origins.ts): in-cluster names → origins. Absent = none. */
  origins?: Located<OriginsFile>[];
  /** Gateway API (gateway.networking.k8s.io) Gateways: listeners, GATEWAY-API-SEMANTICS §2. */
  k8sGateways: Located<GatewayApiGatewayT>[];
  httpRoutes: Located<HTTPRouteT>[];
  referenceGrants: Located<ReferenceGrantT>[];
  /** v1 Namespace objects: only their labels matter (allowedRoutes selectors). */
  namespaces: Located<NamespaceT>[];
  /** edge-gateway.dev Canary documents (automated canary analysis, src/rollout). Absent = none. */
  canaries?: Located<CanaryT>[];
}
