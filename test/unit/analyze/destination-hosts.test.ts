/**
 * istioctl analyze's DestinationHostAnalyzer rows (istio/istio pkg/config/analysis/analyzers/
 * analyzers_test.go "virtualServiceDestinationHosts", testdata/virtualservice_destinationhosts.yaml)
 * restated at the edge: a Kubernetes Service is an origins file entry (`reviews:42` for Service
 * reviews port 42), IST0101 ReferencedResourceNotFound is our `no-origin` warning (the config is
 * accepted, requests get 503) and IST0112 VirtualServiceDestinationPortSelectorRequired our
 * `ambiguous-port` warning. The VirtualServices are bound to a gateway (the edge compiles only what
 * a gateway serves); everything else is the upstream row.
 *
 * Rows not restated: other.bookinfo.com, cross-namespace-details, hello*, hello-export-to-bogus
 * depend on exportTo, which the edge ignores (one gateway sees every namespace; docs/istio-compatibility.md).
 */
import { describe, expect, it } from "vitest";
import { formatIssue, loadConfig } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";

const ROW = "istio/istio pkg/config/analysis/analyzers/analyzers_test.go \"virtualServiceDestinationHosts\"";

const SUPPORT = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*/*"] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec: { host: reviews, subsets: [{ name: v1, labels: { version: v1 } }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews-2port, namespace: default }
spec: { host: reviews-2port, subsets: [{ name: v1, labels: { version: v1 } }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews-bogus, namespace: default }
spec: { host: reviews-bogus, subsets: [{ name: v1, labels: { version: v1 } }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: external-reviews, namespace: default }
spec: { hosts: [external-reviews.org], ports: [{ number: 443, name: https, protocol: HTTPS }], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: eu-wildcard, namespace: default }
spec: { hosts: ["*.eu.bookinfo.com"], ports: [{ number: 443, name: https, protocol: HTTPS }], resolution: NONE }
`;

// Service reviews (port 42) and reviews-2port (ports 80, 443), as origins.
const ORIGINS = `origins:
  reviews:42: { url: "https://reviews.example.net", labels: { version: v1 } }
  reviews-2port:80: { url: "http://reviews-2port.example.net", labels: { version: v1 } }
  reviews-2port:443: { url: "https://reviews-2port.example.net", labels: { version: v1 } }
`;

const vs = (name: string, rule: string, ns = "default") => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${ns} }
spec:
  hosts: [${name}.example.com]
  gateways: [default/gw]
  http:
    - ${rule}
`;

const cases: Array<[name: string, doc: string, expected: Array<[code: string, path: string]>]> = [
  ["reviews: a Service with an origin (base case)", vs("reviews", "route: [{ destination: { host: reviews, subset: v1 } }]"), []],
  ["reviews-bogushost: a Service nothing serves (IST0101)", vs("reviews-bogushost", "route: [{ destination: { host: reviews-bogus, subset: v1 } }]"), [["no-origin", "spec.http[0].route[0].destination.host"]]],
  ["reviews-fqdn: the FQDN of the Service", vs("reviews-fqdn", "route: [{ destination: { host: reviews.default.svc.cluster.local, subset: v1 } }]"), []],
  ["reviews-external: a ServiceEntry host", vs("reviews-external", "route: [{ destination: { host: external-reviews.org } }]"), []],
  ["reviews-bookinfo-eu: a host of a wildcard ServiceEntry", vs("reviews-bookinfo-eu", "route: [{ destination: { host: reviews.eu.bookinfo.com } }]"), []],
  ["reviews-mirror: mirroring to a served Service", vs("reviews-mirror", "route: [{ destination: { host: reviews, subset: v1 } }]\n      mirror: { host: reviews, subset: v1 }"), []],
  ["reviews-mirror-bogushost: mirroring to a Service nothing serves (IST0101)", vs("reviews-mirror-bogushost", "route: [{ destination: { host: reviews, subset: v1 } }]\n      mirror: { host: reviews-bogus, subset: v1 }"), [["no-origin", "spec.http[0].mirror.host"]]],
  ["reviews-bogusport: a port the Service does not have (IST0101)", vs("reviews-bogusport", "route: [{ destination: { host: reviews, subset: v1, port: { number: 999 } } }]"), [["no-origin", "spec.http[0].route[0].destination.host"]]],
  ["reviews-2port-missing: no port for a two-port Service (IST0112)", vs("reviews-2port-missing", "route: [{ destination: { host: reviews-2port, subset: v1 } }]"), [["ambiguous-port", "spec.http[0].route[0].destination.host"]]],
  ["reviews-2port-present: the port named", vs("reviews-2port-present", "route: [{ destination: { host: reviews-2port, subset: v1, port: { number: 80 } } }]"), []],
  ["cross-namespace: another namespace's Service by FQDN", vs("cross-namespace", "route: [{ destination: { host: reviews.default.svc.cluster.local } }]", "istio-system"), []],
];

describe(`destination hosts, like ${ROW}`, () => {
  it.each(cases)("%s", async (_name, doc, expected) => {
    const files = [
      { path: "support.yaml", text: SUPPORT },
      { path: "origins.yaml", text: ORIGINS },
      { path: "vs.yaml", text: doc },
    ];
    const loaded = loadConfig(files);
    expect(loaded.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
    const { table, issues } = await compile(loaded.objects);
    expect(table).not.toBeNull();
    const found = issues.filter((i) => i.file === "vs.yaml" && (i.code === "no-origin" || i.code === "ambiguous-port")).map((i) => [i.code, i.path]);
    expect(found).toEqual(expected);
  });
});
