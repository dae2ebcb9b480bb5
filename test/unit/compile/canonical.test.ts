import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { canonicalJson, tableHash } from "../../../src/compile/index.ts";
import { tableSummary } from "../../../src/table/describe.ts";
import { inflateTable } from "../../../src/table/codec.ts";
import { parseStoredTable } from "../../fixtures/table.ts";
import { TABLE_VERSION, type RouteTable } from "../../../src/table/types.ts";
import { gateway, table, vs } from "./helpers.ts";

function emptyTable(): RouteTable {
  const listener = { port: null, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null };
  return { tableVersion: TABLE_VERSION, hash: "", istio: "1.28", listeners: { http: listener, https: { ...listener } }, vhosts: [], clusters: {} };
}

describe("canonical JSON and content hash", () => {
  it("sorts keys at every depth and omits undefined properties", () => {
    const t = emptyTable();
    t.clusters = { "b||": { host: "b", external: true, endpoints: [] }, "a||": { host: "a", external: true, endpoints: [], subset: undefined } };
    const json = canonicalJson(t);
    expect(json.indexOf('"a||"')).toBeLessThan(json.indexOf('"b||"'));
    expect(json).not.toContain("subset");
    expect(json).toMatch(/^\{"actionPool":\[\],"clusters":\{"a\|\|":\{"endpoints":\[\],"external":true,"host":"a"\}/);
    expect(parseStoredTable(json)).toEqual(JSON.parse(JSON.stringify(t)));
  });

  it("does not depend on the insertion order of object keys", () => {
    const a = emptyTable();
    const b = emptyTable();
    a.clusters = { "x||": { host: "x", external: true, endpoints: [] }, "y||": { host: "y", external: true, endpoints: [] } };
    b.clusters = { "y||": { endpoints: [], external: true, host: "y" }, "x||": { external: true, host: "x", endpoints: [] } };
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it("is stable for integer-like keys too (endpoint labels such as \"10\" and \"9\")", () => {
    const a = emptyTable();
    const b = emptyTable();
    a.clusters = { "x||": { host: "x", external: false, endpoints: [{ url: "http://x", weight: 1, labels: { "10": "a", "9": "b", z: "c" } }] } };
    b.clusters = { "x||": { host: "x", external: false, endpoints: [{ url: "http://x", weight: 1, labels: { z: "c", "9": "b", "10": "a" } }] } };
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it("leaves routes' source locations out of the stored bytes, but keeps a label named source", () => {
    const t = emptyTable();
    const route = { name: "r", virtualService: "default/v", ruleIndex: 0, matchIndex: null, source: "routes/a.yaml:12", match: null, action: { kind: "directResponse" as const, status: 200 } };
    t.vhosts = [{ domain: "a.com", port: 80, httpsRedirect: false, routes: [route] }];
    t.clusters = { "x||": { host: "x", external: false, endpoints: [{ url: "http://x", weight: 1, labels: { source: "kept" } }] } };
    const json = canonicalJson(t);
    expect(json).not.toContain("routes/a.yaml");
    expect(json).toContain('"source":"kept"');
    const moved = structuredClone(t);
    moved.vhosts[0]!.routes[0]!.source = "routes/a.yaml:40";
    expect(canonicalJson(moved)).toBe(json);
  });

  it("stores each distinct route action once and restores the table exactly", () => {
    const t = emptyTable();
    const same = { kind: "route" as const, destinations: [{ host: "a", cluster: "a||", weight: 1 }], totalWeight: 1 };
    const r = (name: string, action: typeof same | { kind: "directResponse"; status: number }) => ({ name, virtualService: "default/v", ruleIndex: 0, matchIndex: null, match: null, action });
    t.vhosts = [{ domain: "a.com", port: 80, httpsRedirect: false, routes: [r("x", same), r("y", { ...same }), r("z", { kind: "directResponse", status: 204 })] }];
    const json = canonicalJson(t);
    const stored = JSON.parse(json) as { actionPool: unknown[]; vhosts: Array<{ routes: Array<{ action: unknown }> }> };
    expect(stored.actionPool).toHaveLength(2);
    expect(stored.vhosts[0]!.routes.map((x) => x.action)).toEqual([0, 0, 1]);
    expect(parseStoredTable(json)).toEqual(JSON.parse(JSON.stringify(t)));
  });

  it("rejects a stored table whose route names an action outside the pool", () => {
    const bad = { actionPool: [{ kind: "directResponse", status: 200 }], vhosts: [{ routes: [{ action: 3 }] }] };
    expect(inflateTable(bad)).toMatch(/route action 3 is not in actionPool \(1 entries\)/);
    expect(inflateTable({ vhosts: [{ routes: [{ action: { kind: "directResponse", status: 200 } }] }] })).toBeNull();
  });

  it("refuses non-finite numbers instead of writing null", () => {
    const t = emptyTable();
    t.vhosts = [{ domain: "a.com", port: Number.NaN, httpsRedirect: false, routes: [] }];
    expect(() => canonicalJson(t)).toThrow(/non-finite/);
  });

  it("hashes the canonical JSON with hash set to \"\" (sha-256 hex)", async () => {
    const t = emptyTable();
    const expected = createHash("sha256").update(canonicalJson(t)).digest("hex");
    expect(await tableHash(t)).toBe(expected);
    expect(await tableHash({ ...t, hash: "anything" })).toBe(expected);
  });

  it("stores the hash of the table in the compiled table", async () => {
    const t = await table(gateway(["a.com"]) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- route: [{destination: {host: s1.example.com}}]`));
    expect(t.hash).toBe(await tableHash(t));
  });

  it("summarizes hosts, routes over all vhosts, and clusters", async () => {
    const t = await table(
      gateway(["a.com", "b.com"]) +
        vs("v", `hosts: [a.com, b.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /x}}]\n  route: [{destination: {host: s1.example.com}}]\n- route: [{destination: {host: s2.example.com}}]`),
    );
    const s = tableSummary(t);
    expect({ vhosts: s.vhosts, routes: s.routes, clusters: s.clusters, hosts: [...s.hosts].sort() }).toEqual({ vhosts: 2, routes: 4, clusters: 2, hosts: ["a.com", "b.com"] });
  });
});
