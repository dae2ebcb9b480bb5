/**
 * PATH_NORMALIZATION through the real Worker: with Istio's default BASE, `//admin` slips past a
 * `prefix: /admin` deny rule to the catch-all (documented in SECURITY.md); MERGE_SLASHES and
 * DECODE_AND_MERGE_SLASHES close that gap, and the origin receives the normalised path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";
import type { RouteTable } from "../../src/table/types.ts";

let origin: EchoOrigin;
const gateways: Record<string, Gateway> = {};
const MODES = ["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"] as const;

/** A deny rule, then a catch-all to the origin: the shape SECURITY.md warns about. */
let denyThenCatchAll: RouteTable;

beforeAll(async () => {
  origin = await startEchoOrigin("site");
  denyThenCatchAll = await compiledTable(
    yamlFile(
      gatewayYaml(),
      serviceEntryYaml("site.internal", [origin.url]),
      virtualServiceYaml(`
        - name: deny-admin
          match: [{ uri: { prefix: /admin } }]
          directResponse: { status: 403, body: { string: denied } }
        - name: site
          route: [{ destination: { host: site.internal } }]
          retries: { attempts: 0 }`),
    ),
  );
  for (const mode of MODES) {
    gateways[mode] = await startGateway({ PATH_NORMALIZATION: mode });
    await gateways[mode]!.push(denyThenCatchAll);
  }
});

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((g) => g.close()));
  await origin?.close();
});

describe("PATH_NORMALIZATION", () => {
  it("keeps BASE for an unknown value and says so in the log once", async () => {
    const gw = await startGateway({ PATH_NORMALIZATION: "MERGE_SLASH" });
    try {
      await gw.push(denyThenCatchAll);
      const res = await gw.fetch("http://shop.example//admin");
      expect(res.status).toBe(200);
      await gw.fetch("http://shop.example//admin");
      const warnings = gw.logs.filter((l) => l.includes('PATH_NORMALIZATION=\\"MERGE_SLASH\\" is not one of'));
      expect(warnings).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  it.each([
    // [mode, request path, status, path the origin receives (null = never reaches it)]
    ["BASE", "//admin", 200, "//admin"],
    ["BASE", "/%2F/admin", 200, "/%2F/admin"],
    ["MERGE_SLASHES", "//admin", 403, null],
    ["MERGE_SLASHES", "///admin/x", 403, null],
    ["MERGE_SLASHES", "/%2F/admin", 200, "/%2F/admin"],
    ["MERGE_SLASHES", "/a//b", 200, "/a/b"],
    ["DECODE_AND_MERGE_SLASHES", "//admin", 403, null],
    ["DECODE_AND_MERGE_SLASHES", "/%2F/admin", 403, null],
    ["DECODE_AND_MERGE_SLASHES", "/%5Cadmin", 403, null],
    ["DECODE_AND_MERGE_SLASHES", "/x%2Fy", 200, "/x/y"],
  ] as const)("%s: %s → %i", async (mode, path, status, upstreamPath) => {
    const before = origin.seen.length;
    const res = await gateways[mode]!.fetch(`http://shop.example${path}`);
    expect(res.status).toBe(status);
    if (upstreamPath === null) {
      expect(res.text()).toBe("denied");
      expect(origin.seen.length).toBe(before);
    } else {
      expect(origin.seen.at(-1)!.path).toBe(upstreamPath);
    }
  });
});
