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
import type { Offload } from "../../src/config/index.ts";
import type { RuleStore } from "../../src/compile/index.ts";
import type { CompiledRule } from "../../src/compile/rule.ts";
import type { RouteAction } from "../../src/table/types.ts";
import { exactJson } from "../../src/config/load.ts";
import { TempFile } from "./temp-file.ts";

/** Distinct route actions a rule store keeps in memory (see ruleStore). */
const POOLED_ACTIONS = 4096;

/** Parsed values kept for a repeat read, by default. */
export const SPILL_CACHE_ENTRIES = 64;

export class Spill implements Offload {
  private readonly file: TempFile;
  private readonly cache = new Map<number, unknown>();
  private readonly cacheEntries: number;

  /** `cacheEntries` 0: every read parses the file's bytes again (tests use it to show no step relies on identity). */
  constructor(cacheEntries = SPILL_CACHE_ENTRIES, dir?: string) {
    this.cacheEntries = cacheEntries;
    this.file = new TempFile("the build's spill file", "about twice the size of the route files", dir);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.file.bytes;
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
    this.file.close();
    this.cache.clear();
  }

  private write(json: string): number {
    return this.file.append(json);
  }

  /** `revive` finishes a value just parsed (before it is cached). */
  read(slot: number, revive?: (value: unknown) => unknown): unknown {
    const hit = this.cache.get(slot);
    if (hit !== undefined) {
      this.cache.delete(slot);
      this.cache.set(slot, hit);
      return hit;
    }
    let value: unknown = JSON.parse(this.file.read(slot));
    if (revive) value = revive(value);
    this.remember(slot, value);
    return value;
  }

  private remember(slot: number, value: unknown): void {
    this.cache.set(slot, value);
    if (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}
