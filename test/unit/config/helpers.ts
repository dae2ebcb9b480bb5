import { loadConfig, type Issue, type SourceFile } from "../../../src/config/index.ts";

/** Text with one "⟨" marking where an issue is expected; returns the clean text and that position. */
export function marked(text: string): { text: string; line: number; col: number } {
  const i = text.indexOf("⟨");
  if (i < 0) throw new Error("fixture has no ⟨ marker");
  const before = text.slice(0, i);
  const line = before.split("\n").length;
  const col = i - before.lastIndexOf("\n");
  return { text: before + text.slice(i + 1), line, col };
}

/** Objects that make references in the VirtualService fixtures resolve. */
export const SUPPORT = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
  subsets:
  - name: v1
    labels: {version: v1}
`;

/** A VirtualService whose single http rule is `rule` (YAML at indent 0, first line after "- "). */
export function vsWithRule(rule: string): string {
  const [first, ...rest] = rule.replace(/^\n+|\s+$/g, "").split("\n");
  return [
    "apiVersion: networking.istio.io/v1",
    "kind: VirtualService",
    "metadata:",
    "  name: shop",
    "spec:",
    "  hosts: [shop.example.com]",
    "  gateways: [edge]",
    "  http:",
    `  - ${first}`,
    ...rest.map((l) => `    ${l}`),
    "",
  ].join("\n");
}

export function load(text: string, extra: SourceFile[] = [{ path: "routes/support.yaml", text: SUPPORT }]) {
  return loadConfig([{ path: "routes/shop.yaml", text }, ...extra]);
}

export function errors(issues: Issue[]): Issue[] {
  return issues.filter((i) => i.severity === "error");
}
