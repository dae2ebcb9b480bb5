import { describe, expect, it } from "vitest";
import { ByteLru } from "./byte-lru.ts";

describe("ByteLru", () => {
  it("evicts the least recently used entries once the bytes exceed the limit", () => {
    const lru = new ByteLru<string>(100);
    lru.set("a", "A", 40);
    lru.set("b", "B", 40);
    lru.set("c", "C", 40); // 120 > 100: a goes
    expect([...lru.keys()]).toEqual(["b", "c"]);
    expect(lru.stats()).toMatchObject({ entries: 2, bytes: 80, evictions: 1 });
  });

  it("a hit makes an entry the most recently used, so another one is evicted first", () => {
    const lru = new ByteLru<string>(100);
    lru.set("a", "A", 40);
    lru.set("b", "B", 40);
    expect(lru.get("a")).toBe("A");
    lru.set("c", "C", 40);
    expect([...lru.keys()]).toEqual(["a", "c"]);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it("peek neither changes the order nor counts", () => {
    const lru = new ByteLru<string>(100);
    lru.set("a", "A", 40);
    lru.set("b", "B", 40);
    expect(lru.peek("a")).toBe("A");
    lru.set("c", "C", 40);
    expect(lru.has("a")).toBe(false);
    expect(lru.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  it("keeps the newest entry even when it alone is over the limit (the request that read it uses it)", () => {
    const lru = new ByteLru<string>(100);
    lru.set("a", "A", 10);
    lru.set("big", "BIG", 500);
    expect([...lru.keys()]).toEqual(["big"]);
    expect(lru.stats().bytes).toBe(500);
    lru.set("b", "B", 10);
    expect([...lru.keys()]).toEqual(["b"]);
  });

  it("replacing a key counts its new size once", () => {
    const lru = new ByteLru<string>(100);
    lru.set("a", "A", 60);
    lru.set("a", "A2", 30);
    expect(lru.stats()).toMatchObject({ entries: 1, bytes: 30, evictions: 0 });
    expect(lru.get("a")).toBe("A2");
  });

  it("a lower limit evicts at once; a higher one keeps everything", () => {
    const lru = new ByteLru<string>(1000);
    for (let i = 0; i < 10; i++) lru.set(`k${i}`, `v${i}`, 100);
    expect(lru.stats().bytes).toBe(1000);
    lru.setLimit(350);
    expect([...lru.keys()]).toEqual(["k7", "k8", "k9"]);
    lru.setLimit(10_000);
    expect(lru.stats().entries).toBe(3);
  });

  it("never holds more than the limit over a long random workload (except one oversized newest entry)", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const lru = new ByteLru<number>(5_000);
    for (let i = 0; i < 5_000; i++) {
      const key = `s${Math.floor(rand() * 200)}`;
      if (lru.get(key) === undefined) lru.set(key, i, 1 + Math.floor(rand() * 900));
      const st = lru.stats();
      expect(st.bytes <= 5_000 || st.entries === 1).toBe(true);
    }
    expect(lru.stats().evictions).toBeGreaterThan(100);
  });

  it("refuses a negative size", () => {
    expect(() => new ByteLru<string>(10).set("a", "A", -1)).toThrow(RangeError);
  });
});
