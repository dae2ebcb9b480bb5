import { describe, expect, it } from "vitest";
import type { ActivePointer } from "../store/keys.ts";
import type { PointerRead } from "../store/read.ts";
import { createPointerSource, newerPointer, type ObjectPointerRead } from "./pointer.ts";

const ptr = (version: string, at: number, reason: ActivePointer["reason"] = "push"): ActivePointer => ({
  version,
  activatedAt: new Date(at).toISOString(),
  reason,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(opts: { object: ObjectPointerRead; kvRecheckMs?: number }) {
  const clock = { t: 1_000_000 };
  let kvPointer: PointerRead = { kind: "pointer", pointer: ptr("kv1", 0) };
  const kvReads: number[] = [];
  const readKv = async () => {
    kvReads.push(clock.t);
    return kvPointer;
  };
  const src = createPointerSource({
    readObject: opts.object,
    now: () => clock.t,
    kvRecheckMs: opts.kvRecheckMs ?? 30_000,
    objectTimeoutMs: 1000,
    objectBackoffMs: 5000,
  });
  return {
    clock,
    kvReads,
    setKv: (p: PointerRead) => (kvPointer = p),
    read: () => src.source(readKv),
    status: () => src.status(),
  };
}

const version = (r: PointerRead) => (r.kind === "pointer" ? r.pointer.version : `failed:${r.reason}`);

describe("newerPointer", () => {
  it("takes the later flip, the object's on a tie, and whichever exists when one is missing", () => {
    expect(newerPointer(ptr("o", 10), ptr("k", 5))?.version).toBe("o");
    expect(newerPointer(ptr("o", 5), ptr("k", 10))?.version).toBe("k");
    expect(newerPointer(ptr("o", 5), ptr("k", 5))?.version).toBe("o");
    expect(newerPointer(null, ptr("k", 5))?.version).toBe("k");
    expect(newerPointer(ptr("o", 5), null)?.version).toBe("o");
    expect(newerPointer(null, null)).toBeNull();
  });

  it("treats an unparsable activatedAt as older than any date", () => {
    expect(newerPointer({ version: "o", activatedAt: "soon", reason: "push" }, ptr("k", 0))?.version).toBe("k");
  });
});

describe("the state plane's pointer source", () => {
  it("serves the object's newer pointer and reads KV only every kvRecheckMs while the object answers", async () => {
    let obj: ActivePointer | null = ptr("obj2", 50);
    const s = setup({ object: async () => obj });
    expect(version(await s.read())).toBe("obj2");
    expect(s.kvReads).toHaveLength(1); // first refresh reads both
    s.clock.t += 5_000;
    obj = ptr("obj3", 60);
    expect(version(await s.read())).toBe("obj3");
    expect(s.kvReads).toHaveLength(1);
    s.clock.t += 30_000;
    await s.read();
    expect(s.kvReads).toHaveLength(2);
  });

  it("lets a later KV flip win over an older object pointer (a push without --gateway)", async () => {
    const s = setup({ object: async () => ptr("obj", 100), kvRecheckMs: 0 });
    s.setKv({ kind: "pointer", pointer: ptr("kv-newer", 200) });
    expect(version(await s.read())).toBe("kv-newer");
  });

  it("uses KV's pointer when the object has none", async () => {
    const s = setup({ object: async () => null });
    expect(version(await s.read())).toBe("kv1");
  });

  it("falls back to KV when the object fails, then leaves the object alone for the back-off", async () => {
    let calls = 0;
    const s = setup({
      object: async () => {
        calls++;
        throw new Error("object down");
      },
    });
    expect(version(await s.read())).toBe("kv1");
    expect(s.status().objectError?.detail).toBe("object down");
    s.clock.t += 1_000;
    s.setKv({ kind: "pointer", pointer: ptr("kv2", 10) });
    expect(version(await s.read())).toBe("kv2"); // KV read on every refresh while the object is down
    expect(calls).toBe(1);
    expect(s.kvReads).toHaveLength(2);
    s.clock.t += 5_000;
    await s.read();
    expect(calls).toBe(2); // back-off over: tried again
  });

  it("does not wait for a slow object once KV has answered, and remembers its late answer", async () => {
    const slow = deferred<ActivePointer | null>();
    const s = setup({ object: () => slow.promise });
    // Cold: the first read returns KV's pointer although the object has not answered.
    expect(version(await s.read())).toBe("kv1");
    slow.resolve(ptr("obj-late", 500));
    await slow.promise;
    await Promise.resolve();
    expect(s.status().object?.version).toBe("obj-late");
  });

  it("never moves back to KV's older pointer at a KV re-check once the object's newer one is known", async () => {
    let answer: Promise<ActivePointer | null> = Promise.resolve(ptr("obj", 100));
    const s = setup({ object: () => answer });
    expect(version(await s.read())).toBe("obj");
    s.clock.t += 30_000;
    answer = new Promise(() => {}); // the object hangs at the KV re-check
    expect(version(await s.read())).toBe("obj");
  });

  it("reports KV's failure when neither copy has a pointer (last good table kept upstream)", async () => {
    const s = setup({ object: async () => null });
    s.setKv({ kind: "failed", reason: "kvError", detail: "boom" });
    expect(version(await s.read())).toBe("failed:kvError");
  });

  it("keeps the object's pointer when KV fails", async () => {
    const s = setup({ object: async () => ptr("obj", 100) });
    s.setKv({ kind: "failed", reason: "kvTimeout", detail: "slow" });
    expect(version(await s.read())).toBe("obj");
  });
});
