/**
 * The configs of the attack run of issue #18, shared by the unit tests (compile + facts +
 * decide, as `routes route` does) and the end-to-end tests (the real Worker in Miniflare in
 * front of real origins on 127.0.0.1):
 *   site.test     /admin → 403 (deny rule)
 *                 /static → origin, `rewrite.uri: /assets/` (prefix without `/` → one with it)
 *                 /img → origin, `uriRegexRewrite ^/img(.*)$ → /cdn/images/\1`, mirrored to "shadow"
 *                 /redos → 200 "matched" when a query parameter or header matches the issue's 47 s regex
 *                 /split → sticky 50/50 split a|b (visitor cookie ab_visitor, DestinationRule
 *                 consistentHash.httpCookie of the same name, so the split and the endpoint hash
 *                 read one cookie)
 *                 everything else → origin subset a (a non-split route of a host whose
 *                 DestinationRule sets the visitor cookie)
 *   *.w2.test     → origin (a wildcard host, for Host-header tricks)
 */
import { compile } from "../../../src/compile/index.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import { loadConfig } from "../../../src/config/index.ts";

/** Issue #18 item 2: runs of `[a-z]?` then `[a-z]` (n = 32) took 47 s on one 68-byte request in V8. */
export const REDOS_47S = "[a-z]?".repeat(32) + "[a-z]".repeat(32);

export interface AttackPorts {
  origin: number;
  /** Second variant's endpoint (variant b). */
  originB: number;
  shadow: number;
}

export function attackYaml(p: AttackPorts): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [site.test, "*.w2.test"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: origin}
spec:
  hosts: [origin.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: {http: ${p.origin}}
    labels: {variant: a}
  - address: 127.0.0.1
    ports: {http: ${p.originB}}
    labels: {variant: b}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shadow}
spec:
  hosts: [shadow.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: {http: ${p.shadow}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: origin}
spec:
  host: origin.internal
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: ab_visitor, ttl: 720h, path: /}
  subsets:
  - {name: a, labels: {variant: a}}
  - {name: b, labels: {variant: b}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: site}
spec:
  hosts: [site.test]
  gateways: [edge]
  http:
  - name: deny-admin
    match: [{uri: {prefix: /admin}}]
    directResponse: {status: 403, body: {string: "forbidden"}}
  - name: static
    match: [{uri: {prefix: /static}}]
    rewrite: {uri: /assets/}
    route: [{destination: {host: origin.internal, subset: a}}]
  - name: img
    match: [{uri: {prefix: /img}}]
    rewrite:
      uriRegexRewrite: {match: "^/img(.*)$", rewrite: "/cdn/images/\\\\1"}
    route: [{destination: {host: origin.internal, subset: a}}]
    mirror: {host: shadow.internal}
  - name: redos
    match:
    - uri: {prefix: /redos}
      queryParams: {q: {regex: "${REDOS_47S}"}}
    - uri: {prefix: /redos}
      headers: {x-q: {regex: "${REDOS_47S}"}}
    directResponse: {status: 200, body: {string: "matched"}}
  - name: split
    match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: origin.internal, subset: a}, weight: 50}
    - {destination: {host: origin.internal, subset: b}, weight: 50}
  - name: plain
    route: [{destination: {host: origin.internal, subset: a}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: w2}
spec:
  hosts: ["*.w2.test"]
  gateways: [edge]
  http:
  - route: [{destination: {host: origin.internal, subset: a}}]
`;
}

export async function attackTable(p: AttackPorts): Promise<RouteTable> {
  const files = [{ path: "routes/attack.yaml", text: attackYaml(p) }];
  const loaded = loadConfig(files);
  const errors = loaded.issues.filter((i) => i.severity === "error");
  if (errors.length) throw new Error(`attack config does not load: ${JSON.stringify(errors)}`);
  const { table, issues } = await compile(loaded.objects, { sources: files.map((f) => f.path) });
  if (!table) throw new Error(`attack config does not compile: ${JSON.stringify(issues)}`);
  return table;
}
