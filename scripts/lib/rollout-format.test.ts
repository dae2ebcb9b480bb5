/** What `routes rollout status` prints, from statuses the real judge produced (test/fixtures/rollout-status.ts). */
import { describe, expect, it } from "vitest";
import { columns, formatActed, formatList, formatStatus } from "./rollout-format.ts";
import { act, startRollout } from "../../src/rollout/judge.ts";
import { aborted, advancing, SPEC, status, T0 } from "../../test/fixtures/rollout-status.ts";

describe("rollout status: the list", () => {
  it("one row per rollout: state, weights the Worker serves, last decision and why", () => {
    const lines = formatList([status(advancing()), status({ ...aborted(), name: "default/search" })]);
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+PRIMARY\s+CANARY\s+LAST DECISION$/);
    expect(lines[1]).toMatch(/^default\/checkout\s+progressing, step 3 of 3 \(50%\)\s+50%\s+50%\s+advance: checks passed: advance 25% → 50%$/);
    expect(lines[2]).toMatch(/^default\/search\s+aborted\s+100%\s+0%\s+abort: success rate 40% < 99%; .*failed check 2 of 2: abort, canary weight 0$/);
    // Columns line up: every row's weights start where the header's do.
    const at = lines[0]!.indexOf("PRIMARY");
    expect(lines.slice(1).every((l) => /^\s*\d/.test(l.slice(at)))).toBe(true);
  });

  it("a rollout not started yet, or whose object did not answer, says so instead of inventing a decision", () => {
    const fresh = status(startRollout(SPEC, T0), "initial");
    const gone = status({ ...startRollout(SPEC, T0), name: "default/search" }, "unreachable", "the rollout object did not answer within 1000 ms");
    const [, a, b] = formatList([fresh, gone]);
    expect(a).toMatch(/^default\/checkout\s+not started\s+100%\s+0%\s+none yet$/);
    expect(b).toMatch(/^default\/search\s+unknown \(object unreachable\)\s+100%\s+0%\s+the rollout object did not answer within 1000 ms$/);
  });

  it("no Canary in the active table: one sentence, not an empty table", () => {
    expect(formatList([])).toEqual(["no rollouts: the active route table has no Canary document"]);
  });
});

describe("rollout status NAME", () => {
  it("step, weights (and the pushed ones when they differ), analysis, failed checks, last decision and why", () => {
    const out = formatStatus(status(advancing()));
    const field = (name: string) => out.find((l) => l.startsWith(`${name} `))?.slice(name.length).trim();
    expect(field("rollout")).toBe("default/checkout");
    expect(field("state")).toBe("progressing, step 3 of 3 (50%)");
    expect(field("drives")).toBe("VirtualService default/shop, rule checkout: checkout.internal/v1 (primary), checkout.internal/v2 (canary)");
    expect(field("weights")).toBe("primary 50%, canary 50% (pushed: primary 100%, canary 0%)");
    expect(field("steps")).toBe("5% → 25% → 50% → 100%");
    expect(field("analysis")).toBe("every 1m: success rate ≥ 99% and at most 1 point below the primary's; p99 ≤ 500 ms; at least 20 canary requests to judge; abort after 2 failed checks");
    expect(field("failures")).toBe("5xx, gateway errors, timeouts count as failed requests");
    expect(field("failed checks")).toBe("1 of 2");
    expect(field("last decision")).toBe("advance at 2026-12-03 19:04:00Z: checks passed: advance 25% → 50%");
  });

  it("the history: each interval's metrics per variant, its decision and reason, events without metrics", () => {
    const out = formatStatus(status(advancing()));
    const start = out.indexOf("history (newest last):");
    expect(start).toBeGreaterThan(0);
    const [header, ...rows] = out.slice(start + 1);
    expect(header!.trim().split(/\s{2,}/)).toEqual(["TIME", "DECISION", "WEIGHT", "PRIMARY REQ", "FAILED", "OK", "P99", "CANARY REQ", "FAILED", "OK", "P99", "REASON"]);
    const cells = rows.map((r) => r.trim().split(/\s{2,}/));
    expect(cells.map((c) => c[1])).toEqual(["start", "insufficient", "advance", "hold", "advance"]);
    expect(cells[0]).toEqual(["2026-12-03 19:00:00Z", "start", "5%", "started at 5%"]);
    expect(cells[3]).toEqual([
      "2026-12-03 19:03:00Z",
      "hold",
      "25%",
      "750",
      "0",
      "100%",
      "22.74 ms",
      "250",
      "5",
      "98%",
      "35.53 ms",
      "success rate 98% < 99%; success rate 98% is 2 points below the primary's 100% (max 1) — failed check 1 of 2: hold at 25%",
    ]);
    expect(cells[1]![11]).toBe("10 canary request(s) < minRequests 20: no decision");
  });

  it("an abort shows the p99 beyond the histogram (null in JSON) as over 60 s", () => {
    const out = formatStatus(status(aborted()));
    const abort = out.find((l) => /\babort\b/.test(l) && l.includes("19:02:00Z") && l.startsWith("  "))!;
    expect(abort.trim().split(/\s{2,}/).slice(7, 11)).toEqual(["50", "30", "40%", "over 60 s"]);
    expect(out.find((l) => l.startsWith("state "))).toMatch(/aborted$/);
    expect(out.find((l) => l.startsWith("weights "))).toMatch(/primary 100%, canary 0%$/);
  });

  it("--last N keeps the newest N entries and says how many there are", () => {
    const out = formatStatus(status(advancing()), 2);
    const start = out.findIndex((l) => l.startsWith("history"));
    expect(out[start]).toBe("history (newest last; 2 of 5, --last N for more):");
    expect(out.slice(start + 2).map((l) => l.trim().split(/\s{2,}/)[1])).toEqual(["hold", "advance"]);
  });

  it("an operator's pause is in the history as an event with its reason", () => {
    const paused = act(advancing(), "pause", T0 + 5 * 60_000, "operator");
    const out = formatStatus(status(paused));
    expect(out.find((l) => l.startsWith("state "))).toMatch(/paused at step 3 of 3 \(50%\)$/);
    expect(out.at(-1)!.trim().split(/\s{2,}/)).toEqual(["2026-12-03 19:05:00Z", "pause", "50%", "operator: pause at 50%"]);
  });

  it("not started: no invented history; unreachable: the reason, the weights the Worker keeps, no invented decision", () => {
    const fresh = formatStatus(status(startRollout(SPEC, T0), "initial"));
    expect(fresh.find((l) => l.startsWith("last decision"))).toMatch(/none yet$/);
    expect(fresh.find((l) => l.startsWith("note"))).toMatch(/has no state for this Canary yet; the Worker serves the pushed weights$/);
    expect(fresh.some((l) => l.startsWith("history"))).toBe(false);
    const gone = formatStatus(status(advancing(), "unreachable", "timeout"));
    expect(gone.find((l) => l.startsWith("note"))).toMatch(/did not answer \(timeout\); the Worker keeps the weights it last knew \(above\), or the pushed ones$/);
    expect(gone.find((l) => l.startsWith("last decision"))).toMatch(/unknown \(the object did not answer\)$/);
    expect(gone.some((l) => l.startsWith("history"))).toBe(false);
  });
});

describe("after an action", () => {
  it("one sentence: the new state, the weights, and the event's reason", () => {
    const s = status(act(advancing(), "abort", T0 + 5 * 60_000, "operator"));
    expect(formatActed("abort", s)).toBe("abort: default/checkout is aborted, primary 100%, canary 0% (operator: abort, canary weight 0)");
  });
});

describe("columns", () => {
  it("pads every column but the last to its widest cell, numbers right-aligned", () => {
    expect(columns([["a", "1", "x"], ["bbb", "22", "y y"]], new Set([1]))).toEqual(["a     1  x", "bbb  22  y y"]);
  });
});
