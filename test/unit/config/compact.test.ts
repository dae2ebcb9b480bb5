/**
 * load.ts `compact`: a validated value is rebuilt by JSON.parse (half the memory of zod's output
 * objects, issue #16 item 2) only when that gives back exactly the same value; anything else is
 * kept as it is. Same value = same keys (undefined members included), same prototypes, leaves
 * equal by Object.is (-0, NaN, Infinity).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compact } from "../../../src/config/load.ts";

function same(a: unknown, b: unknown, where = "$"): void {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    expect(Object.is(a, b), `${where}: ${String(a)} vs ${String(b)}`).toBe(true);
    return;
  }
  expect(Object.getPrototypeOf(b), `${where}: prototype`).toBe(Object.getPrototypeOf(a));
  expect(Array.isArray(b)).toBe(Array.isArray(a));
  expect(Reflect.ownKeys(b), `${where}: keys`).toEqual(Reflect.ownKeys(a));
  for (const k of Reflect.ownKeys(a)) same((a as Record<PropertyKey, unknown>)[k], (b as Record<PropertyKey, unknown>)[k], `${where}.${String(k)}`);
}

describe("compact", () => {
  it("gives back the same value on random data, special numbers and undefined members included", () => {
    const leaf = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.double(), fc.integer(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 5e-324), fc.constant(undefined));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node")), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "toJSON", "constructor", "10", "9")), tie("node"))),
    })).node;
    let rebuilt = 0;
    fc.assert(
      fc.property(value, (v) => {
        const c = compact(v);
        same(v, c);
        if (c !== v && typeof v === "object" && v !== null) rebuilt++;
      }),
      { numRuns: 500 },
    );
    expect(rebuilt).toBeGreaterThan(20); // plain data is rebuilt, not only passed through
  });

  it("keeps what JSON would change: -0, NaN, undefined members, holes, non-plain objects", () => {
    const special = [{ a: -0 }, { a: [1, NaN] }, { a: undefined }, [1, , 3], { d: new Date(0) }, Object.create(null) as object, { m: new Map() }];
    for (const v of special) expect(compact(v)).toBe(v);
    const plain = { spec: { http: [{ name: "r", route: [{ destination: { host: "a" }, weight: 10 }] }], hosts: ["x"] }, n: 1.5, t: true, z: null };
    const c = compact(plain);
    expect(c).not.toBe(plain);
    expect(c).toEqual(plain);
  });
});
