import { describe, expect, it } from "vitest";
import { startArgs } from "./start-args.ts";

describe("npm start arguments", () => {
  it("serves routes/ with the demo tour by default", () => {
    expect(startArgs([])).toEqual({ paths: ["routes"], custom: false });
  });
  it("serves the given files and folders (--routes, repeatable, or plain paths)", () => {
    expect(startArgs(["--routes", "a.yaml", "--routes", "origins.yaml"])).toEqual({ paths: ["a.yaml", "origins.yaml"], custom: true });
    expect(startArgs(["examples/istio/samples/httpbin"])).toEqual({ paths: ["examples/istio/samples/httpbin"], custom: true });
    expect(startArgs(["--routes=x", "y"])).toEqual({ paths: ["x", "y"], custom: true });
  });
  it("rejects an unknown option instead of ignoring it", () => {
    expect(() => startArgs(["--rotues", "x"])).toThrow(/rotues/);
  });
});
