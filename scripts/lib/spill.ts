/**
 * The CLI's spill file (issue #16 item 2: memory follows the largest file, not the config). The
 * bulk of a large config, its VirtualServices' rules as loaded and as compiled, is written here as
 * JSON and read back when a step needs it, instead of staying in the heap for the whole build:
 *   - `park` (src/config/load.ts Offload): a loaded VirtualService's `spec.http`;
 *   - `ruleStore()` (src/compile/index.ts RuleStore): each VirtualService's compiled rules.
 * The file is an unlinked temporary file (nothing is left behind, whatever ends the process) held
 * by one descriptor, closed by `close()` or, failing that, when the Spill is garbage-collected.
 * The last values read are cached (a step often reads one VirtualService several times in a row).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Offload } from "../../src/config/index.ts";
import type { RuleStore } from "../../src/compile/index.ts";
import type { CompiledRule } from "../../src/compile/rule.ts";
import type { RouteAction } from "../../src/table/types.ts";
import { exactJson } from "../../src/config/load.ts";

/** Distinct route actions a rule store keeps in memory (see ruleStore). */
const POOLED_ACTIONS = 4096;

/** Parsed values kept for a repeat read, by default. */
export const SPILL_CACHE_ENTRIES = 64;

const closer = new FinalizationRegistry<{ fd: number | null }>((h) => {
  if (h.fd !== null) closeSync(h.fd);
  h.fd = null;
});

export class Spill implements Offload {
  private readonly handle: { fd: number | null };
  private size = 0;
  /** Slot → [offset, length in bytes], as two numbers per slot. */
  private readonly at: number[] = [];
  private readonly cache = new Map<number, unknown>();
  private readonly cacheEntries: number;
  private readonly dir: string;

  /** `cacheEntries` 0: every read parses the file's bytes again (tests use it to show no step relies on identity). */
  constructor(cacheEntries = SPILL_CACHE_ENTRIES, dir = os.tmpdir()) {
    this.cacheEntries = cacheEntries;
    this.dir = dir;
    let tmp: string;
    try {
      tmp = mkdtempSync(path.join(dir, "routes-spill-"));
      this.handle = { fd: openSync(path.join(tmp, "spill"), "w+") };
    } catch (e) {
      throw spillError(dir, "could not be created", e);
    }
    // Unlinked at once: the descriptor keeps the data; nothing stays on disk after the process.
    rmSync(tmp, { recursive: true, force: true });
    closer.register(this, this.handle, this.handle);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.size;
  }

  park(json: string): number {
    return this.write(json);
  }

  /**
   * A RuleStore whose rules live in this file (rules JSON cannot hold exactly stay in memory).
   * Route actions are kept apart, in memory, one object each: compile shares one object between
   * equal actions (most rules of a large config route to a few destinations), and they were
   * ≈ 45 % of the rules' bytes. A rule holds its action's number in the file and gets the very
   * object back, so reads parse less and the codec's per-object cache of action keys hits. At
   * most POOLED_ACTIONS are kept; any other action is written with its rule.
   */
  ruleStore(): RuleStore {
    const slots = new Map<string, number | CompiledRule[]>();
    const pool: RouteAction[] = [];
    const pooled = new WeakMap<RouteAction, number>();
    const numberOf = (a: RouteAction): number | undefined => {
      let n = pooled.get(a);
      if (n === undefined && pool.length < POOLED_ACTIONS && exactJson(a) !== null) {
        n = pool.push(a) - 1;
        pooled.set(a, n);
      }
      return n;
    };
    const revive = (value: unknown): unknown => {
      for (const r of value as Array<{ body: { action: RouteAction | number } }>) if (typeof r.body.action === "number") r.body.action = pool[r.body.action]!;
      return value;
    };
    return {
      get: (key) => {
        const s = slots.get(key);
        return typeof s === "number" ? (this.read(s, revive) as CompiledRule[]) : s;
      },
      set: (key, rules) => {
        const stored = rules.map((r) => {
          const n = numberOf(r.body.action);
          return n === undefined ? r : { ...r, body: { ...r.body, action: n } };
        });
        const json = exactJson(stored);
        if (json === null) {
          slots.set(key, rules);
          return;
        }
        const slot = this.write(json);
        slots.set(key, slot);
        this.remember(slot, rules);
      },
      has: (key) => slots.has(key),
      keys: () => slots.keys(),
    };
  }

  close(): void {
    closer.unregister(this.handle);
    if (this.handle.fd !== null) closeSync(this.handle.fd);
    this.handle.fd = null;
    this.cache.clear();
  }

  private fd(): number {
    if (this.handle.fd === null) throw new Error("the build's spill file is closed: its table can no longer be read");
    return this.handle.fd;
  }

  private write(json: string): number {
    const buf = Buffer.from(json, "utf8");
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd(), buf, done, buf.length - done, this.size + done);
    } catch (e) {
      throw spillError(this.dir, "could not be written", e);
    }
    const slot = this.at.length / 2;
    this.at.push(this.size, buf.length);
    this.size += buf.length;
    return slot;
  }

  /** `revive` finishes a value just parsed (before it is cached). */
  read(slot: number, revive?: (value: unknown) => unknown): unknown {
    const hit = this.cache.get(slot);
    if (hit !== undefined) {
      this.cache.delete(slot);
      this.cache.set(slot, hit);
      return hit;
    }
    const offset = this.at[slot * 2]!;
    const length = this.at[slot * 2 + 1]!;
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd(), buf, done, length - done, offset + done);
      if (n === 0) throw new Error(`the build's spill file ended early (slot ${slot})`);
      done += n;
    }
    let value: unknown = JSON.parse(buf.toString("utf8"));
    if (revive) value = revive(value);
    this.remember(slot, value);
    return value;
  }

  private remember(slot: number, value: unknown): void {
    this.cache.set(slot, value);
    if (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** A failing temporary file says what it is for and where it is (TMPDIR chooses the folder). */
function spillError(dir: string, what: string, cause: unknown): Error {
  return new Error(`the build's spill file in ${dir} ${what} (${(cause as Error).message ?? String(cause)}); set TMPDIR to a writable folder with room for about twice the size of the route files`, { cause });
}
