import { describe, expect, it } from "vitest";
import { compileYaml, doc, gateway, table, vs } from "./helpers.ts";
import { parseHealthCheck } from "../../../src/compile/health-check.ts";

const route = vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- route: [{destination: {host: shop.internal, subset: v1}}]`);
const se = (meta = "") =>
  doc("ServiceEntry", "shop", `
hosts: [shop.internal]
ports: [{number: 80, name: http, protocol: HTTP}]
resolution: STATIC
endpoints: [{address: 127.0.0.1, ports: {http: 8081}, labels: {v: "1"}}]`, meta);
const dr = (meta = "") => doc("DestinationRule", "shop", `host: shop.internal\nsubsets: [{name: v1, labels: {v: "1"}}]`, meta);
const annotation = (v: string) => `annotations: {"edge-gateway.dev/health-check": "${v}"}`;

describe("the edge-gateway.dev/health-check annotation (active health checks, issue #13.4)", () => {
  it("on a DestinationRule becomes the health check of every cluster of its host, with Envoy-like defaults", async () => {
    const t = await table(gateway(["a.com"]) + route + se() + dr(annotation("path=/healthz; statuses=200-299,301")));
    expect(t.clusters["shop.internal|v1|80"]!.healthCheck).toEqual({
      path: "/healthz",
      intervalMs: 10_000,
      timeoutMs: 2_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      expectedStatuses: [[200, 299], [301, 301]],
    });
  });

  it("on a ServiceEntry applies when the DestinationRule has none; the DestinationRule's wins", async () => {
    const t1 = await table(gateway(["a.com"]) + route + se(annotation("path=/se; interval=5s; timeout=1s")) + dr());
    expect(t1.clusters["shop.internal|v1|80"]!.healthCheck).toMatchObject({ path: "/se", intervalMs: 5000, timeoutMs: 1000 });
    const t2 = await table(gateway(["a.com"]) + route + se(annotation("path=/se")) + dr(annotation("path=/dr; host=api.example.com; panic=30")));
    expect(t2.clusters["shop.internal|v1|80"]!.healthCheck).toMatchObject({ path: "/dr", host: "api.example.com", panicThresholdPercent: 30 });
  });

  it("rejects a bad value with the file, line and annotation named, and the config does not compile", async () => {
    const { issues, table: t } = await compileYaml(gateway(["a.com"]) + route + se() + dr(annotation("interval=10s; healthy=zero")));
    const errors = issues.filter((i) => i.severity === "error");
    expect(t).toBeNull();
    expect(errors.map((e) => e.message).join("\n")).toMatch(/healthy must be a whole number[\s\S]*path is required/);
    expect(errors[0]!.path).toContain("edge-gateway.dev/health-check");
    expect(errors[0]!.line).toBeGreaterThan(1);
  });

  it.each([
    ["timeout=20s; path=/h", /timeout \(20000 ms\) must not exceed interval/],
    ["path=/h; interval=500ms", /at least 1s/],
    ["path=/h; statuses=2xx", /statuses/],
    ["path=/h; nope=1", /unknown key "nope"/],
    ["path=h", /path must start with/],
  ])("refuses %s", (value, message) => {
    const errors: string[] = [];
    expect(parseHealthCheck(value, (sev, m) => sev === "error" && errors.push(m))).toBeUndefined();
    expect(errors.join("\n")).toMatch(message);
  });
});
