import { describe, expect, it } from "vitest";
import { configJsonSchema, formatIssue, formatPath } from "../../../src/config/index.ts";

describe("configJsonSchema", () => {
  it("offers the Istio and Gateway API kinds as alternatives and forbids unknown fields", () => {
    const schema = configJsonSchema() as { anyOf: Array<{ properties: { kind: { const: string }; spec: { additionalProperties: boolean } } }> };
    expect(schema.anyOf.map((k) => k.properties.kind.const)).toEqual(["Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Gateway", "HTTPRoute", "ReferenceGrant", "Namespace"]);
    // A Namespace's spec is free-form Kubernetes data (only its labels matter here).
    expect(schema.anyOf.filter((k) => k.properties.kind.const !== "Namespace").every((k) => k.properties.spec.additionalProperties === false)).toBe(true);
    expect(JSON.stringify(schema)).toContain('"mirrorPercentage"');
    expect(JSON.stringify(schema)).toContain('"backendRefs"');
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
