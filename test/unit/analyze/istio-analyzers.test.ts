/**
 * `routes analyze` against istioctl analyze's own test data for the VirtualService and Gateway
 * analyzers (istio/istio pkg/config/analysis/analyzers/analyzers_test.go and testdata/). Each case
 * is our own YAML restating one upstream row: the input, the findings Istio expects, and where
 * Istio states it. Findings are compared as [code, VirtualService, path].
 *
 * Rows not here, and why: `virtualServiceGateways` httpbin / cross-test use Gateways without
 * servers, which Istio's own webhook rejects (ValidateGateway: at least one server); tcp/tls rows
 * of "dupmatches" are L4 routes, an edge error here; DestinationHostAnalyzer / DestinationRuleAnalyzer
 * rows are the loader's and compiler's findings (a missing origin warns, docs/routes.md).
 */
import { describe, expect, it } from "vitest";
import { formatIssue, loadConfig } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import { analyze, ruleFindings } from "../../../src/analyze/index.ts";

const UPSTREAM = "istio/istio pkg/config/analysis/analyzers/analyzers_test.go";

interface Case {
  name: string;
  upstream: string;
  yaml: string;
  /** [code, namespace/name, path] of every analyze finding with these codes. */
  expect: Array<[string, string, string]>;
}

const vs = (name: string, body: string, ns = "default") => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${ns} }
spec:
${body}`;

const gw = (name: string, hosts: string[], ns = "istio-system") => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${ns} }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ${JSON.stringify(hosts)} }]`;

const ROUTE = `route: [{ destination: { host: ratings.example.com } }]`;

const CASES: Case[] = [
  // --- "dupmatches" (testdata/virtualservice_dupmatches.yaml + virtualservice_overlappingmatches.yaml)
  {
    name: "a second rule without match after a fault rule without match is unreachable (IST0130)",
    upstream: `${UPSTREAM} "dupmatches": VirtualService foo/sample-foo-cluster01`,
    yaml: vs("sample-foo-cluster01", `  hosts: [sample.foo.svc.cluster.local]
  http:
    - fault: { delay: { fixedDelay: 5s, percentage: { value: 100 } } }
      route: [{ destination: { host: sample.foo.svc.cluster.local } }]
    - mirror: { host: sample.bar.svc.cluster.local }
      route: [{ destination: { host: sample.bar.svc.cluster.local } }]
`, "foo"),
    expect: [["unreachable-route", "foo/sample-foo-cluster01", "spec.http[1]"]],
  },
  {
    name: "the same match in two rules: the match is ineffective and the rule unreachable (names ignored)",
    upstream: `${UPSTREAM} "dupmatches": VirtualService duplicate-match (IST0130 + IST0131)`,
    yaml: vs("duplicate-match", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - name: to-foo
      match: [{ name: products, uri: { prefix: /api/v1/products } }]
      ${ROUTE}
    - name: to-bar
      match: [{ uri: { prefix: /api/v1/products } }]
      ${ROUTE}
`),
    expect: [
      ["unreachable-route", "default/duplicate-match", "spec.http[1]"],
      ["duplicate-match", "default/duplicate-match", "spec.http[1].match[0]"],
    ],
  },
  {
    name: "one repeated match of two: only the match is ineffective",
    upstream: `${UPSTREAM} "dupmatches": VirtualService almost-duplicate-match (IST0131)`,
    yaml: vs("almost-duplicate-match", `  hosts: [sample.bar.svc.cluster.local]
  http:
    - match: [{ uri: { prefix: /api/v1/products } }]
      ${ROUTE}
    - match:
        - { name: products, uri: { prefix: /api/v1/products } }
        - { name: potato, uri: { prefix: /potato } }
      ${ROUTE}
`),
    expect: [["duplicate-match", "default/almost-duplicate-match", "spec.http[1].match[0]"]],
  },
  {
    name: "a longer prefix with method GET is covered by the shorter prefix without method (no method means GET)",
    upstream: `${UPSTREAM} "dupmatches": VirtualService non-method-get (IST0131)`,
    yaml: vs("non-method-get", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match:
        - uri: { prefix: /api/v1/product }
        - uri: { prefix: /api/v1/products }
          method: { exact: GET }
      ${ROUTE}
`),
    expect: [["duplicate-match", "default/non-method-get", "spec.http[0].match[1]"]],
  },
  {
    name: "an exact uri is not part of the prefix overlap check",
    upstream: `${UPSTREAM} "dupmatches": VirtualService uri-with-prefix-exact (no finding)`,
    yaml: vs("uri-with-prefix-exact", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match:
        - uri: { prefix: /api }
        - uri: { exact: /api }
          method: { exact: GET }
      ${ROUTE}
`),
    expect: [],
  },
  {
    name: "overlapping prefixes inside one rule",
    upstream: `${UPSTREAM} "dupmatches": VirtualService overlapping-in-single-match (IST0131)`,
    yaml: vs("overlapping-in-single-match", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match:
        - { uri: { prefix: /api/v1/product }, method: { exact: GET } }
        - { uri: { prefix: /api/v1/products }, method: { exact: GET } }
      ${ROUTE}
`),
    expect: [["duplicate-match", "default/overlapping-in-single-match", "spec.http[0].match[1]"]],
  },
  {
    name: "overlapping prefixes across two rules",
    upstream: `${UPSTREAM} "dupmatches": VirtualService overlapping-in-two-matches (IST0131)`,
    yaml: vs("overlapping-in-two-matches", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match: [{ uri: { prefix: /api/v1/product }, method: { exact: GET } }]
      ${ROUTE}
    - match: [{ uri: { prefix: /api/v1/products }, method: { exact: GET } }]
      ${ROUTE}
`),
    expect: [["duplicate-match", "default/overlapping-in-two-matches", "spec.http[1].match[0]"]],
  },
  {
    name: "a different method is not covered, the same method is",
    upstream: `${UPSTREAM} "dupmatches": VirtualService overlapping-mathes-with-different-methods (IST0131)`,
    yaml: vs("different-methods", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match: [{ uri: { prefix: /api/v1/prod }, method: { exact: GET } }]
      ${ROUTE}
    - match:
        - { uri: { prefix: /api/v1/product }, method: { exact: GET } }
        - { uri: { prefix: /api/v1/products }, method: { exact: POST } }
      ${ROUTE}
`),
    expect: [["duplicate-match", "default/different-methods", "spec.http[1].match[0]"]],
  },
  // --- the issue's own case: rules after a catch-all match, which the compiled table drops
  {
    name: "every rule after a prefix-/ catch-all is unreachable, and so is a later rule without match",
    upstream: "issue #11 item 5 (an extension of Istio's 'route without matches defined before' to a match every request satisfies)",
    yaml: vs("after-catch-all", `  hosts: [sample.baz.svc.cluster.local]
  http:
    - match: [{ uri: { prefix: / } }]
      fault: { abort: { httpStatus: 503, percentage: { value: 1 } } }
      ${ROUTE}
    - match: [{ uri: { prefix: /api } }, { headers: { x-a: { exact: "1" } } }]
      ${ROUTE}
    - ${ROUTE}
`),
    expect: [
      ["unreachable-route", "default/after-catch-all", "spec.http[1].match[0]"],
      ["unreachable-route", "default/after-catch-all", "spec.http[1].match[1]"],
      ["unreachable-route", "default/after-catch-all", "spec.http[2]"],
    ],
  },
  // --- "host defined in virtualservice not found in the gateway" (testdata/virtualservice_host_not_found_gateway.yaml)
  {
    name: "IST0132: a host the gateway has, a host it has not",
    upstream: `${UPSTREAM} "host defined in virtualservice not found in the gateway": testing-service-01-test-01 (none), testing-service-02-test-01 (IST0132)`,
    yaml: [gw("gw1", ["testing-01.com"]), vs("ok", `  hosts: [testing-01.com]\n  gateways: [istio-system/gw1]\n  http: [{ ${ROUTE} }]\n`), vs("wrong", `  hosts: [wrong-01.com]\n  gateways: [istio-system/gw1]\n  http: [{ ${ROUTE} }]\n`)].join("\n---\n"),
    expect: [["host-not-in-gateway", "default/wrong", "spec.gateways[0]"]],
  },
  {
    name: "IST0132: a wildcard server host covers a VirtualService host, another domain is not covered",
    upstream: `${UPSTREAM} "host defined in virtualservice not found in the gateway": testing-service-01-test-02 (none), testing-service-02-test-02 (IST0132)`,
    yaml: [gw("gw2", ["*.testing-02.com"]), vs("ok", `  hosts: [web.testing-02.com]\n  gateways: [istio-system/gw2]\n  http: [{ ${ROUTE} }]\n`), vs("wrong", `  hosts: [web.wrong.com]\n  gateways: [istio-system/gw2]\n  http: [{ ${ROUTE} }]\n`)].join("\n---\n"),
    expect: [["host-not-in-gateway", "default/wrong", "spec.gateways[0]"]],
  },
  {
    name: "IST0132: hosts that match one of two gateways but not the other",
    upstream: `${UPSTREAM} "host defined in virtualservice not found in the gateway": testing-service-01-test-03 (none), testing-service-02-test-03 (IST0132)`,
    yaml: [
      gw("api", ["*.api.testing-03.com"]),
      gw("home", ["*.homepage.testing-03.com"]),
      vs("both", `  hosts: [user.api.testing-03.com, profile.homepage.testing-03.com]\n  gateways: [istio-system/api, istio-system/home]\n  http: [{ ${ROUTE} }]\n`),
      vs("one", `  hosts: [user.api.testing-03.com]\n  gateways: [istio-system/api, istio-system/home]\n  http: [{ ${ROUTE} }]\n`),
    ].join("\n---\n"),
    expect: [["host-not-in-gateway", "default/one", "spec.gateways[1]"]],
  },
  {
    name: "IST0132: every server of the gateway counts; hosts matching none of them",
    upstream: `${UPSTREAM} "host defined in virtualservice not found in the gateway": testing-service-01/02-test-04 (none), testing-service-03-test-04 (IST0132)`,
    yaml: [
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw4, namespace: istio-system }
spec:
  servers:
    - { port: { number: 80, name: http, protocol: HTTP }, hosts: ["*.testing-01-04.com"] }
    - { port: { number: 80, name: http2, protocol: HTTP }, hosts: [web.testing-02-04.com] }`,
      vs("exact", `  hosts: [web.testing-02-04.com]\n  gateways: [istio-system/gw4]\n  http: [{ ${ROUTE} }]\n`),
      vs("wild", `  hosts: [profile.user.testing-01-04.com]\n  gateways: [istio-system/gw4]\n  http: [{ ${ROUTE} }]\n`),
      vs("none", `  hosts: [user.testing-02-04.com, users.testing-02-04.com]\n  gateways: [istio-system/gw4]\n  http: [{ ${ROUTE} }]\n`),
    ].join("\n---\n"),
    expect: [["host-not-in-gateway", "default/none", "spec.gateways[0]"]],
  },
  {
    name: "IST0132 with namespace prefixes: ./host binds the Gateway's namespace only; */host and */* bind every namespace",
    upstream: `${UPSTREAM} "host defined in virtualservice not found in the gateway with ns": only default/testing-service-01-test-01`,
    yaml: [
      gw("dot", ["./testing-01.com"]),
      gw("star", ["*/testing-01.com"]),
      gw("all", ["*/*"]),
      vs("same-ns", `  hosts: [testing-01.com]\n  gateways: [istio-system/dot, istio-system/star, istio-system/all]\n  http: [{ ${ROUTE} }]\n`, "istio-system"),
      vs("other-ns", `  hosts: [testing-01.com]\n  gateways: [istio-system/dot, istio-system/star, istio-system/all]\n  http: [{ ${ROUTE} }]\n`),
    ].join("\n---\n"),
    expect: [["host-not-in-gateway", "default/other-ns", "spec.gateways[0]"]],
  },
];

// Like each upstream row, which runs one analyzer: the IST0132 rows look at IST0132 findings only
// (two of their VirtualServices share a host, which the table analysis rightly reports too).
const codesFor = (c: Case) => (c.name.startsWith("IST0132") ? new Set(["host-not-in-gateway"]) : new Set(["unreachable-route", "duplicate-match", "host-not-in-gateway"]));

describe("routes analyze agrees with istioctl analyze's test data", () => {
  it.each(CASES)("$name ($upstream)", async (c) => {
    const loaded = loadConfig([{ path: "case.yaml", text: c.yaml }]);
    expect(loaded.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
    const { table } = await compile(loaded.objects);
    const found = analyze(loaded.objects, table!).filter((i) => codesFor(c).has(i.code ?? ""));
    const vsAt = (line: number) => {
      const before = c.yaml.split("\n").slice(0, line).join("\n");
      const m = [...before.matchAll(/metadata: \{ name: ([^,]+), namespace: ([^ }]+) \}/g)].pop()!;
      return `${m[2]}/${m[1]}`;
    };
    const got = found.map((i) => [i.code!, vsAt(i.line), i.path]).sort();
    expect(got).toEqual([...c.expect].sort());
  });
});

describe("who raises the rule findings (DESIGN.md §9)", () => {
  it("Istio's own webhook warnings are kind source (validate --istio prints them); the catch-all-match extension is the edge's", () => {
    const text = [CASES[0]!.yaml, CASES.find((c) => c.name.startsWith("every rule after a prefix-/"))!.yaml].join("\n---\n");
    const { objects } = loadConfig([{ path: "case.yaml", text }]);
    const kinds = ruleFindings(objects).map((f) => [f.vs, f.path, f.kind ?? "edge"]);
    expect(kinds).toEqual([
      ["foo/sample-foo-cluster01", "spec.http[1]", "source"],
      ["default/after-catch-all", "spec.http[1].match[0]", "edge"],
      ["default/after-catch-all", "spec.http[1].match[1]", "edge"],
      ["default/after-catch-all", "spec.http[2]", "edge"],
    ]);
  });

  it("validate --istio prints Istio's own IST0130 warning and still accepts the config", async () => {
    const { runCli } = await import("../../../scripts/cli.ts");
    const { memoryIo } = await import("../../../scripts/lib/io.ts");
    const io = memoryIo();
    const code = await runCli(["validate", "--istio", "examples/istio/samples/bookinfo/networking/fault-injection-details-v1.yaml"], io);
    expect(code).toBe(0);
    expect(io.stdout.join("\n")).toContain("spec.http[1]: virtualService rule #1 not used (only the last rule can have no matches) (Istio IST0130)");
  });
});
