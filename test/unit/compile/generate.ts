/**
 * A large synthetic config for measurements: `hosts` hosts, each with its own VirtualService of
 * `routesPerHost` rules (prefix + header matches, weighted splits, retries, timeouts) and a
 * ServiceEntry + DestinationRule with two subsets. 100 hosts × 100 rules = 10,000 routes.
 */
export function generateConfig(hosts: number, routesPerHost: number): string {
  const docs: string[] = [
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]`,
  ];
  for (let h = 0; h < hosts; h++) {
    const host = `site-${h}.example.com`;
    const origin = `origin-${h}.internal`;
    const rules: string[] = [];
    for (let r = 0; r < routesPerHost - 1; r++) {
      rules.push(`  - name: r${r}
    match:
    - uri: {prefix: /section-${r}/}
      headers: {x-tenant: {exact: t${r % 7}}}
    route:
    - {destination: {host: ${origin}, subset: v1}, weight: 90}
    - {destination: {host: ${origin}, subset: v2}, weight: 10}
    timeout: 5s
    retries: {attempts: 3, retryOn: "5xx,reset"}`);
    }
    rules.push(`  - name: default
    route: [{destination: {host: ${origin}, subset: v1}}]`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs-${h}}
spec:
  hosts: [${host}]
  gateways: [gw]
  http:
${rules.join("\n")}`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se-${h}}
spec:
  hosts: [${origin}]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  endpoints:
  - {address: a.${origin}.example.net, labels: {version: v1}}
  - {address: b.${origin}.example.net, labels: {version: v2}}`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr-${h}}
spec:
  host: ${origin}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}`);
  }
  return docs.join("\n---\n");
}
