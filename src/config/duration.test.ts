import { describe, expect, it } from "vitest";
import { durationProblem, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each<[string, number]>([
    ["1h", 3_600_000], ["1m", 60_000], ["30s", 30_000], ["0.5s", 500], ["250ms", 250], ["1.5s", 1500],
    ["1h30m", 5_400_000], ["0.1s", 100], ["1000us", 1], ["0s", 0], ["2000000ns", 2],
  ])("parses %s as %i ms", (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(["5", "-1s", "1.5", "s", "", "1 s", "1.0005s", "1us", "1d", "1S", "+1s"])("rejects %j", (s) => expect(parseDuration(s)).toBeNull());
});

describe("durationProblem", () => {
  it("explains a missing unit with an example", () => expect(durationProblem("5")).toBe(`expected a duration like "1.5s" or "250ms", got "5"`));
  it("explains a number", () => expect(durationProblem(5)).toBe(`expected a duration like "1.5s" or "250ms", got 5`));
  it("rejects 0s below the 1 ms minimum", () => expect(durationProblem("0s")).toMatch(/minimum is 1ms/));
  it("asks for whole seconds where required", () => expect(durationProblem("1500ms", { wholeSeconds: true, minMs: 1000 })).toMatch(/whole number of seconds/));
  it("accepts a valid value", () => expect(durationProblem("1.5s")).toBeNull());
});
