/**
 * The golden cases of every example in routes/ (DESIGN.md §7): the same files and the same
 * runner as `npm run routes -- test routes/`, one vitest test per case. Also examples/canary (the
 * progressive-delivery walkthrough of docs/canary.md, kept out of routes/ so the default
 * `npm start` demo runs no rollout).
 */
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/config/index.ts";
import { runGolden } from "../../scripts/lib/golden.ts";
import { canariesOf } from "../../src/rollout/status.ts";

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

const canary = await runGolden(["examples/canary"]);

describe("examples/canary (docs/canary.md walkthrough)", () => {
  it("compiles without errors, with its two Canaries, and every rule has a case", () => {
    expect(canary.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual([]);
    expect(canary.results.length).toBeGreaterThan(0);
    expect(canary.coverage?.entries.filter((e) => e.hits === 0)).toEqual([]);
    expect(canariesOf(canary.table!).map((c) => [c.rollout.name, c.rule, c.primary, c.canary, c.rollout.steps])).toEqual([
      ["default/checkout", "checkout", "checkout.internal/v1", "checkout.internal/v2", [20, 40, 60, 80]],
      ["default/search", "search", "search.internal/v1", "search.internal/v2", [20, 40, 60, 80]],
    ]);
  });

  for (const r of canary.results) {
    it(`${r.file}:${r.line} ${r.name}`, () => {
      expect(r.mismatches).toEqual([]);
    });
  }
});
