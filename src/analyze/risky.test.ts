import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.ts";
import { compile } from "../compile/index.ts";
import { analyze } from "./index.ts";

const HEAD = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: app }
spec:
  hosts: [app.example.com]
  gateways: [edge]
  http:
`;

async function findings(http: string, extra = "") {
  const text = HEAD + http + extra;
  const { objects, issues } = loadConfig([{ path: "a.yaml", text }]);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  const { table, issues: cIssues } = await compile(objects);
  expect(cIssues.filter((i) => i.severity === "error")).toEqual([]);
  return analyze(objects, table!);
}

describe("risky prefix rewrites (issue #18 item 1)", () => {
  it("warns about a prefix without a trailing / rewritten to one with it, at rewrite.uri", async () => {
    const f = await findings(`  - match: [{ uri: { prefix: /static } }]
    rewrite: { uri: /assets/ }
    route: [{ destination: { host: origin.example.com } }]
`);
    const w = f.find((i) => i.code === "prefix-rewrite-slash");
    expect(w).toMatchObject({ severity: "warning", file: "a.yaml", line: 16, path: "spec.http[0].rewrite.uri" });
    expect(w!.message).toMatch(/"\/static\/x" becomes|"\/staticx" becomes "\/assets\/x"/);
  });

  it.each([
    ["/static/", "/assets/"],
    ["/static", "/assets"],
    ["/", "/v2/"],
  ])("does not warn for prefix %s → %s", async (prefix, uri) => {
    const f = await findings(`  - match: [{ uri: { prefix: "${prefix}" } }]
    rewrite: { uri: "${uri}" }
    route: [{ destination: { host: origin.example.com } }]
`);
    expect(f.filter((i) => i.code === "prefix-rewrite-slash")).toEqual([]);
  });
});
