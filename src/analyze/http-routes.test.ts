import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.ts";
import { compile } from "../compile/index.ts";
import { analyze } from "./index.ts";
import { httpMatchCovers } from "./http-routes.ts";

const GATEWAY = (listeners: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: shop }
spec:
  gatewayClassName: edge
  listeners:
${listeners}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: app, namespace: shop }
spec:
  hosts: [app.shop.svc.cluster.local]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: app.origin.example }]
`;
const ANY = GATEWAY("    - { name: http, port: 80, protocol: HTTP }");

function route(name: string, spec: string): string {
  return `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: shop }
spec:
${spec}`;
}

async function run(text: string) {
  const { objects, issues } = loadConfig([{ path: "routes/r.yaml", text }]);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  const { table, issues: compileIssues } = await compile(objects);
  expect(compileIssues.filter((i) => i.severity === "error")).toEqual([]);
  return { findings: analyze(objects, table!), compileIssues };
}

const line = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("analyze: HTTPRoute matches that the Gateway API precedence never chooses", () => {
  it("an equal match of a later route (by name) can never be chosen; located at that match, with the deciding step", async () => {
    const text =
      ANY +
      route("a-first", "  parentRefs: [{ name: gw }]\n  rules:\n    - matches: [{ path: { type: PathPrefix, value: /api } }]\n      backendRefs: [{ name: app, port: 80 }]\n") +
      route("b-second", "  parentRefs: [{ name: gw }]\n  rules:\n    - matches: [{ path: { type: PathPrefix, value: /api/ } }]\n      backendRefs: [{ name: app, port: 80 }]\n");
    const { findings } = await run(text);
    const f = findings.filter((i) => i.code === "unreachable-route");
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ path: "spec.rules[0].matches[0]", line: line(text, "value: /api/ }") });
    expect(f[0]!.message).toContain("shop/a-first rules[0].matches[0] ranks before it");
    expect(f[0]!.message).toContain("route name: shop/a-first sorts before shop/b-second");
  });

  it("a regular-expression path after a PathPrefix / catch-all (PathPrefix ranks first) is reported; a more precise later-listed rule is not", async () => {
    const text =
      ANY +
      route(
        "mixed",
        [
          "  parentRefs: [{ name: gw }]",
          "  rules:",
          "    - backendRefs: [{ name: app, port: 80 }]",
          "    - matches: [{ path: { type: RegularExpression, value: '/api/v[0-9]+' } }]",
          "      backendRefs: [{ name: app, port: 80 }]",
          "    - matches: [{ path: { type: Exact, value: /api/v1 } }, { path: { value: /api }, method: GET }, { path: { value: /api }, headers: [{ name: x, value: y }] }]",
          "      backendRefs: [{ name: app, port: 80 }]",
          "",
        ].join("\n"),
      );
    const { findings } = await run(text);
    const f = findings.filter((i) => i.code === "unreachable-route" || i.code === "duplicate-match");
    expect(f.map((i) => i.path)).toEqual(["spec.rules[1].matches[0]"]);
    expect(f[0]!.message).toContain("path type: PathPrefix ranks before RegularExpression");
  });

  it("a match repeated inside one rule never decides (duplicate-match)", async () => {
    const text = ANY + route("dup", "  parentRefs: [{ name: gw }]\n  rules:\n    - matches: [{ path: { value: /a } }, { path: { value: /a/ } }]\n      backendRefs: [{ name: app, port: 80 }]\n");
    const { findings } = await run(text);
    expect(findings.filter((i) => i.code === "duplicate-match").map((i) => i.path)).toEqual(["spec.rules[0].matches[1]"]);
  });

  it("httpMatchCovers is element-wise and conservative", () => {
    expect(httpMatchCovers({ path: { value: "/v2" } }, { path: { type: "Exact", value: "/v2/x" } })).toBe(true);
    expect(httpMatchCovers({ path: { value: "/v2" } }, { path: { value: "/v2example" } })).toBe(false);
    expect(httpMatchCovers({ headers: [{ name: "Version", value: "one" }] }, { headers: [{ name: "version", value: "one" }, { name: "b", value: "c" }] })).toBe(true);
    expect(httpMatchCovers({ queryParams: [{ name: "A", value: "1" }] }, { queryParams: [{ name: "a", value: "1" }] })).toBe(false);
    expect(httpMatchCovers({ method: "GET" }, {})).toBe(false);
    expect(httpMatchCovers({ path: { type: "RegularExpression", value: "/.*" } }, { path: { value: "/x" } })).toBe(false);
  });
});

describe("analyze: HTTPRoute hostnames and attachment (route status at the edge)", () => {
  const TWO = GATEWAY("    - { name: wild, port: 80, protocol: HTTP, hostname: \"*.example.com\" }\n    - { name: abc, port: 80, protocol: HTTP, hostname: abc.example.com }");

  it("a hostname no attached listener serves is reported at spec.hostnames[i] while the others are served", async () => {
    const text = TWO + route("partly", "  parentRefs: [{ name: gw, sectionName: wild }]\n  hostnames: [a.example.com, other.net, abc.example.com]\n  rules:\n    - backendRefs: [{ name: app, port: 80 }]\n");
    const { findings } = await run(text);
    const f = findings.filter((i) => i.code === "hostname-not-served");
    expect(f.map((i) => i.path)).toEqual(["spec.hostnames[1]", "spec.hostnames[2]"]);
    expect(f[1]!.message).toContain("abc.example.com");
  });

  it("a route whose every hostname a more specific listener owns is attached to nothing (a compile warning, shown by analyze)", async () => {
    const text = TWO + route("owned", "  parentRefs: [{ name: gw, sectionName: wild }]\n  hostnames: [abc.example.com]\n  rules:\n    - backendRefs: [{ name: app, port: 80 }]\n");
    const { compileIssues, findings } = await run(text);
    expect(compileIssues.filter((i) => i.code === "unattached").map((i) => [i.path, i.line])).toEqual([["spec.hostnames", line(text, "hostnames: [abc")]]);
    expect(findings.filter((i) => i.code === "hostname-not-served")).toEqual([]);
  });

  it("routes attached to nothing and hostnames intersecting no listener keep their compile warnings (NoMatchingParent, NoMatchingListenerHostname)", async () => {
    const text =
      TWO +
      route("nowhere", "  parentRefs: [{ name: gw, sectionName: missing }]\n  rules:\n    - backendRefs: [{ name: app, port: 80 }]\n") +
      route("elsewhere", "  parentRefs: [{ name: gw }]\n  hostnames: [shop.net]\n  rules:\n    - backendRefs: [{ name: app, port: 80 }]\n");
    const { compileIssues } = await run(text);
    expect(compileIssues.filter((i) => i.code === "unattached").map((i) => i.message)).toEqual([expect.stringContaining("NoMatchingParent")]);
    expect(compileIssues.filter((i) => i.code === "no-hostname-intersection").map((i) => i.path)).toEqual(["spec.hostnames"]);
  });
});

describe("analyze on GatewayHTTPListenerIsolation's hostname-intersection fixture (restated in test/conformance/gateway-api)", () => {
  it("flags exactly the route hostnames the upstream fixture's comments call non-matching or prevented by isolation", async () => {
    const { readFileSync } = await import("node:fs");
    const dir = "test/conformance/gateway-api/tests/gateway-http-listener-isolation-with-hostname-intersection";
    const files = ["test/conformance/gateway-api/base/infra.yaml", `${dir}/gateway.yaml`, `${dir}/gateway-http-listener-isolation-with-hostname-intersection.yaml`];
    const { objects, issues } = loadConfig(files.map((path) => ({ path, text: readFileSync(path, "utf8") })));
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    const { table } = await compile(objects);
    const flagged = analyze(objects, table!)
      .filter((i) => i.code === "hostname-not-served")
      .map((i) => `${/HTTPRoute \S+\/attaches-to-(\S+?)-with-hostname-intersection/.exec(i.message)![1]} ${i.path}`);
    expect(flagged.sort()).toEqual(
      [
        // empty-hostname: *.example.com, *.foo.example.com, abc.foo.example.com are owned by more specific listeners
        "empty-hostname spec.hostnames[1]",
        "empty-hostname spec.hostnames[2]",
        "empty-hostname spec.hostnames[3]",
        // wildcard-example-com: bar.com does not match; *.foo.example.com and abc.foo.example.com are isolated
        "wildcard-example-com spec.hostnames[0]",
        "wildcard-example-com spec.hostnames[2]",
        "wildcard-example-com spec.hostnames[3]",
        // wildcard-foo-example-com: bar.com does not match; abc.foo.example.com is isolated (*.example.com narrows to *.foo.example.com)
        "wildcard-foo-example-com spec.hostnames[0]",
        "wildcard-foo-example-com spec.hostnames[3]",
        // abc-foo-example-com: bar.com does not match; both wildcards narrow to abc.foo.example.com
        "abc-foo-example-com spec.hostnames[0]",
      ].sort(),
    );
  });
});
