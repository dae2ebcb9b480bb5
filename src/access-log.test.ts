import { describe, expect, it } from "vitest";
import { isErrorOutcome, wantsAccessLog } from "./access-log.ts";
import { settings } from "./env.ts";

const never = () => {
  throw new Error("the die must not be rolled");
};

describe("ACCESS_LOG: which requests get a line", () => {
  const cases: Array<[string, { kind: string; attempts?: number; failure?: string; faultDelayMs?: number }, number, boolean]> = [
    ["a forwarded 200 in one attempt", { kind: "forward", attempts: 1 }, 200, false],
    ["an origin's own 404", { kind: "forward", attempts: 1 }, 404, false],
    ["an origin's 503", { kind: "forward", attempts: 1 }, 503, true],
    ["a 200 after a retry", { kind: "forward", attempts: 2 }, 200, true],
    ["an upstream failure", { kind: "forward", attempts: 3, failure: "upstream request timeout" }, 504, true],
    ["no route (404 from the gateway)", { kind: "noRoute" }, 404, true],
    ["no route table", { kind: "noRouteTable" }, 503, true],
    ["a bad request", { kind: "badRequest", failure: "bad path" }, 400, true],
    ["a refused method", { kind: "methodNotAllowed" }, 405, true],
    ["an injected abort with a 4xx", { kind: "faultAbort" }, 418, true],
    ["an injected delay before a 200", { kind: "forward", attempts: 1, faultDelayMs: 5 }, 200, true],
    ["a configured redirect", { kind: "redirect" }, 301, false],
    ["a direct response", { kind: "directResponse" }, 200, false],
    ["a CORS preflight", { kind: "corsPreflight" }, 200, false],
  ];
  for (const [name, outcome, status, error] of cases) {
    it(`${name}: ${error ? "an error, logged" : "not an error"} under "errors"`, () => {
      expect(isErrorOutcome(outcome, status)).toBe(error);
      expect(wantsAccessLog({ mode: "errors", sample: 1 }, outcome, status, never)).toBe(error);
      expect(wantsAccessLog({ mode: "off", sample: 1 }, outcome, status, never)).toBe(false);
      expect(wantsAccessLog({ mode: "all", sample: 1 }, outcome, status, never)).toBe(true);
      // Sampling never drops an error; other requests follow the die.
      expect(wantsAccessLog({ mode: "all", sample: 0.25 }, outcome, status, () => 0.9)).toBe(error);
      expect(wantsAccessLog({ mode: "all", sample: 0.25 }, outcome, status, () => 0.1)).toBe(true);
      expect(wantsAccessLog({ mode: "all", sample: 0 }, outcome, status, never)).toBe(error);
    });
  }

  it("parses the vars: default errors, all/off in any case, a sample between 0 and 1; anything else keeps the default and says so", () => {
    expect(settings({}).accessLog).toEqual({ mode: "errors", sample: 1 });
    expect(settings({ ACCESS_LOG: " ALL ", ACCESS_LOG_SAMPLE: "0.05" }).accessLog).toEqual({ mode: "all", sample: 0.05 });
    expect(settings({ ACCESS_LOG: "off" }).accessLog.mode).toBe("off");
    const bad = settings({ ACCESS_LOG: "verbose", ACCESS_LOG_SAMPLE: "5%" });
    expect(bad.accessLog).toEqual({ mode: "errors", sample: 1 });
    expect(bad.warnings).toEqual([
      'ACCESS_LOG="verbose" is not one of all, errors, off; using errors',
      'ACCESS_LOG_SAMPLE="5%" is not a fraction between 0 and 1; using 1',
    ]);
  });
});
