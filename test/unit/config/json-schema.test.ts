import { describe, expect, it } from "vitest";
import { configJsonSchema, formatIssue, formatPath } from "../../../src/config/index.ts";

describe("configJsonSchema", () => {
  it("offers the Istio and Gateway API kinds and our Canary as alternatives and forbids unknown fields", () => {
    const schema = configJsonSchema() as { anyOf: Array<{ properties: { kind: { const: string }; spec: { additionalProperties: boolean } } }> };
    expect(schema.anyOf.map((k) => k.properties.kind.const)).toEqual(["Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Gateway", "HTTPRoute", "ReferenceGrant", "Namespace", "Canary"]);
    // A Namespace's spec is free-form Kubernetes data (only its labels matter here).
    expect(schema.anyOf.filter((k) => k.properties.kind.const !== "Namespace").every((k) => k.properties.spec.additionalProperties === false)).toBe(true);
    expect(JSON.stringify(schema)).toContain('"mirrorPercentage"');
    expect(JSON.stringify(schema)).toContain('"backendRefs"');
  });
});

describe("configJsonSchema: the Canary kind (issue #14)", () => {
  type Node = { type?: string; const?: string; properties?: Record<string, Node>; required?: string[]; additionalProperties?: boolean; items?: Node; anyOf?: Node[]; enum?: string[]; minimum?: number; maximum?: number; default?: unknown };
  const canary = () => (configJsonSchema() as { anyOf: Node[] }).anyOf.find((k) => k.properties?.kind?.const === "Canary")!;

  it("names our apiVersion and requires the target, both destinations and the analysis", () => {
    const c = canary();
    expect(c.properties!.apiVersion!.const).toBe("edge-gateway.dev/v1alpha1");
    const spec = c.properties!.spec!;
    expect(spec.required).toEqual(["target", "primary", "canary", "analysis"]);
    expect(spec.properties!.target!.required).toEqual(["virtualService", "rule"]);
    expect(spec.properties!.primary!.required).toEqual(["host"]);
    expect(c.properties!.metadata!.required).toEqual(["name"]);
  });

  it("offers every analysis field with its bounds and defaults, and rejects unknown ones (a typo like `threshhold`)", () => {
    const a = canary().properties!.spec!.properties!.analysis!;
    expect(Object.keys(a.properties!).sort()).toEqual(["failures", "interval", "latencyP99", "maxWeight", "minRequests", "stepWeight", "stepWeights", "successRate", "threshold"]);
    expect(a.required).toEqual(["interval", "threshold"]);
    expect(a.additionalProperties).toBe(false);
    expect(a.properties!.minRequests!.default).toBe(100);
    expect(a.properties!.successRate!.properties!.min).toMatchObject({ minimum: 0, maximum: 100 });
    expect(a.properties!.latencyP99!.properties!.maxRatio).toMatchObject({ minimum: 1 });
    expect(a.properties!.failures!.properties!.statuses!.items!.anyOf![0]!.enum).toEqual(["5xx", "4xx"]);
    // Every object of the kind is closed, as the loader is (unknown fields are errors, DESIGN.md §3).
    const open: string[] = [];
    const walk = (n: Node, at: string) => {
      if (n.type === "object" && n.properties && n.additionalProperties !== false) open.push(at);
      for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${at}.${k}`);
      if (n.items) walk(n.items, `${at}[]`);
    };
    walk(canary(), "Canary");
    expect(open).toEqual([]);
  });
});

describe("formatIssue", () => {
  it("prints file:line:col: path: message", () => {
    expect(formatIssue({ severity: "error", file: "routes/shop.yaml", line: 14, col: 7, path: "spec.http[2].timeout", message: 'expected a duration like "1.5s" or "250ms", got "5"' })).toBe(
      'routes/shop.yaml:14:7: spec.http[2].timeout: expected a duration like "1.5s" or "250ms", got "5"',
    );
  });
  it("prefixes warnings after the location", () => {
    expect(formatIssue({ severity: "warning", file: "a.yaml", line: 1, col: 2, path: "spec", message: "m" })).toBe("a.yaml:1:2: warning: spec: m");
  });
  it("quotes map keys that are not identifiers", () => {
    expect(formatPath(["spec", "http", 0, "headers", "request", "set", ":path"])).toBe('spec.http[0].headers.request.set[":path"]');
  });
});
