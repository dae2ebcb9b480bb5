import { describe, expect, it } from "vitest";
import { clusterKey, type StickySplit, type WeightedDestination } from "../table/types.ts";
import { assignSticky, assignVariant, candidateKeys, candidatesOf, variantName } from "./sticky.ts";

const d = (host: string, subset?: string, port?: number, weight = 1): WeightedDestination => ({
  host,
  subset,
  port,
  weight,
  cluster: clusterKey(host, subset, port),
});

describe("variantName", () => {
  it.each([
    ["names a host alone", d("a.example"), "a.example"],
    ["joins host and subset with /", d("svc", "v2"), "svc/v2"],
    ["leaves the port out", d("svc", "v2", 8080), "svc/v2"],
  ])("%s", (_n, dest, want) => expect(variantName(dest)).toBe(want));
});

describe("candidateKeys", () => {
  it("uses host/subset without the port, so a port filled in from the ServiceEntry does not re-deal visitors", () => {
    expect(candidateKeys([d("svc", "a", 80), d("svc", "b", 80)])).toEqual(["svc/a", "svc/b"]);
    expect(candidateKeys([d("svc", "a"), d("svc", "b")])).toEqual(["svc/a", "svc/b"]);
  });
  it("adds the port only to tell one host/subset on two ports apart", () => {
    expect(candidateKeys([d("svc", "a", 80), d("svc", "a", 8080), d("svc", "b", 80)])).toEqual(["svc/a:80", "svc/a:8080", "svc/b"]);
  });
  it("numbers exact duplicates by occurrence", () => {
    expect(candidateKeys([d("svc", "a"), d("svc", "b"), d("svc", "a")])).toEqual(["svc/a", "svc/b", "svc/a#2"]);
  });
});

describe("assignSticky", () => {
  const sticky: StickySplit = { cookie: "v", ttlSeconds: 0, path: "/", splitId: "ns/vs/r" };
  it("agrees with assignVariant over the candidate keys", () => {
    const ds = [d("svc", "a", 80, 30), d("svc", "b", 80, 70)];
    for (const id of ["00", "01", "02", "03", "abcdef"]) {
      expect(assignSticky(id, sticky, ds)).toBe(assignVariant(id, "ns/vs/r", [{ key: "svc/a", weight: 30 }, { key: "svc/b", weight: 70 }]));
    }
  });
  it("caches candidates per destinations array (tables are immutable)", () => {
    const ds = [d("svc", "a"), d("svc", "b")];
    expect(candidatesOf(ds)).toBe(candidatesOf(ds));
  });
  it("gives a heavier duplicate and a lighter one each a fair share", () => {
    const ds = [d("svc", "a", undefined, 1), d("svc", "a", undefined, 1)];
    const counts = [0, 0];
    for (let i = 0; i < 4000; i++) counts[assignSticky(i.toString(16).padStart(32, "0"), sticky, ds)]!++;
    expect(counts[0]).toBeGreaterThan(1800);
    expect(counts[1]).toBeGreaterThan(1800);
  });
});
