/**
 * Kubernetes service names at the edge (issue #11 item 3, DESIGN.md §9): Istio's short-name rule,
 * the origins file and ServiceEntries serving in-cluster names, and the 503 + warning for a name
 * nothing serves. Through the real chain: loadConfig → compile → prepare → decide.
 */
import { describe, expect, it } from "vitest";
import { formatIssue, loadConfig, type SourceFile } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import { prepare } from "../../../src/prepare.ts";
import { outcome, send } from "../vectors/pipeline.ts";

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: shop }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: app, namespace: shop }
spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
    - name: short
      match: [{ uri: { prefix: /short } }]
      route: [{ destination: { host: reviews, subset: v2, port: { number: 9080 } } }]
    - name: qualified
      match: [{ uri: { prefix: /qualified } }]
      route: [{ destination: { host: reviews.shop, subset: v1 } }]
    - name: fqdn
      match: [{ uri: { prefix: /fqdn } }]
      route: [{ destination: { host: ratings.shop.svc.cluster.local } }]
    - name: missing
      match: [{ uri: { prefix: /missing } }]
      route: [{ destination: { host: details, port: { number: 9080 } } }]
    - name: public
      route: [{ destination: { host: api.example.net } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ratings, namespace: shop }
spec:
  hosts: [ratings.shop.svc.cluster.local]
  ports: [{ number: 9080, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: ratings.origin.example }]
`;

const ORIGINS = `origins:
  reviews.shop:9080:
    - { url: "http://127.0.0.1:9081", labels: { version: v1 } }
    - { url: "http://127.0.0.1:9082", labels: { version: v2 } }
`;

async function build(files: SourceFile[]) {
  const loaded = loadConfig(files);
  expect(loaded.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
  const compiled = await compile(loaded.objects);
  return { ...compiled, issues: [...loaded.issues, ...compiled.issues] };
}

const FILES: SourceFile[] = [
  { path: "routes/gw.yaml", text: GATEWAY },
  { path: "routes/app.yaml", text: VS },
  { path: "routes/origins.yaml", text: ORIGINS },
];

describe("Kubernetes service names", () => {
  it("resolve reviews / reviews.shop / the FQDN to one Service, served by the origins file and a ServiceEntry", async () => {
    const { table } = await build(FILES);
    const t = prepare(table!);
    expect(outcome(send(t, "http://a.example.com/short/1"))).toMatchObject({ kind: "forward", to: "reviews.shop.svc.cluster.local/v2", url: "http://127.0.0.1:9082/short/1" });
    expect(outcome(send(t, "http://a.example.com/qualified"))).toMatchObject({ kind: "forward", to: "reviews.shop.svc.cluster.local/v1", url: "http://127.0.0.1:9081/qualified" });
    expect(outcome(send(t, "http://a.example.com/fqdn"))).toMatchObject({ kind: "forward", to: "ratings.shop.svc.cluster.local", url: "http://ratings.origin.example:9080/fqdn" });
    // The subset's DestinationRule (host: reviews) and the origins key (reviews.shop:9080) name the same Service.
    expect(table!.clusters["reviews.shop.svc.cluster.local|v1|9080"]).toMatchObject({ external: false, endpoints: [{ url: "http://127.0.0.1:9081", labels: { version: "v1" } }] });
  });

  it("the destination port defaults to the only port the origins declare", async () => {
    const { table } = await build(FILES);
    const q = Object.values(table!.vhosts[0]!.routes).find((r) => r.name === "qualified")!;
    expect(q.action.kind === "route" && q.action.destinations[0]).toMatchObject({ host: "reviews.shop.svc.cluster.local", port: 9080, subset: "v1" });
  });

  it("a name nothing serves is accepted: requests get 503 with an empty body (Envoy NC) and the warning says what to add", async () => {
    const { table, issues } = await build(FILES);
    expect(table).not.toBeNull();
    expect(outcome(send(prepare(table!), "http://a.example.com/missing"))).toEqual({ kind: "clusterNotFound", to: "details.shop.svc.cluster.local" });
    const w = issues.filter((i) => i.code === "no-origin");
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ severity: "warning", file: "routes/app.yaml", line: 19, path: "spec.http[3].route[0].destination.host" });
    expect(w[0]!.message).toContain('no origin serves details.shop.svc.cluster.local port 9080 ("details" read as a Kubernetes Service name)');
    expect(w[0]!.message).toContain('"details.shop.svc.cluster.local:9080: https://ORIGIN.example.com"');
    expect(w[0]!.message).toContain("{apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: details, namespace: shop}, spec: {hosts: [details.shop.svc.cluster.local]");
  });

  it("pasting the suggested origins line serves the name", async () => {
    const { table, issues } = await build([...FILES.slice(0, 2), { path: "routes/origins.yaml", text: `${ORIGINS}  details.shop.svc.cluster.local:9080: https://details.origin.example\n` }]);
    expect(issues.filter((i) => i.code === "no-origin")).toEqual([]);
    expect(outcome(send(prepare(table!), "http://a.example.com/missing"))).toMatchObject({ kind: "forward", url: "https://details.origin.example/missing" });
  });

  it("pasting the suggested ServiceEntry serves the name", async () => {
    const { issues } = await build(FILES);
    const se = issues.find((i) => i.code === "no-origin")!.message.match(/add a ServiceEntry: (\{.*\})$/)![1]!;
    const { table, issues: after } = await build([...FILES, { path: "routes/details.yaml", text: se }]);
    expect(after.filter((i) => i.code === "no-origin")).toEqual([]);
    expect(outcome(send(prepare(table!), "http://a.example.com/missing"))).toMatchObject({ kind: "forward", url: "https://ORIGIN.example.com/missing" });
  });

  it("a name that is no Kubernetes name keeps today's rule: public DNS over https", async () => {
    const { table } = await build(FILES);
    expect(outcome(send(prepare(table!), "http://a.example.com/other"))).toMatchObject({ kind: "forward", to: "api.example.net", url: "https://api.example.net/other" });
    expect(Object.values(table!.clusters).find((c) => c.host === "api.example.net")).toMatchObject({ external: true });
  });

  it("a Kubernetes name is never sent to public DNS, even without any origins file", async () => {
    const { table } = await build(FILES.slice(0, 2));
    for (const c of Object.values(table!.clusters)) expect(c.host.endsWith(".svc.cluster.local") && c.external).toBe(false);
    expect(outcome(send(prepare(table!), "http://a.example.com/short"))).toEqual({ kind: "clusterNotFound", to: "reviews.shop.svc.cluster.local/v2" });
  });

  it("a delegate's destinations are read in the delegate's namespace", async () => {
    const root = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: root, namespace: shop }
spec:
  hosts: [b.example.com]
  gateways: [gw]
  http: [{ match: [{ uri: { prefix: /r } }], delegate: { name: leaf, namespace: team } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: leaf, namespace: team }
spec:
  http: [{ route: [{ destination: { host: reviews } }] }]
`;
    const { table } = await build([FILES[0]!, { path: "routes/d.yaml", text: root }, { path: "routes/origins.yaml", text: "origins:\n  reviews.team: http://127.0.0.1:7001\n" }]);
    expect(outcome(send(prepare(table!), "http://b.example.com/r"))).toMatchObject({ kind: "forward", to: "reviews.team.svc.cluster.local", url: "http://127.0.0.1:7001/r" });
  });
});
