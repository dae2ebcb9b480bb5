/**
 * A shop with a checkout split between v1 and v2 and a Canary driving it: the source the rollout
 * tests load and compile through the real loader and compiler.
 */
import { loadConfig, formatIssue } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";

export const BASE = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["shop.example.com"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: checkout }
spec:
  hosts: [checkout.internal]
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: DNS
  endpoints:
    - { address: v1.origin.example.com, labels: { version: v1 } }
    - { address: v2.origin.example.com, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: checkout }
spec:
  host: checkout.internal
  trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: ab_visitor, ttl: 86400s } } } }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop }
spec:
  hosts: ["shop.example.com"]
  gateways: [public]
  http:
    - name: checkout
      route:
        - { destination: { host: checkout.internal, subset: v1 }, weight: 100 }
        - { destination: { host: checkout.internal, subset: v2 }, weight: 0 }
`;

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
  const loaded = loadConfig([
    { path: "routes/shop.yaml", text: BASE },
    { path: "routes/canary.yaml", text: canaryText },
  ]);
  const loadErrors = loaded.issues.filter((i) => i.severity === "error").map(formatIssue);
  if (loadErrors.length) return { errors: loadErrors, table: null };
  const c = await compile(loaded.objects);
  return { errors: c.issues.filter((i) => i.severity === "error").map(formatIssue), table: c.table };
}
