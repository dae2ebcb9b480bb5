import { describe, expect, it } from "vitest";
import { errors, load, marked } from "./helpers.ts";

const gw = (servers: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}`;
const dr = (spec: string) => `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
${spec}`;
const se = (spec: string) => `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com]
${spec}`;

const cases: Array<[name: string, doc: string, severity: "error" | "warning", path: string, message: RegExp]> = [
  // Gateway
  ["rejects an HTTPS server without tls", gw(`  - ⟨port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]`), "error", "spec.servers[0].tls", /HTTPS\/TLS server needs tls settings/],
  ["rejects an L4 server protocol", gw(`  - port: {number: 9000, name: tcp, protocol: ⟨TCP}\n    hosts: [a.example.com]`), "error", "spec.servers[0].port.protocol", /a TCP server cannot be served: the edge is an HTTP gateway/],
  ["rejects a partial wildcard in Gateway hosts", gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [⟨"*foo.com"]`), "error", "spec.servers[0].hosts[0]", /partial wildcard "\*foo.com" is not allowed in a Gateway/],
  ["rejects a short host name in a Gateway", gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [⟨shop]`), "error", "spec.servers[0].hosts[0]", /short host name "shop"/],
  ["rejects duplicate server port names", gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.example.com]\n  - port: {number: 8080, name: ⟨http, protocol: HTTP}\n    hosts: [b.example.com]`), "error", "spec.servers[1].port.name", /already used by servers\[0\]/],
  ["rejects PASSTHROUGH because Cloudflare terminates TLS", gw(`  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: ⟨PASSTHROUGH}`), "error", "spec.servers[0].tls.mode", /TLS PASSTHROUGH cannot be served/],
  ["rejects bind because the edge listens on anycast", gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.example.com]\n    bind: ⟨0.0.0.0`), "warning", "spec.servers[0].bind", /bind is ignored: the edge listens on Cloudflare's anycast addresses/],
  ["warns that credentialName is ignored", gw(`  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: SIMPLE, credentialName: ⟨shop-cert}`), "warning", "spec.servers[0].tls.credentialName", /credentialName is ignored: Cloudflare terminates TLS/],
  // DestinationRule
  ["rejects duplicate subset names", dr(`  subsets:\n  - name: v1\n  - name: ⟨v1`), "error", "spec.subsets[1].name", /duplicate subset name "v1"/],
  ["rejects a subset name that is not a DNS-1123 label", dr(`  subsets:\n  - name: ⟨v_1`), "error", "spec.subsets[0].name", /DNS-1123 label/],
  ["ignores tcp.maxConnections with a warning: fetch() owns connections", dr(`  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnections: ⟨1}`), "warning", "spec.trafficPolicy.connectionPool.tcp.maxConnections", /tcp.maxConnections is ignored: Workers' fetch\(\) manages upstream connections/],
  ["warns that http2MaxRequests is not enforced per isolate", dr(`  trafficPolicy:\n    connectionPool:\n      http: {http2MaxRequests: ⟨10}`), "warning", "spec.trafficPolicy.connectionPool.http.http2MaxRequests", /not enforced: each Worker isolate/],
  ["rejects consistentHash with two hash keys", dr(`  trafficPolicy:\n    loadBalancer:\n      consistentHash: {httpHeaderName: x-user, useSourceIp: ⟨true}`), "error", "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp", /found httpHeaderName and useSourceIp/],
  ["rejects an empty trafficPolicy", dr(`  ⟨trafficPolicy: {}`), "error", "spec.trafficPolicy", /at least one field/],
  ["ignores ISTIO_MUTUAL with a warning", dr(`  trafficPolicy:\n    tls: {mode: ⟨ISTIO_MUTUAL}`), "warning", "spec.trafficPolicy.tls.mode", /ISTIO_MUTUAL is ignored: mesh certificates do not exist at the edge/],
  ["ignores workloadSelector with a warning", dr(`  ⟨workloadSelector: {matchLabels: {a: b}}`), "warning", "spec.workloadSelector", /workloadSelector is ignored: it selects sidecar workloads/],
  ["rejects a maxEjectionPercent over 100", dr(`  trafficPolicy:\n    outlierDetection: {maxEjectionPercent: ⟨101}`), "error", "spec.trafficPolicy.outlierDetection.maxEjectionPercent", /from 0 to 100, got 101/],
  // ServiceEntry
  ["ignores addresses (L4 VIPs) with a warning", se(`  ⟨addresses: [10.0.0.1]`), "warning", "spec.addresses", /addresses are ignored: virtual IPs capture L4 traffic/],
  ["ignores a TCP port with a warning", se(`  ports: [{number: 5432, name: pg, protocol: ⟨TCP}]`), "warning", "spec.ports[0].protocol", /port 5432 \(TCP\) is ignored for L4 traffic/],
  ["rejects an endpoint without address", se(`  ports: [{number: 443, name: https, protocol: HTTPS}]\n  resolution: DNS\n  endpoints:\n  - ⟨labels: {version: v1}`), "error", "spec.endpoints[0].address", /endpoint needs an address/],
  ["warns about IP endpoints (Cloudflare error 1003)", se(`  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints:\n  - address: ⟨127.0.0.1`), "warning", "spec.endpoints[0].address", /cannot fetch a raw IP \(error 1003\)/],
  ["warns about non-standard origin ports", se(`  ports: [{number: 8080, name: http, protocol: HTTP}]\n  resolution: DNS\n  endpoints:\n  - ⟨address: origin.example.com`), "warning", "spec.endpoints[0]", /allow_custom_ports/],
  // Documents
  ["rejects a kind nobody defines", `apiVersion: networking.istio.io/v1\nkind: ⟨VirtualSevice\nmetadata: {name: a}`, "error", "kind", /unsupported kind "VirtualSevice": expected Gateway, VirtualService, DestinationRule or ServiceEntry/],
  ["ignores a Kubernetes Service with a warning (Istio's samples mix them in)", `apiVersion: v1\nkind: ⟨Service\nmetadata: {name: a}`, "warning", "kind", /Service \(v1\) is ignored: the edge reads Gateway, VirtualService/],
  ["rejects an unsupported apiVersion", `apiVersion: ⟨networking.istio.io/v2\nkind: Gateway\nmetadata: {name: a}`, "error", "apiVersion", /unsupported apiVersion "networking.istio.io\/v2" for Gateway/],
  ["rejects a missing metadata.name", `apiVersion: networking.istio.io/v1\nkind: Gateway\n⟨metadata: {namespace: a}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}`, "error", "metadata.name", /required field "name" is missing/],
  ["rejects a metadata.name that is not DNS-1123", `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ⟨Edge_1}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}`, "error", "metadata.name", /DNS-1123 subdomain/],
  ["rejects a creationTimestamp that is not RFC 3339", `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge, creationTimestamp: ⟨yesterday}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}`, "error", "metadata.creationTimestamp", /RFC 3339/],
  ["locates a YAML syntax error", `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge\n⟨spec: x`, "error", "", /YAML syntax error/],
  ["rejects duplicate objects of one kind and name", `${gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]`)}\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ⟨edge}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}`, "error", "metadata.name", /duplicate Gateway default\/edge \(first defined at routes\/shop.yaml:3:18\)/],
];

describe("Gateway, DestinationRule, ServiceEntry and document rules", () => {
  it.each(cases)("%s", (_name, doc, severity, path, message) => {
    const m = marked(doc);
    const { issues } = load(m.text, []);
    const found = issues.filter((i) => i.path === path && i.severity === severity && message.test(i.message));
    expect(found, JSON.stringify(issues, null, 1)).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "routes/shop.yaml", line: m.line, col: m.col });
  });

  it("skips empty documents and loads every document of a multi-document file", () => {
    const text = `---\n---\n${gw(`  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["*"]`)}\n---\n# only a comment\n---\n${dr(`  subsets: [{name: v1}]`)}`;
    const { objects, issues } = load(text, []);
    expect(errors(issues)).toEqual([]);
    expect(objects.gateways).toHaveLength(1);
    expect(objects.destinationRules).toHaveLength(1);
    expect(objects.destinationRules[0]!.doc).toBe(3); // docs: empty, Gateway, comment-only, DestinationRule
    expect(objects.gateways[0]!.value.metadata.namespace).toBe("default");
  });

  it("collects issues from every document instead of stopping at the first", () => {
    const text = `apiVersion: v1\nkind: Pdo\n---\napiVersion: networking.istio.io/v1\nkind: Sidecarr\n`;
    expect(errors(load(text, []).issues).map((i) => i.line)).toEqual([2, 5]);
  });
});

describe("wrong value types", () => {
  it("reports each wrong type at its value and keeps going", () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: "x"
  gateways: [edge]
  http:
  - match: "x"
    route: {destination: 1}
    redirect: 5
  - 7
`;
    const got = load(text).issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    expect(got).toEqual([
      '5:10 spec.hosts: expected a list, got "x"',
      '8:12 spec.http[0].match: expected a list, got "x"',
      "9:5 spec.http[0].route: expected a list, got a map",
      "10:15 spec.http[0].redirect: expected a map, got 5",
      "11:5 spec.http[1]: expected a map, got 7",
    ]);
  });
});
