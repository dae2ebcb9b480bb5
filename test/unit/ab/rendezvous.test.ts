/**
 * Statistical and structural properties of the sticky assignment (DESIGN.md §4):
 * proportions, determinism, monotonicity, add/remove stability, independence between splits.
 * Populations are reproducible (seeded), so the thresholds are checked against fixed data; the
 * tolerance (±1 percentage point over 100,000 visitors) is ≥ 6σ of a fair multinomial.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assignVariant, hashToUnit, type VariantCandidate } from "../../../src/select/sticky.ts";
import { counterIds, maxDeviation, randomIds, shares } from "../../fixtures/ids.ts";

const N = 100_000;
const ONE_PP = 0.01;
const SPLIT = "shop/www/home-ab";

function candidates(weights: number[], prefix = "origin"): VariantCandidate[] {
  return weights.map((weight, i) => ({ key: `${prefix}-${i}.example.com/v${i}`, weight }));
}

function assignAll(ids: string[], split: string, cands: VariantCandidate[]): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = assignVariant(ids[i]!, split, cands);
  return out;
}

const RANDOM_IDS = randomIds(N, 0x5eed);
const COUNTER_IDS = counterIds(N);

describe("proportions follow the weights within ±1 percentage point over 100,000 visitors", () => {
  const vectors: Array<[string, number[]]> = [
    ["90/10", [90, 10]],
    ["50/50", [50, 50]],
    ["70/20/10", [70, 20, 10]],
    ["1/99", [1, 99]],
    ["25/75 (same as 1/3)", [25, 75]],
    ["five unequal variants", [5, 10, 15, 30, 40]],
  ];
  for (const [name, weights] of vectors) {
    it(`${name} with random visitor ids`, () => {
      const obs = shares(assignAll(RANDOM_IDS, SPLIT, candidates(weights)), weights.length);
      expect(maxDeviation(obs, weights)).toBeLessThan(ONE_PP);
    });
    it(`${name} with sequential visitor ids (weak-hash worst case)`, () => {
      const obs = shares(assignAll(COUNTER_IDS, SPLIT, candidates(weights)), weights.length);
      expect(maxDeviation(obs, weights)).toBeLessThan(ONE_PP);
    });
  }

  it("holds for arbitrary weight vectors (2–5 variants, weights 1–1000)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 5 }), fc.integer(), (weights, seed) => {
        const ids = randomIds(N, seed);
        const obs = shares(assignAll(ids, `split-${seed}`, candidates(weights)), weights.length);
        expect(maxDeviation(obs, weights)).toBeLessThan(ONE_PP);
      }),
      { numRuns: 8 },
    );
  }, 120_000); // 8 × 100,000 visitors: generous bound for a shared 2-core machine (not a timing assertion)
});

describe("determinism and identity", () => {
  it("gives the same answer for the same visitor, split and destinations", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 }), (v, s, w) => {
        const c = candidates(w);
        expect(assignVariant(v, s, c)).toBe(assignVariant(v, s, c.map((x) => ({ ...x }))));
      }),
    );
  });

  it("follows the destination key, not its position, when destinations are reordered", () => {
    const c = candidates([70, 20, 10]);
    const reversed = [...c].reverse();
    const differing = RANDOM_IDS.slice(0, 20_000).filter(
      (id) => reversed[assignVariant(id, SPLIT, reversed)]!.key !== c[assignVariant(id, SPLIT, c)]!.key,
    );
    expect(differing).toEqual([]);
  });

  it("does not confuse field boundaries (visitor+split vs split+key)", () => {
    expect(hashToUnit("ab", "c")).not.toBe(hashToUnit("a", "bc"));
    expect(hashToUnit("a", "")).not.toBe(hashToUnit("a"));
  });

  it("maps into the open interval (0, 1), uniformly across 100 buckets (chi-square, df 99)", () => {
    const buckets = new Array<number>(100).fill(0);
    let outside = 0;
    for (const id of COUNTER_IDS) {
      const u = hashToUnit(id, SPLIT);
      if (!(u > 0 && u < 1)) outside++;
      else buckets[Math.floor(u * 100)]!++;
    }
    expect(outside).toBe(0);
    const e = N / 100;
    const chi2 = buckets.reduce((acc, o) => acc + (o - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(148.2); // p = 0.001 critical value for 99 degrees of freedom
  });
});

describe("zero weights", () => {
  it("never chooses a zero-weight destination", () => {
    const c = candidates([0, 50, 0, 50]);
    const obs = shares(assignAll(RANDOM_IDS.slice(0, 20_000), SPLIT, c), 4);
    expect(obs[0]).toBe(0);
    expect(obs[2]).toBe(0);
  });
  it("returns -1 when no destination has a positive weight", () => {
    expect(assignVariant("00ff", SPLIT, candidates([0, 0]))).toBe(-1);
    expect(assignVariant("00ff", SPLIT, [])).toBe(-1);
  });
});

/** Visitors (of a 20,000 sample) whose assignment differs between `before` and `after` candidate lists. */
function moves(ids: string[], before: VariantCandidate[], after: VariantCandidate[]) {
  const out: Array<{ from: string; to: string }> = [];
  for (const id of ids) {
    const a = before[assignVariant(id, SPLIT, before)]!.key;
    const b = after[assignVariant(id, SPLIT, after)]!.key;
    if (a !== b) out.push({ from: a, to: b });
  }
  return out;
}

const SAMPLE = RANDOM_IDS.slice(0, 20_000);
const weightVector = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 5 });

describe("monotonicity: changing one weight moves visitors only into or out of that variant", () => {
  it("raising variant j's weight moves visitors only INTO j, about as many as its share grew", () => {
    fc.assert(
      fc.property(weightVector, fc.nat(), fc.integer({ min: 1, max: 200 }), (w, jRaw, delta) => {
        const j = jRaw % w.length;
        const before = candidates(w);
        const after = candidates(w.map((x, i) => (i === j ? x + delta : x)));
        const m = moves(SAMPLE, before, after);
        expect(m.filter((mv) => mv.to !== before[j]!.key)).toEqual([]);
        const W = w.reduce((a, b) => a + b, 0);
        const expected = (w[j]! + delta) / (W + delta) - w[j]! / W;
        expect(Math.abs(m.length / SAMPLE.length - expected)).toBeLessThan(0.015);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it("lowering variant j's weight moves only j's visitors OUT", () => {
    fc.assert(
      fc.property(weightVector, fc.nat(), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (w, jRaw, factor) => {
        const j = jRaw % w.length;
        const before = candidates(w);
        const after = candidates(w.map((x, i) => (i === j ? x * factor : x)));
        const m = moves(SAMPLE, before, after);
        expect(m.filter((mv) => mv.from !== before[j]!.key || mv.to === before[j]!.key)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it("a 10% → 20% canary rollout keeps every canary visitor and adds ≈ 1/9 of the stable ones", () => {
    const before = [{ key: "www/stable", weight: 90 }, { key: "www/canary", weight: 10 }];
    const after = [{ key: "www/stable", weight: 80 }, { key: "www/canary", weight: 20 }];
    const m = moves(RANDOM_IDS, before, after);
    expect(m.every((mv) => mv.from === "www/stable" && mv.to === "www/canary")).toBe(true);
    expect(Math.abs(m.length / N - 0.1)).toBeLessThan(ONE_PP);
  });
});

describe("adding and removing variants", () => {
  it("adding a variant of weight w takes ≈ w/(W+w) of visitors, all into the new one", () => {
    fc.assert(
      fc.property(weightVector, fc.integer({ min: 1, max: 100 }), (w, added) => {
        const before = candidates(w);
        const after = [...before, { key: "new-origin.example.com/vnew", weight: added }];
        const m = moves(SAMPLE, before, after);
        expect(m.filter((mv) => mv.to !== "new-origin.example.com/vnew")).toEqual([]);
        const W = w.reduce((a, b) => a + b, 0);
        expect(Math.abs(m.length / SAMPLE.length - added / (W + added))).toBeLessThan(0.015);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it("removing a variant moves only its own visitors, ≈ its share of them", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 5 }), fc.nat(), (w, rRaw) => {
        const r = rRaw % w.length;
        const before = candidates(w);
        const after = before.filter((_, i) => i !== r);
        const m = moves(SAMPLE, before, after);
        expect(m.filter((mv) => mv.from !== before[r]!.key)).toEqual([]);
        const W = w.reduce((a, b) => a + b, 0);
        expect(Math.abs(m.length / SAMPLE.length - w[r]! / W)).toBeLessThan(0.015);
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

describe("independence between splits", () => {
  it("assignment in split A tells nothing about split B (3×3 joint ≈ product, chi-square df 4)", () => {
    const a = candidates([50, 30, 20], "a");
    const b = candidates([60, 25, 15], "b");
    const joint = Array.from({ length: 3 }, () => new Array<number>(3).fill(0));
    for (const id of RANDOM_IDS) joint[assignVariant(id, "shop/www/hero", a)]![assignVariant(id, "shop/www/checkout", b)]!++;
    const rows = joint.map((r) => r.reduce((x, y) => x + y, 0));
    const cols = [0, 1, 2].map((j) => joint.reduce((x, r) => x + r[j]!, 0));
    let chi2 = 0;
    let maxCellDev = 0;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const e = (rows[i]! * cols[j]!) / N;
        chi2 += (joint[i]![j]! - e) ** 2 / e;
        maxCellDev = Math.max(maxCellDev, Math.abs(joint[i]![j]! - e) / N);
      }
    expect(chi2).toBeLessThan(18.47); // p = 0.001 critical value, 4 degrees of freedom
    expect(maxCellDev).toBeLessThan(ONE_PP);
  });

  it("the same destinations under two split ids agree only as often as chance predicts", () => {
    const c = candidates([50, 50]);
    let same = 0;
    for (const id of RANDOM_IDS) if (assignVariant(id, "split-1", c) === assignVariant(id, "split-2", c)) same++;
    expect(Math.abs(same / N - 0.5)).toBeLessThan(ONE_PP);
  });
});
