import { describe, expect, it } from "vitest";
import { loadConfig, formatIssue } from "../../../src/config/index.ts";

// Bookinfo (istio.io samples) adapted to the edge: origins are ServiceEntries with DNS names.
const BOOKINFO = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  namespace: bookinfo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["bookinfo.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["bookinfo.example.com"]
    tls: {mode: SIMPLE, credentialName: bookinfo-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
  namespace: bookinfo
  creationTimestamp: "2024-05-01T12:00:00Z"
spec:
  hosts: ["bookinfo.example.com"]
  gateways: [bookinfo-gateway]
  http:
  - name: reviews-jason
    match:
    - headers:
        end-user: {exact: jason}
      uri: {prefix: /reviews}
    route:
    - destination: {host: reviews, subset: v2}
  - name: reviews
    match:
    - uri: {prefix: /reviews}
    - uri: {regex: "/api/v1/products/[0-9]+/reviews"}
    route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v3}
      weight: 20
      headers:
        response: {set: {x-variant: v3}}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "gateway-error,connect-failure,503"}
  - name: ratings
    match: [{uri: {exact: /ratings}, method: {exact: GET}}]
    fault:
      delay: {fixedDelay: 1s, percentage: {value: 10}}
    route: [{destination: {host: ratings, port: {number: 443}}}]
  - name: old-path
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /productpage, redirectCode: 302}
  - name: health
    match: [{uri: {exact: /healthz}}]
    directResponse: {status: 200, body: {string: ok}}
  - name: productpage
    route: [{destination: {host: productpage}}]
    mirror: {host: productpage, subset: v1}
    mirrorPercentage: {value: 5}
    corsPolicy:
      allowOrigins: [{exact: "https://bookinfo.example.com"}, {regex: "https://.*\\\\.example\\\\.org"}]
      allowMethods: [GET, POST]
      maxAge: 24h
    headers:
      request: {set: {x-forwarded-app: bookinfo}, remove: [x-debug]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpCookie: {name: user, ttl: 0s}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: productpage, namespace: bookinfo}
spec:
  host: productpage
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  endpoints:
  - {address: reviews-v1.example.net, labels: {version: v1}}
  - {address: reviews-v2.example.net, labels: {version: v2}}
  - {address: reviews-v3.example.net, labels: {version: v3}, weight: 2}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings, namespace: bookinfo}
spec:
  hosts: [ratings]
  location: MESH_EXTERNAL
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  endpoints: [{address: ratings.example.net}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: productpage, namespace: bookinfo}
spec:
  hosts: [productpage]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  endpoints: [{address: productpage.example.net, labels: {version: v1}}]
`;

describe("a Bookinfo-style configuration", () => {
  it("loads with no errors; the only warnings name what the edge ignores", () => {
    const { objects, issues } = loadConfig([{ path: "routes/bookinfo.yaml", text: BOOKINFO }]);
    expect(issues.map(formatIssue)).toEqual([
      "routes/bookinfo.yaml:15:41: warning (ignored at the edge): spec.servers[1].tls.credentialName: credentialName is ignored: Cloudflare terminates TLS with the zone's edge certificates",
      "routes/bookinfo.yaml:110:13: warning (ignored at the edge): spec.location: location is ignored: from the edge every origin is outside the mesh",
    ]);
    expect(objects.gateways).toHaveLength(1);
    expect(objects.virtualServices).toHaveLength(1);
    expect(objects.destinationRules).toHaveLength(2);
    expect(objects.serviceEntries).toHaveLength(3);
  });

  it("keeps Istio field names and values for the compiler", () => {
    const vs = loadConfig([{ path: "b.yaml", text: BOOKINFO }]).objects.virtualServices[0]!;
    const rule = vs.value.spec.http![1]!;
    expect(rule.route?.map((d) => [d.destination.subset, d.weight])).toEqual([["v1", 80], ["v3", 20]]);
    expect(rule.timeout).toBe("2s");
    expect(vs.value.metadata.creationTimestamp).toBe("2024-05-01T12:00:00Z");
    expect(vs.at(["spec", "http", 1, "timeout"])).toEqual({ line: 45, col: 14 });
    expect(vs.at(["spec", "http", 1, "no-such-field"])).toEqual(vs.at(["spec", "http", 1]));
  });
});
