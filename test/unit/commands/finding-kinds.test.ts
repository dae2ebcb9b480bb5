/**
 * The three kinds of finding (DESIGN.md §9) as the CLI shows them: Istio's own errors, edge errors
 * (Istio accepts, the edge cannot serve) and fields ignored at the edge; `validate --istio` gives
 * Istio's verdict alone, and `push` writes nothing on an edge error. Run in-process like
 * `npm run routes -- …` on temp-dir fixtures.
 */
import { afterAll, describe, expect, it } from "vitest";
import { routesCli as cli, tempFolders } from "../../fixtures/cli.ts";
import { formatIssue, tally, type Issue } from "../../../src/config/index.ts";

const folders = tempFolders("routes-kinds-");
afterAll(() => folders.cleanup());
const dir = (files: Record<string, string>) => folders.make(files);

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["shop.example.com"]
---
`;
const vs = (extra: string) => `${GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: api.example.com}}]
${extra}`;

// Ignored at the edge: tcp.maxConnections and idleTimeout of the standard circuit breaker.
const IGNORED = `${vs("")}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1, idleTimeout: 30s}
`;
// Edge error: a TCP route (Istio accepts it).
const EDGE = vs(`  tcp:
  - route: [{destination: {host: db.example.com}}]
`);
// Istio error: a redirect whose uri and authority are both empty.
const ISTIO = `${GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - redirect: {uri: "", authority: ""}
`;

describe("finding kinds in validate", () => {
  it("an ignored field is a labelled warning; the config stays valid", async () => {
    const r = await cli("validate", dir({ "a.yaml": IGNORED }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/a\.yaml:\d+:\d+: warning \(ignored at the edge\): spec\.trafficPolicy\.connectionPool\.tcp\.maxConnections: tcp\.maxConnections is ignored/);
    expect(r.out).toMatch(/warning \(ignored at the edge\): spec\.trafficPolicy\.connectionPool\.http\.maxRequestsPerConnection/);
    expect(r.out).toMatch(/warning \(ignored at the edge\): spec\.trafficPolicy\.connectionPool\.http\.idleTimeout/);
    expect(r.out).toMatch(/1 file: 0 errors, \d+ warnings \(3 ignored at the edge\)/);
    expect(r.out).toMatch(/^valid: /m);
  });

  it("an edge error says why and what to do, fails validate, and is not Istio's verdict", async () => {
    const d = dir({ "a.yaml": EDGE });
    const r = await cli("validate", d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/a\.yaml:\d+:\d+: edge error: spec\.tcp\[0\]: tcp routes cannot be served: the edge proxies HTTP only; route TCP with Cloudflare Spectrum/);
    expect(r.out).toMatch(/1 file: 1 error \(1 edge error\), /);
    const istio = await cli("validate", "--istio", d);
    expect(istio.code).toBe(0);
    expect(istio.out).not.toMatch(/tcp routes cannot be served/);
    expect(istio.out).toMatch(/Istio accepts this config/);
  });

  it("an Istio error fails both validate and validate --istio, printed as before", async () => {
    const d = dir({ "a.yaml": ISTIO });
    for (const argv of [["validate", d], ["validate", "--istio", d]]) {
      const r = await cli(...argv);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/a\.yaml:16:5: spec\.http\[0\]\.redirect: a redirect must specify uri, authority, scheme or port/);
    }
    expect((await cli("validate", "--istio", d)).err).toMatch(/Istio rejects this config/);
  });

  it("--istio keeps Istio's own warnings and drops the edge's", async () => {
    const d = dir({
      "a.yaml": vs(`    mirrorPercent: 5
    mirror: {host: copy.example.com}
`).replace("  - route:", "  - route:"),
    });
    const r = await cli("validate", "--istio", d);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warning: spec\.http\[0\]\.mirrorPercent: using deprecated setting "mirrorPercent", use "mirrorPercentage" instead/);
    expect(r.out).toMatch(/1 file: 0 errors, 1 warning \(Istio's verdict only\)/);
  });

  it("push writes nothing when the only error is an edge error", async () => {
    const d = dir({ "a.yaml": EDGE });
    const state = folders.make();
    const r = await cli("push", "--local", "--persist-to", state, "--dry-run", d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/edge error: spec\.tcp\[0\]/);
    expect(r.err).toMatch(/push refused: the config has errors; nothing was written/);
  });
});

describe("formatIssue and tally per kind", () => {
  const base: Issue = { severity: "error", file: "a.yaml", line: 3, col: 5, path: "spec.x", message: "m" };
  it("labels edge errors and ignored warnings, and prints Istio's findings as before", () => {
    expect(formatIssue({ ...base, kind: "source" })).toBe("a.yaml:3:5: spec.x: m");
    expect(formatIssue({ ...base, kind: "edge" })).toBe("a.yaml:3:5: edge error: spec.x: m");
    expect(formatIssue({ ...base, severity: "warning", kind: "ignored" })).toBe("a.yaml:3:5: warning (ignored at the edge): spec.x: m");
    expect(formatIssue({ ...base, severity: "warning", kind: "source" })).toBe("a.yaml:3:5: warning: spec.x: m");
  });
  it("counts edge errors and ignored warnings in the tally", () => {
    const issues: Issue[] = [
      { ...base, kind: "source" },
      { ...base, kind: "edge" },
      { ...base, severity: "warning", kind: "ignored" },
      { ...base, severity: "warning", kind: "source" },
    ];
    expect(tally(issues)).toBe("2 errors (1 edge error), 2 warnings (1 ignored at the edge)");
    expect(tally([])).toBe("0 errors, 0 warnings");
  });
});
