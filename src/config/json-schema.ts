/**
 * JSON Schema for editors (yaml-language-server: `# yaml-language-server: $schema=…`), generated
 * from the zod schemas so it can never drift from what loadConfig accepts. Cross-field rules
 * (refinements) are not representable and are checked only by loadConfig.
 */
import { z } from "zod";
import { DestinationRule, Gateway, ServiceEntry, VirtualService } from "./schema/index.ts";

export function configJsonSchema(): object {
  const any = z.union([Gateway, VirtualService, DestinationRule, ServiceEntry]);
  const schema = z.toJSONSchema(any, { target: "draft-07", unrepresentable: "any", io: "input" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://edge-gateway.dev/schemas/istio-networking.json",
    title: "Istio networking objects served by the edge gateway (Gateway, VirtualService, DestinationRule, ServiceEntry)",
  };
}
