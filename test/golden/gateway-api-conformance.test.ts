/**
 * The Gateway API conformance tests restated for the edge (test/conformance/gateway-api/README.md):
 * every folder is one upstream test; its config is compiled with the shared infrastructure (and the
 * `same-namespace` Gateway unless the folder brings its own `gateway.yaml`), and every golden case
 * runs through the Worker's decide(), as `routes test` does.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/config/index.ts";
import { runGolden } from "../../scripts/lib/golden.ts";

const ROOT = "test/conformance/gateway-api";
const tests = readdirSync(join(ROOT, "tests")).sort();

for (const test of tests) {
  const dir = join(ROOT, "tests", test);
  const paths = [join(ROOT, "base", "infra.yaml"), ...(existsSync(join(dir, "gateway.yaml")) ? [] : [join(ROOT, "base", "same-namespace.yaml")]), dir];
  const run = await runGolden(paths);
  describe(`conformance ${test}`, () => {
    it("compiles without errors and has cases", () => {
      expect(run.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
      expect(run.results.length).toBeGreaterThan(0);
    });
    for (const r of run.results) it(`${r.name}`, () => expect(r.mismatches).toEqual([]));
  });
}
