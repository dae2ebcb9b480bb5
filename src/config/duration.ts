/**
 * Istio durations (`timeout`, `perTryTimeout`, `fixedDelay`, `interval`, `maxAge`…).
 *
 * Istio's CRDs accept protobuf Durations written like Go durations: "1h", "1m", "30s", "0.5s",
 * "250ms", "1h30m" (ISTIO-SEMANTICS §1.2 "Validation summary"). Validation additionally requires
 * whole-millisecond precision and ≥ 1 ms where a duration is set; that lower bound is applied by
 * the schema (so "0s" parses here but is rejected for `timeout`).
 *
 * Arithmetic is done on BigInt nanoseconds so "0.1s" is exactly 100 ms (no float rounding).
 */

const UNIT_NS: Record<string, bigint> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  us: 1_000n,
  "µs": 1_000n,
  ns: 1n,
};

const PART = /(\d+)(?:\.(\d+))?(h|ms|m|s|us|µs|ns)/y;
const NS_PER_MS = 1_000_000n;

/** Parse to nanoseconds, or null when the text is not a duration (no unit, negative, garbage). */
export function parseDurationNs(s: string): bigint | null {
  if (typeof s !== "string" || s.length === 0 || s.length > 64) return null;
  let total = 0n;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return null;
    const [, whole, frac = "", unit] = m;
    const unitNs = UNIT_NS[unit!]!;
    total += BigInt(whole!) * unitNs;
    if (frac) {
      // frac digits × unit / 10^len; anything finer than 1 ns is not representable (protobuf precision).
      const scaled = BigInt(frac) * unitNs;
      const div = 10n ** BigInt(frac.length);
      if (scaled % div !== 0n) return null;
      total += scaled / div;
    }
    pos = PART.lastIndex;
  }
  return total;
}

/** Milliseconds, or null when invalid or not a whole number of milliseconds. */
export function parseDuration(s: string): number | null {
  const ns = parseDurationNs(s);
  if (ns === null || ns % NS_PER_MS !== 0n) return null;
  const ms = ns / NS_PER_MS;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(ms);
}

export interface DurationRule {
  /** Smallest allowed value in ms (Istio: 1 ms for every HTTP duration). */
  minMs?: number;
  /** CorsPolicy.maxAge: whole seconds only. */
  wholeSeconds?: boolean;
}

/** Why a value is not an acceptable duration, or null when it is. Used for located messages. */
export function durationProblem(value: unknown, rule: DurationRule = {}): string | null {
  const example = rule.wholeSeconds ? `"600s" or "1h"` : `"1.5s" or "250ms"`;
  if (typeof value !== "string") return `expected a duration like ${example}, got ${describe(value)}`;
  const ns = parseDurationNs(value);
  if (ns === null) return `expected a duration like ${example}, got ${JSON.stringify(value)}`;
  if (ns % NS_PER_MS !== 0n) return `duration ${JSON.stringify(value)} has sub-millisecond precision; Istio requires whole milliseconds`;
  if (rule.wholeSeconds && ns % 1_000_000_000n !== 0n) return `duration ${JSON.stringify(value)} must be a whole number of seconds`;
  const min = rule.minMs ?? 1;
  if (ns < BigInt(min) * NS_PER_MS) return `duration ${JSON.stringify(value)} is too short: the minimum is ${min}ms (omit the field to disable)`;
  return null;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
