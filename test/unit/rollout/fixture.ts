/**
 * A shop with a checkout split between v1 and v2 and a Canary driving it: the source the rollout
 * tests load and compile through the real loader and compiler.
 */
import { formatIssue } from "../../../src/config/index.ts";
import { compileYaml, gatewayYaml, versionedServiceYaml, virtualServiceYaml, yamlFile } from "../../fixtures/istio.ts";

export const BASE = yamlFile(
  gatewayYaml({ name: "public", hosts: ["shop.example.com"] }),
  versionedServiceYaml("checkout", "checkout.internal", { v1: "v1.origin.example.com", v2: "v2.origin.example.com" }, {
    protocol: "HTTPS",
    trafficPolicy: "{ loadBalancer: { consistentHash: { httpCookie: { name: ab_visitor, ttl: 86400s } } } }",
  }),
  virtualServiceYaml(
    `
    - name: checkout
      route:
        - { destination: { host: checkout.internal, subset: v1 }, weight: 100 }
        - { destination: { host: checkout.internal, subset: v2 }, weight: 0 }`,
    { name: "shop", hosts: ["shop.example.com"], gateways: ["public"] },
  ),
);

export const canary = (spec: string) => `apiVersion: edge-gateway.dev/v1alpha1
kind: Canary
metadata: { name: checkout }
spec:
${spec}`;

export const GOOD = `  target: { virtualService: shop, rule: checkout }
  primary: { host: checkout.internal, subset: v1 }
  canary: { host: checkout.internal, subset: v2 }
  analysis:
    interval: 30s
    threshold: 2
    stepWeights: [5, 25, 50]
    minRequests: 20
    successRate: { min: 99, maxDrop: 1 }
    latencyP99: { maxMs: 800 }
`;

export async function build(canaryText: string) {
  const { table, issues } = await compileYaml({ "routes/shop.yaml": BASE, "routes/canary.yaml": canaryText });
  return { errors: issues.filter((i) => i.severity === "error").map(formatIssue), table };
}
