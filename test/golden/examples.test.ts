/**
 * The golden cases of every example in routes/ (DESIGN.md §7): the same files and the same
 * runner as `npm run routes -- test routes/`, one vitest test per case.
 */
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/config/index.ts";
import { runGolden } from "../../scripts/lib/golden.ts";

const run = await runGolden(["routes"]);

describe("routes/ examples", () => {
  it("compile without errors and have golden cases", () => {
    expect(run.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
    expect(run.caseFiles.length).toBeGreaterThan(0);
    expect(run.results.length).toBeGreaterThan(0);
  });

  it("have every http[] rule exercised by at least one case", () => {
    const uncovered = run.coverage?.entries.filter((e) => e.hits === 0).map((e) => `${e.virtualService} ${e.name} (${e.source ?? "?"})`);
    expect(uncovered).toEqual([]);
  });

  for (const r of run.results) {
    it(`${r.file}:${r.line} ${r.name}`, () => {
      expect(r.mismatches).toEqual([]);
    });
  }
});
