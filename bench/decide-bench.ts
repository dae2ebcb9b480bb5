/**
 * 1. Decision cost: decide() per request, in Node (pure code), for configs of growing size and
 * for one host whose 1,000th route is the one that matches; against a 10-route config and the
 * naive reference matcher, measured in the same rounds.
 *
 * Timing: each variant is calibrated to ~BATCH_MS per round, split in SLICES interleaved slices
 * (rotating order); a round's value is the median of its slices; ratios are per round. Each probe's decision is checked first
 * (route name), so a benchmark never times a decision that went somewhere else.
 *
 * CPU-independent extra: per decision, how many RegExp executions and header lookups happened
 * (counted by wrapping RegExp.prototype.exec and the header reader during one untimed pass).
 */
import type { DecideOptions, Decision, RequestFacts } from "../src/decision.ts";
import type { BenchConfig } from "./gen.ts";
import type { NaiveReference, Pipeline } from "./pipeline.ts";
import { ratios, roundOrder, spread, type Spread } from "./stats.ts";

export interface DecideSubject {
  label: string;
  config: BenchConfig;
  /** "gateway" = src/decide.ts on the prepared table; "naive" = the reference. */
  impl: "gateway" | "naive";
  run: (facts: RequestFacts) => Decision;
  facts: RequestFacts[];
}

export interface DecideSample {
  label: string;
  impl: "gateway" | "naive";
  nsPerOp: number[];
  ops: OpCounts;
  wrongRoutes: string[];
}

export interface OpCounts {
  regexExecs: number;
  headerLookups: number;
}

const BATCH_MS = 40;
const SLICES = 8;
const OPTS: DecideOptions = { rand: () => 0.5, now: Date.UTC(2026, 0, 1) };

let sink = 0;

/**
 * CPU time (user + system of this process, µs resolution on Linux) per decision, in ns. CPU time
 * rather than wall-clock: on an oversubscribed machine a descheduled slice would otherwise
 * count as decision time.
 */
function timeBatch(s: DecideSubject, iters: number): number {
  const f = s.facts;
  const k = f.length;
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) sink += s.run(f[i % k]!).kind.length;
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / iters;
}

function calibrate(s: DecideSubject): number {
  let iters = 64;
  for (;;) {
    const ns = timeBatch(s, iters);
    if (ns * iters >= (BATCH_MS * 1e6) / 4 || iters >= 1 << 24) return Math.max(16, Math.round((BATCH_MS * 1e6) / ns));
    iters *= 4;
  }
}

/** Counting facts: the same facts with a header reader that counts lookups. */
function countingFacts(f: RequestFacts, counter: OpCounts): RequestFacts {
  const h = f.headers;
  return {
    ...f,
    headers: {
      get: (n) => (counter.headerLookups++, h.get(n)),
      has: (n) => (counter.headerLookups++, h.has(n)),
    },
  };
}

export function countOps(s: DecideSubject): OpCounts {
  const counter: OpCounts = { regexExecs: 0, headerLookups: 0 };
  const facts = s.facts.map((f) => countingFacts(f, counter));
  const exec = RegExp.prototype.exec;
  RegExp.prototype.exec = function (this: RegExp, str: string) {
    counter.regexExecs++;
    return exec.call(this, str);
  };
  try {
    for (const f of facts) s.run(f);
  } finally {
    RegExp.prototype.exec = exec;
  }
  return { regexExecs: counter.regexExecs / facts.length, headerLookups: counter.headerLookups / facts.length };
}

function checkRoutes(s: DecideSubject): string[] {
  const wrong: string[] = [];
  s.facts.forEach((f, i) => {
    const d = s.run(f);
    const want = s.config.probes[i]!.route;
    const got = "match" in d ? d.match.route.name : `(${d.kind})`;
    if (d.kind !== "forward" || got !== want) wrong.push(`${f.host}${f.path}: expected forward via ${want}, got ${d.kind} via ${got}`);
  });
  return wrong;
}

export async function buildSubjects(
  pipeline: Pipeline,
  naive: NaiveReference | null,
  configs: BenchConfig[],
  tables: Map<BenchConfig, import("../src/table/types.ts").RouteTable>,
): Promise<DecideSubject[]> {
  const out: DecideSubject[] = [];
  for (const config of configs) {
    const table = tables.get(config)!;
    const prepared = pipeline.prepare(table);
    const facts = config.probes.map((p) => pipeline.facts(p));
    out.push({ label: config.label, config, impl: "gateway", facts, run: (f) => pipeline.decide(prepared, f, OPTS) });
    if (naive) {
      const built = await naive.build(config.objects, table);
      out.push({ label: config.label, config, impl: "naive", facts, run: (f) => naive.decide(built, f, OPTS) });
    }
  }
  return out;
}

export function measureDecisions(subjects: DecideSubject[], rounds: number): DecideSample[] {
  const samples = new Map<DecideSubject, DecideSample>();
  const iters = new Map<DecideSubject, number>();
  for (const s of subjects) {
    const wrongRoutes = checkRoutes(s);
    samples.set(s, { label: s.label, impl: s.impl, nsPerOp: [], ops: countOps(s), wrongRoutes });
    iters.set(s, calibrate(s)); // also the JIT warm-up
  }
  // A round = SLICES short slices of every variant, interleaved; the round's value for a variant
  // is the median of its slices, so a burst of noise (GC, another process) hits one slice of
  // each variant instead of a whole sample of one.
  for (let r = 0; r < rounds; r++) {
    const slices = new Map<DecideSubject, number[]>(subjects.map((s) => [s, []]));
    for (let k = 0; k < SLICES; k++)
      for (const s of roundOrder(subjects, r + k)) slices.get(s)!.push(timeBatch(s, Math.max(8, Math.round(iters.get(s)! / SLICES))));
    for (const s of subjects) samples.get(s)!.nsPerOp.push(spread(slices.get(s)!).median);
  }
  if (sink === -1) console.log(sink); // keep the results observable
  return subjects.map((s) => samples.get(s)!);
}

export function perRoundRatio(a: DecideSample, b: DecideSample): Spread {
  return spread(ratios(a.nsPerOp, b.nsPerOp));
}
