import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import { Spill } from "./spill.ts";
import type { CompiledRule } from "../../src/compile/rule.ts";

const rule = (name: string, extra: Record<string, unknown> = {}): CompiledRule =>
  ({ name, ruleIndex: 0, source: "a.yaml:3", matches: null, body: { action: { kind: "route", destinations: [] }, ...extra } }) as unknown as CompiledRule;

describe("Spill", () => {
  it("reads back every parked value, equal, after more values than it caches", () => {
    const spill = new Spill();
    const values = Array.from({ length: 300 }, (_, i) => ({ i, text: "é".repeat(i % 7), list: [i, { deep: `v${i}` }] }));
    const slots = values.map((v) => spill.park(JSON.stringify(v)));
    // In reverse: the first ones were evicted from the cache long ago and come from the file.
    for (let i = values.length - 1; i >= 0; i--) expect(spill.read(slots[i]!)).toEqual(values[i]);
    expect(spill.bytes).toBe(values.reduce((n, v) => n + Buffer.byteLength(JSON.stringify(v)), 0));
    spill.close();
  });

  it("leaves no file behind, and a closed spill says so instead of returning nothing", () => {
    // A folder of its own: other suites make spill files in the shared temp folder meanwhile.
    const dir = mkdtempSync(path.join(os.tmpdir(), "spill-test-"));
    const spill = new Spill(64, dir);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
    const slots = Array.from({ length: 100 }, (_, i) => spill.park(JSON.stringify({ i })));
    spill.close();
    expect(() => spill.read(slots[0]!)).toThrow(/spill file is closed/);
  });

  it("a rule store gives every rule back its action object, shared, and round-trips actions past its pool", () => {
    const spill = new Spill(0); // no cache: every read parses the file
    const store = spill.ruleStore();
    const shared = { kind: "route", destinations: [{ host: "o.internal", cluster: "o.internal||80", port: 80, weight: 1 }], totalWeight: 1 };
    const withAction = (name: string, action: object) => ({ ...rule(name), body: { action } }) as unknown as CompiledRule;
    for (let i = 0; i < 100; i++) store.set(`ns/a${i}`, [withAction(`a${i}`, shared), withAction(`b${i}`, shared)]);
    // More distinct actions than the pool keeps (4096): the later ones are written with their rules.
    const distinct = Array.from({ length: 4200 }, (_, i) => ({ ...shared, totalWeight: i + 2 }));
    distinct.forEach((a, i) => store.set(`ns/d${i}`, [withAction(`d${i}`, a)]));
    for (let i = 0; i < 100; i++) {
      const got = store.get(`ns/a${i}`)!;
      expect(got[0]!.body.action).toBe(shared);
      expect(got[1]!.body.action).toBe(shared);
    }
    distinct.forEach((a, i) => expect(store.get(`ns/d${i}`)![0]!.body.action).toEqual(a));
    expect(store.get("ns/d4199")![0]!.body.action).not.toBe(distinct[4199]);
    expect(store.get("ns/d0")![0]!.body.action).toBe(distinct[0]);
    spill.close();
  });

  it("a folder it cannot write in gives an error that says what failed and what to do", () => {
    expect(() => new Spill(64, "/nonexistent-folder/for-spill")).toThrow(/spill file in .* could not be created \(ENOENT.*set TMPDIR/);
  });

  it("a rule store keeps insertion order, hands back what was set, and keeps rules JSON cannot hold in memory", () => {
    const spill = new Spill();
    const store = spill.ruleStore();
    const names = Array.from({ length: 200 }, (_, i) => `ns/vs-${i}`);
    for (const n of names) store.set(n, [rule(n)]);
    // Not exact in JSON: an undefined member. It must come back as set (not with the member dropped).
    const odd = [rule("odd", { timeoutMs: undefined })];
    store.set("ns/odd", odd);
    expect([...store.keys()]).toEqual([...names, "ns/odd"]);
    for (const n of names) expect(store.get(n)).toEqual([rule(n)]);
    expect(store.get("ns/odd")).toBe(odd);
    expect("timeoutMs" in store.get("ns/odd")![0]!.body).toBe(true);
    expect(store.has("ns/vs-3")).toBe(true);
    expect(store.has("ns/none")).toBe(false);
    expect(store.get("ns/none")).toBeUndefined();
    // A changed rule set again is what later reads see, also once evicted from the cache.
    const changed = store.get("ns/vs-0")!;
    changed[0]!.name = "renamed";
    store.set("ns/vs-0", changed);
    for (const n of names.slice(1)) store.get(n);
    expect(store.get("ns/vs-0")![0]!.name).toBe("renamed");
    spill.close();
  });
});
