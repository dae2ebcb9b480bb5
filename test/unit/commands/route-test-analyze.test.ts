/**
 * The routes CLI commands that prove routes before a push: `route` (explain one request),
 * `test` (golden cases, expected/actual diff, coverage, --fail-under), `analyze` and the analyze
 * warnings in `validate`. Small YAML fixtures in temp dirs, run in-process through runCli like
 * `npm run routes -- …`, plus one real subprocess run for the exit code a CI job sees.
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { casesJsonSchema } from "../../../src/cases/schema.ts";
import { gatewayYaml, virtualServiceYaml, WEB_V1_V2, yamlFile } from "../../fixtures/istio.ts";
import { routesCli as cli, tempFolders } from "../../fixtures/cli.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const folders = tempFolders("routes-prove-");
afterAll(() => folders.cleanup());

/** A temp dir holding the given files; returns its path. */
const dir = (files: Record<string, string>) => folders.make(files);

/** 1-based line of the first line containing `needle`, and the column where `at` starts in it. */
function position(text: string, needle: string, at = needle): { line: number; col: number } {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  expect(i, `fixture line with ${needle}`).toBeGreaterThanOrEqual(0);
  return { line: i + 1, col: lines[i]!.indexOf(at) + 1 };
}

// Three rules: header routing, a redirect, an 80/20 split. DNS endpoints on port 80, so the
// config has no edge warnings of its own.
const SHOP = yamlFile(
  gatewayYaml({ hosts: ["shop.example.com"] }),
  virtualServiceYaml(
    `
    - name: beta-users
      match:
        - headers:
            x-user-group: { exact: beta }
      route:
        - destination: { host: web.internal.example, subset: v2 }
      headers:
        request:
          set: { x-beta: "1" }
    - name: old-catalog
      match:
        - uri: { prefix: /old/ }
      redirect:
        prefixRewrite: /catalog/
        redirectCode: 308
    - name: split
      route:
        - destination: { host: web.internal.example, subset: v1 }
          weight: 80
        - destination: { host: web.internal.example, subset: v2 }
          weight: 20
`,
    { name: "shop", hosts: ["shop.example.com"] },
  ),
  WEB_V1_V2,
);

const GOOD_CASES = `cases:
  - name: beta users get v2 and the x-beta header
    request:
      url: http://shop.example.com/cart
      headers: { x-user-group: beta }
    expect:
      route: beta-users
      destination: { host: web.internal.example, subset: v2 }
      requestHeaders: { x-beta: "1" }
  - name: old catalog links redirect with 308
    request:
      url: http://shop.example.com/old/shoes?size=42
    expect:
      kind: redirect
      status: 308
      location: http://shop.example.com/catalog/shoes?size=42
  - name: die 0.79 stays in the 80% of v1
    request:
      url: http://shop.example.com/
      random: 0.79
    expect:
      variant: web.internal.example/v1
      upstreamUrl: http://v1.web.example.net/
`;

// One wrong expectation: the beta rule sends to v2, not v1.
const WRONG_CASES = `cases:
  - name: beta users get v2
    request:
      url: http://shop.example.com/cart
      headers: { x-user-group: beta }
    expect:
      route: beta-users
  - name: beta users wrongly expected on v1
    request:
      url: http://shop.example.com/cart
      headers: { x-user-group: beta }
    expect:
      destination: { host: web.internal.example, subset: v1 }
      requestHeaders: { x-beta: "2" }
`;

// Only the redirect rule is exercised: 1 of 3 rules.
const PARTIAL_CASES = `cases:
  - name: old catalog links redirect
    request: { url: "http://shop.example.com/old/x" }
    expect: { status: 308 }
`;

describe("routes route", () => {
  const d = dir({ "shop.yaml": SHOP });

  it("explains header routing in human form: rule, match, source line, destination, upstream, header ops", async () => {
    const r = await cli("route", d, "--url", "http://shop.example.com/cart", "-H", "x-user-group: beta");
    expect(r.code).toBe(0);
    const line = position(SHOP, "- name: beta-users").line;
    expect(r.stdout).toEqual(
      expect.arrayContaining([
        "request           GET http://shop.example.com/cart",
        "virtual host      shop.example.com",
        `route             beta-users  (default/shop, match[0])  ${path.join(d, "shop.yaml")}:${line}`,
        "decision          forward",
        "destination       web.internal.example subset v2 port 80",
        "upstream          http://v2.web.example.net/cart",
        "request headers   set    x-beta: 1",
        "timeout           none (Istio default)",
      ]),
    );
  });

  it("--json gives the same decision as data", async () => {
    const r = await cli("route", d, "--url", "http://shop.example.com/cart", "-H", "x-user-group: beta", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      kind: "forward",
      route: "beta-users",
      virtualService: "default/shop",
      destination: { host: "web.internal.example", subset: "v2", port: 80 },
      upstreamUrl: "http://v2.web.example.net/cart",
      requestHeaders: { "x-user-group": "beta", "x-beta": "1" },
      timeoutMs: null,
      retries: 2,
    });
  });

  it.each([
    ["0", "v1"],
    ["0.79", "v1"],
    ["0.8", "v2"],
    ["0.99", "v2"],
  ])("--random %s pins the 80/20 split to %s", async (random, subset) => {
    const r = await cli("route", d, "--url", "http://shop.example.com/", "--random", random, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect([j.route, j.variant, j.upstreamUrl]).toEqual(["split", `web.internal.example/${subset}`, `http://${subset}.web.example.net/`]);
  });

  it("shows the variant of a split in human form", async () => {
    const r = await cli("route", d, "--url", "http://shop.example.com/", "--random", "0.8");
    expect(r.stdout).toContain("variant           web.internal.example/v2");
  });

  it("explains a redirect: status and Location, query kept", async () => {
    const r = await cli("route", d, "--url", "http://shop.example.com/old/shoes?size=42");
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(expect.arrayContaining(["decision          redirect → 308", "location          http://shop.example.com/catalog/shoes?size=42"]));
    const j = JSON.parse((await cli("route", d, "--url", "http://shop.example.com/old/shoes?size=42", "--json")).out);
    expect(j).toMatchObject({ kind: "redirect", route: "old-catalog", status: 308, location: "http://shop.example.com/catalog/shoes?size=42" });
  });

  it("is a usage error (exit 2) without --url or with a --random outside [0,1)", async () => {
    expect((await cli("route", d)).code).toBe(2);
    const bad = await cli("route", d, "--url", "http://shop.example.com/", "--random", "1.5");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/random/);
  });
});

describe("routes test", () => {
  it("passes a good cases file with 100% rule coverage", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": GOOD_CASES });
    const r = await cli("test", d, "--fail-under", "100");
    expect(r.code).toBe(0);
    const cases = path.join(d, "shop.cases.yaml");
    expect(r.stdout).toEqual([
      `ok    ${cases}:2 beta users get v2 and the x-beta header`,
      `ok    ${cases}:10 old catalog links redirect with 308`,
      `ok    ${cases}:17 die 0.79 stays in the 80% of v1`,
      "",
      "3 passed, 0 failed",
      "route coverage: 3/3 http[] rules (100%)",
    ]);
  });

  it("finds the cases file beside a route file given by name", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": GOOD_CASES });
    const r = await cli("test", path.join(d, "shop.yaml"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("3 passed, 0 failed");
  });

  it("fails (exit 1) on a wrong expectation with a readable expected/actual diff per field", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": WRONG_CASES });
    const r = await cli("test", d);
    expect(r.code).toBe(1);
    const cases = path.join(d, "shop.cases.yaml");
    const failing = r.stdout.indexOf(`FAIL  ${cases}:8 beta users wrongly expected on v1`);
    expect(failing).toBeGreaterThan(0);
    expect(r.stdout.slice(failing, failing + 8)).toEqual([
      `FAIL  ${cases}:8 beta users wrongly expected on v1`,
      "      decided: forward via beta-users (default/shop)",
      "      destination",
      '        expected: {"host":"web.internal.example","subset":"v1"}',
      '        actual:   {"host":"web.internal.example","subset":"v2","port":80}',
      "      requestHeaders.x-beta",
      '        expected: "2"',
      '        actual:   "1"',
    ]);
    expect(r.stdout).toContain(`ok    ${cases}:2 beta users get v2`);
    expect(r.stdout).toContain("1 passed, 1 failed");
  });

  it("reports the rules no case exercised, with their file:line", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": PARTIAL_CASES });
    const r = await cli("test", d);
    expect(r.code).toBe(0); // coverage alone fails only with --fail-under
    const file = path.join(d, "shop.yaml");
    expect(r.stdout).toContain("route coverage: 1/3 http[] rules (33.3%)");
    expect(r.stdout).toContain(`  not covered: default/shop beta-users  ${file}:${position(SHOP, "- name: beta-users").line}`);
    expect(r.stdout).toContain(`  not covered: default/shop split  ${file}:${position(SHOP, "- name: split").line}`);
    expect(r.out).not.toContain("not covered: default/shop old-catalog");
  });

  it("fails under --fail-under when coverage is lower, and passes at or above it", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": PARTIAL_CASES });
    const under = await cli("test", d, "--fail-under", "90");
    expect(under.code).toBe(1);
    expect(under.err).toContain("route coverage 33.3% is under --fail-under 90%");
    expect((await cli("test", d, "--fail-under", "33")).code).toBe(0);
    expect((await cli("test", d, "--fail-under", "abc")).code).toBe(2);
  });

  it("locates a mistyped expectation field in the cases file (file:line:col) and fails", async () => {
    const text = "cases:\n  - name: typo\n    request: { url: http://shop.example.com/ }\n    expect:\n      stauts: 200\n";
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": text });
    const r = await cli("test", d);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(d, "shop.cases.yaml")}:5:7: cases[0].expect.stauts: unknown field "stauts" (did you mean "status"?)`);
  });

  it("fails when no cases file sits beside the routes", async () => {
    const r = await cli("test", dir({ "shop.yaml": SHOP }));
    expect(r.code).toBe(1);
    expect(r.err).toContain("no *.cases.yaml found");
  });

  it("exits 1 as a real process on a wrong expectation (what a CI step sees)", async () => {
    const d = dir({ "shop.yaml": SHOP, "shop.cases.yaml": WRONG_CASES });
    const run = promisify(execFile)(process.execPath, ["--experimental-strip-types", "--no-warnings", "scripts/routes.ts", "test", d, "--fail-under", "90"], { cwd: ROOT });
    const failure = await run.then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain("FAIL  ");
    expect(failure?.stdout).toContain("1 passed, 1 failed");
  }, 30_000);
});

// A route shadowed by an earlier broader prefix, and a subset selecting no endpoint.
const FLAWED = SHOP.replace(
  "    - name: split\n",
  `    - name: catalog
      match:
        - uri: { prefix: /catalog }
      route:
        - destination: { host: web.internal.example, subset: v1 }
    - name: catalog-v2
      match:
        - uri: { prefix: /catalog/v2 }
      route:
        - destination: { host: web.internal.example, subset: v2 }
    - name: split
`,
).replace("    - { name: v2, labels: { version: v2 } }\n", "    - { name: v2, labels: { version: v2 } }\n    - { name: v3, labels: { version: v3 } }\n");

describe("routes analyze / validate", () => {
  const d = dir({ "shop.yaml": FLAWED });
  const file = path.join(d, "shop.yaml");
  const unreachable = position(FLAWED, "prefix: /catalog/v2", "uri");
  const emptySubset = position(FLAWED, "name: v3", "labels");

  it("analyze finds the unreachable route and the empty subset, each at file:line:col", async () => {
    const r = await cli("analyze", d);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual([
      `${file}:${unreachable.line}:${unreachable.col}: warning: spec.http[3].match[0]: on host shop.example.com this route can never match: the earlier catalog (default/shop http[2].match[0]) catches every request it would (like Istio IST0130)`,
      `${file}:${emptySubset.line}:${emptySubset.col}: warning: spec.subsets[2].labels: subset v3 selects no endpoint of web.internal.example (labels version=v3); requests routed to it get 503 "no healthy upstream"`,
      "2 warning(s)",
    ]);
  });

  it("analyze --strict fails on warnings (for CI); a clean config passes it", async () => {
    expect((await cli("analyze", "--strict", d)).code).toBe(1);
    const clean = await cli("analyze", "--strict", dir({ "shop.yaml": SHOP }));
    expect([clean.code, clean.out]).toEqual([0, "no findings"]);
  });

  it("validate prints the analyze warnings and still accepts the config", async () => {
    const r = await cli("validate", d);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${file}:${unreachable.line}:${unreachable.col}: warning: spec.http[3].match[0]: on host shop.example.com this route can never match`);
    expect(r.out).toContain(`${file}:${emptySubset.line}:${emptySubset.col}: warning: spec.subsets[2].labels: subset v3 selects no endpoint`);
    expect(r.out).toMatch(/1 file: 0 errors, 2 warnings/);
    expect(r.out).toMatch(/valid: 1 host, 5 routes, 2 upstreams/);
  });
});

describe("routes analyze / validate: risky configs (issue #18 item 8)", () => {
  // The shop with two risky edits: the redirect lands under its own prefix, and a response header
  // echoes the request's cookies.
  const RISKY = SHOP.replace("prefixRewrite: /catalog/", "prefixRewrite: /old/catalog/")
    .replace('set: { x-beta: "1" }', 'set: { x-beta: "1" }\n        response:\n          set: { x-seen-cookie: "%REQ(Cookie)%" }');
  const d = dir({ "shop.yaml": RISKY });
  const file = path.join(d, "shop.yaml");

  it("analyze and validate print the redirect loop and the echoed cookie at file:line:col", async () => {
    const loop = position(RISKY, "redirect:");
    const secret = position(RISKY, "x-seen-cookie", '"%REQ(Cookie)%"');
    for (const command of ["analyze", "validate"]) {
      const r = await cli(command, d);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${file}:${loop.line}:${loop.col}: warning: spec.http[1].redirect: redirect loop: GET http://shop.example.com/old/ → 308 http://shop.example.com/old/catalog/ → 308 http://shop.example.com/old/catalog/catalog/`);
      expect(r.out).toContain(`${file}:${secret.line}:${secret.col}: warning: spec.http[0].headers.response.set.x-seen-cookie: response header x-seen-cookie copies the request's cookie`);
    }
  });
});

describe("golden cases schema", () => {
  it("the committed schema/cases.schema.json is what `npm run routes -- schema` generates now", () => {
    // If this fails, src/cases/schema.ts changed: run `npm run routes -- schema` and commit schema/.
    expect(JSON.parse(readFileSync(path.join(ROOT, "schema/cases.schema.json"), "utf8"))).toEqual(casesJsonSchema());
  });

  it("schema writes the cases schema beside the routes schema", async () => {
    const d = dir({});
    const r = await cli("schema", "--out", path.join(d, "routes.schema.json"));
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(d, "cases.schema.json"), "utf8"))).toEqual(casesJsonSchema());
  });

  it.each(["bookinfo", "traffic-shifting", "canary", "resilience"])("routes/%s.cases.yaml points its editor at the cases schema", (name) => {
    expect(readFileSync(path.join(ROOT, `routes/${name}.cases.yaml`), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/cases.schema.json");
  });
});
