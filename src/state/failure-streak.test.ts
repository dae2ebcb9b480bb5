import { describe, expect, it } from "vitest";
import { FailureStreak, STREAK_GAP_MS } from "./failure-streak.ts";

describe("FailureStreak", () => {
  it("logs the first failure of a streak only, keeps the last one for the report, and logs again after a quiet minute", () => {
    const lines: Array<Record<string, unknown>> = [];
    const f = new FailureStreak("state plane: x unreachable; keeping y");
    expect(f.last).toBeNull();
    f.record(new Error("timeout"), 1_000, (e) => lines.push(e));
    f.record(new Error("reset"), 2_000, (e) => lines.push(e));
    f.record("plain", 2_000 + STREAK_GAP_MS, (e) => lines.push(e));
    expect(lines).toEqual([{ ts: new Date(1_000).toISOString(), level: "warn", msg: "state plane: x unreachable; keeping y", detail: "timeout" }]);
    expect(f.last).toEqual({ at: 2_000 + STREAK_GAP_MS, detail: "plain" });
    f.record(new Error("again"), 3_001 + 2 * STREAK_GAP_MS, (e) => lines.push(e));
    expect(lines.map((l) => l.detail)).toEqual(["timeout", "again"]);
  });
});
