/**
 * A Kubernetes Service name nothing serves (issue #11 item 3): `validate`, `analyze` and `push`
 * all accept the config and print the same located warning with the origins line to add; adding
 * that line to routes/origins.yaml silences it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { routesCli as cli } from "../../fixtures/cli.ts";

const dir = mkdtempSync(path.join(tmpdir(), "k8s-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: app }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
    - route: [{ destination: { host: details, port: { number: 9080 } } }]
`;
const routes = path.join(dir, "routes");
const file = path.join(routes, "app.yaml");

const WARNING = `${file}:14:38: warning: spec.http[0].route[0].destination.host: no origin serves details.default.svc.cluster.local port 9080`;
const LINE = '"details.default.svc.cluster.local:9080: https://ORIGIN.example.com"';

describe("a Service nothing serves, through the CLI", () => {
  it("validate, analyze and push accept it and print where and what to add", async () => {
    mkdirSync(routes, { recursive: true });
    writeFileSync(file, CONFIG);
    for (const argv of [["validate", routes], ["analyze", routes], ["push", "--local", "--persist-to", path.join(dir, "state"), routes]]) {
      const r = await cli(...argv);
      expect(r.code, `${argv[0]}: ${r.err}`).toBe(0);
      expect(r.out, argv[0]).toContain(WARNING);
      expect(r.out, argv[0]).toContain(LINE);
    }
  }, 120_000); // push --local starts a local KV (Miniflare)

  it("the suggested origins line silences it", async () => {
    writeFileSync(path.join(routes, "origins.yaml"), "origins:\n  details.default.svc.cluster.local:9080: https://details.origin.example.com\n");
    const r = await cli("validate", routes);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("no origin serves");
  });
});
