import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.ts";
import { compile } from "../compile/index.ts";
import { analyze } from "./index.ts";
import { covers } from "./shadow.ts";

const HEAD = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: app }
spec:
  hosts: [app.internal]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: app.origin.example, labels: { version: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: app }
spec:
  host: app.internal
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v9, labels: { version: v9 } }
`;

async function findings(vs: string, extra = "") {
  const { objects, issues } = loadConfig([{ path: "a.yaml", text: HEAD + "---\n" + vs + extra }]);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  const { table, issues: cIssues } = await compile(objects);
  expect(cIssues.filter((i) => i.severity === "error")).toEqual([]);
  return analyze(objects, table!);
}

const vs = (http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: app }
spec:
  hosts: [app.example.com]
  gateways: [edge]
  http:
${http}`;

describe("analyze", () => {
  it("flags a route shadowed by an earlier, broader prefix (IST0130), located at the later match", async () => {
    const out = await findings(
      vs(`    - name: api
      match: [{ uri: { prefix: /api } }]
      route: [{ destination: { host: app.internal, subset: v1 } }]
    - name: api-v2
      match: [{ uri: { prefix: /api/v2 }, headers: { x-beta: { exact: "1" } } }]
      route: [{ destination: { host: app.internal, subset: v1 } }]
`),
    );
    const shadow = out.filter((i) => i.code === "unreachable-route");
    expect(shadow).toHaveLength(1);
    expect(shadow[0]).toMatchObject({ file: "a.yaml", path: "spec.http[1].match[0]" });
    expect(shadow[0]!.message).toMatch(/earlier api \(default\/app http\[0\]/);
    expect(shadow[0]!.line).toBeGreaterThan(30);
  });

  it("flags a duplicate match (IST0131) but not a narrower earlier route", async () => {
    const out = await findings(
      vs(`    - name: narrow
      match: [{ uri: { prefix: /api/v2 } }]
      route: [{ destination: { host: app.internal, subset: v1 } }]
    - name: broad
      match: [{ uri: { prefix: /api } }]
      route: [{ destination: { host: app.internal, subset: v1 } }]
    - name: again
      match: [{ uri: { prefix: /api/v2 } }]
      route: [{ destination: { host: app.internal, subset: v1 } }]
`),
    );
    // Istio reports both: the match (IST0131) and the rule all of whose matches repeat earlier
    // ones (IST0130 "all matches used by prior rules"; istio analyzers_test.go "dupmatches",
    // VirtualService duplicate-match).
    expect(out.filter((i) => i.code === "unreachable-route" || i.code === "duplicate-match").map((i) => [i.code, i.path])).toEqual([
      ["duplicate-match", "spec.http[2].match[0]"],
      ["unreachable-route", "spec.http[2]"],
    ]);
  });

  it("flags subsets selecting no endpoint and DestinationRules nobody routes to", async () => {
    const out = await findings(
      vs(`    - route: [{ destination: { host: app.internal, subset: v1 } }]
`),
      `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: orphan }
spec:
  host: nobody.internal
  trafficPolicy: { loadBalancer: { simple: RANDOM } }
`,
    );
    expect(out.filter((i) => i.code === "empty-subset").map((i) => i.path)).toEqual(["spec.subsets[1].labels"]);
    expect(out.find((i) => i.code === "empty-subset")!.message).toMatch(/subset v9 selects no endpoint/);
    expect(out.filter((i) => i.code === "unused-destination-rule").map((i) => i.message)).toEqual([
      "no served route or mirror sends traffic to nobody.internal; this DestinationRule has no effect at the edge",
    ]);
  });
});

describe("subsets of a host whose only endpoint is the host itself", () => {
  // compile/clusters.ts: a public DNS host (no ServiceEntry) or a DNS ServiceEntry without
  // endpoints is reached at the host name, an endpoint without labels: a labelled subset is empty.
  const dr = (host: string) => `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: landing }
spec:
  host: ${host}
  subsets: [{ name: a, labels: { variant: a } }, { name: all }]
`;
  const route = (host: string) => vs(`    - route: [{ destination: { host: ${host}, subset: a }, weight: 50 }, { destination: { host: ${host}, subset: all }, weight: 50 }]
`);
  it("warns about a labelled subset of a host no ServiceEntry names, not about a label-less one", async () => {
    const out = await findings(route("landing.example.com"), dr("landing.example.com"));
    expect(out.filter((i) => i.code === "empty-subset" && i.message.includes("landing")).map((i) => i.message)).toEqual([
      'subset a selects no endpoint of landing.example.com (labels variant=a); requests routed to it get 503 "no healthy upstream"',
    ]);
  });
  it("warns about a labelled subset of a DNS ServiceEntry without endpoints", async () => {
    const se = `
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: landing }
spec:
  hosts: [landing.internal]
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: DNS
`;
    const out = await findings(route("landing.internal"), dr("landing.internal") + se);
    expect(out.filter((i) => i.code === "empty-subset" && i.message.includes("landing")).map((i) => i.message)).toEqual([
      'subset a selects no endpoint of landing.internal (labels variant=a); requests routed to it get 503 "no healthy upstream"',
    ]);
  });
});

describe("covers (match implication)", () => {
  const cases: Array<[string, Parameters<typeof covers>[0], Parameters<typeof covers>[1], boolean]> = [
    ["no match covers everything", null, { uri: { exact: "/x" } }, true],
    ["prefix covers a longer exact", { uri: { prefix: "/a" } }, { uri: { exact: "/abc" } }, true],
    ["case-sensitive prefix does not cover a case-insensitive one", { uri: { prefix: "/a" } }, { uri: { prefix: "/a" }, ignoreUriCase: true }, false],
    ["case-insensitive prefix covers differently cased prefix", { uri: { prefix: "/API" }, ignoreUriCase: true }, { uri: { prefix: "/api/v1" } }, true],
    ["a header condition is not implied by its absence", { headers: [["x", { exact: "1" }]] }, { uri: { prefix: "/" } }, false],
    ["header presence is implied by an exact header", { headers: [["x", { present: true }]] }, { headers: [["x", { exact: "" }]] }, true],
    ["different regexes are never assumed to cover", { uri: { regex: "/a.*", js: "^(?:/a.*)$", flags: "" } }, { uri: { regex: "/ab.*", js: "^(?:/ab.*)$", flags: "" } }, false],
    ["a method condition must be carried by the later match", { method: { exact: "GET" } }, { uri: { prefix: "/" } }, false],
  ];
  for (const [name, a, b, want] of cases) it(name, () => expect(covers(a, b)).toBe(want));
});
