/**
 * JSON Schema for editors (yaml-language-server: `# yaml-language-server: $schema=…`), generated
 * from the zod schemas so it can never drift from what loadConfig accepts. Cross-field rules
 * (refinements) are not representable and are checked only by loadConfig.
 */
import { z } from "zod";
import { DestinationRule, Gateway, ServiceEntry, VirtualService } from "./schema/index.ts";
import { GatewayApiGateway, HTTPRoute, Namespace, ReferenceGrant } from "./gateway-api/index.ts";
import { Canary } from "./canary.ts";

export function configJsonSchema(): object {
  // Istio kinds first, then the Gateway API kinds (GATEWAY-API-SEMANTICS §1.1), v1 Namespace, and
  // our own Canary (edge-gateway.dev/v1alpha1, issue #14), which lives in the same routes/ files.
  const any = z.union([Gateway, VirtualService, DestinationRule, ServiceEntry, GatewayApiGateway, HTTPRoute, ReferenceGrant, Namespace, Canary]);
  const schema = z.toJSONSchema(any, { target: "draft-07", unrepresentable: "any", io: "input" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://edge-gateway.dev/schemas/istio-networking.json",
    title: "Objects served by the edge gateway: Istio Gateway, VirtualService, DestinationRule, ServiceEntry; Gateway API Gateway, HTTPRoute, ReferenceGrant; v1 Namespace; edge-gateway.dev Canary",
  };
}
