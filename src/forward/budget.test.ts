import { describe, expect, it } from "vitest";
import { DEFAULT_SUBREQUEST_BUDGET, SubrequestBudget, subrequestBudgetFromVar } from "./budget.ts";

describe("subrequestBudgetFromVar", () => {
  it.each<[string | undefined, number]>([
    [undefined, DEFAULT_SUBREQUEST_BUDGET],
    ["", DEFAULT_SUBREQUEST_BUDGET],
    ["  ", DEFAULT_SUBREQUEST_BUDGET],
    ["1000", 1000],
    [" 12 ", 12],
    ["1", 1],
    ["0", DEFAULT_SUBREQUEST_BUDGET],
    ["-5", DEFAULT_SUBREQUEST_BUDGET],
    ["2.5", DEFAULT_SUBREQUEST_BUDGET],
    ["fifty", DEFAULT_SUBREQUEST_BUDGET],
  ])("%j → %i", (raw, expected) => {
    expect(subrequestBudgetFromVar(raw)).toBe(expected);
  });
  it("defaults to the Free plan's 50 subrequests per request", () => {
    expect(DEFAULT_SUBREQUEST_BUDGET).toBe(50);
  });
});

describe("SubrequestBudget", () => {
  it("grants exactly `limit` subrequests and never one more", () => {
    const b = new SubrequestBudget(3);
    expect([b.take(), b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false, false]);
    expect(b.used).toBe(3);
    expect(b.remaining).toBe(0);
    expect(b.denied).toBe(2);
  });

  it("counts subrequests by kind", () => {
    const b = new SubrequestBudget(10);
    b.take("attempt");
    b.take("attempt");
    b.takeSpare(0, "mirror");
    b.take("redirect");
    expect([b.usedBy("attempt"), b.usedBy("mirror"), b.usedBy("redirect"), b.used]).toEqual([2, 1, 1, 4]);
  });

  it("lets a mirror through only when the primary's reserved retries still fit", () => {
    const b = new SubrequestBudget(4);
    expect(b.take()).toBe(true); // first attempt
    // 3 left; the primary may still retry twice ⇒ one spare for a mirror.
    expect(b.takeSpare(2)).toBe(true);
    expect(b.takeSpare(2)).toBe(false);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });

  it("treats a negative reserve as none", () => {
    const b = new SubrequestBudget(1);
    expect(b.takeSpare(-3)).toBe(true);
    expect(b.takeSpare(-3)).toBe(false);
  });

  it("always allows at least the first attempt", () => {
    expect(new SubrequestBudget(0).take()).toBe(true);
  });
});
