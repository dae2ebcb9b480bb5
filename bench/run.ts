/**
 * `npm run bench`: what the gateway costs per request and whether that grows with the config,
 * as ratios against baselines measured in the same run (the machine is shared and noisy).
 *
 *   1. decision cost (Node): decide() vs config size, vs the naive reference matcher
 *   2. config load: table size; KV bytes → ready table vs JSON.parse alone (cold processes)
 *   3. end to end through workerd: origin / pass-through Worker / gateway variants, interleaved
 *   4. memory: 50 MiB request and response bodies streamed through the gateway
 *   5. bundle size (gzip) from `wrangler deploy --dry-run`
 *   6. regex engines: V8 vs re2js on ordinary route regexes; worst case of the ReDoS corpus on 8 KiB
 *   7. state plane: instructions per request with/without the STATE binding; object requests per isolate
 *   8. shards: cold first request of a 1,000,000-route / 100,000-host table vs a 10-route table, warm
 *      decisions, heap bounded by SHARD_CACHE_BYTES, KV writes of a one-host change (bench/shards.ts)
 *   9. CLI memory: `routes validate` / `push --local` peak heap at 10,000 / 50,000 / 100,000 routes in
 *      files of the same size, against the 10,000-route run (bench/cli-memory.ts)
 *
 * Prints tables and PASS/MISS per target, writes bench/RESULTS.md.
 * Options: --quick (short rounds, for trying the harness), --only=decide,load,e2e,memory,bundle,regex,state,shards,cli-memory,
 *          --rounds=N --seconds=S --variants=origin,passthrough,small,large,split (end-to-end),
 *          --concurrency=C, --no-write, --shard-hosts=N (hosts of section 8's big table, 10 routes each;
 *          default 100,000, --quick 10,000; compiled once into bench/.cache), --instructions (adds valgrind instruction counts per
 *          request for the Worker variants: slow, ~4 min). RESULTS.md is written only by a full run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RouteTable } from "../src/table/types.ts";
import { buildBundle, type Bundle } from "./bundle.ts";
import { buildSubjects, measureDecisions, perRoundRatio, type DecideSample } from "./decide-bench.ts";
import { kvEntries, measureE2e, okBody, passthroughScript, probeTarget, startGateway, startPassthrough, warmUp, type Variant, type VariantId } from "./e2e.ts";
import { lastRouteProbe, manyHosts, singleHostMix, smallConfig, splitConfig, type BenchConfig, type OriginAddress } from "./gen.ts";
import type { LoadResult } from "./load-client.ts";
import { describeMachine } from "./machine.ts";
import { BODY_BYTES, measureTransfer, type TransferResult } from "./memory.ts";
import { startNginx, startNodeOrigin, type RunningOrigin } from "./origin.ts";
import { loadNaive, loadPipeline, type Pipeline } from "./pipeline.ts";
import { Report } from "./report.ts";
import { fmt, fmtSpread, kib, ratios, spread } from "./stats.ts";
import { countInstructions, valgrindAvailable, type InstructionCount } from "./instructions.ts";
import { measureTableLoad } from "./table-load.ts";
import { runStatePlane } from "./state-plane.ts";
import { bigTable, checkBucketMethod, measureCold, measureHeap, measureOneHostChange, smallTable as smallStored } from "./shards.ts";
import { measureTypical, measureWorst } from "./regex-bench.ts";
import { growth, measureCliMemory } from "./cli-memory.ts";
import type { RunningWorker } from "./workerd.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
const quick = args.has("quick");
const only = args.get("only")?.split(",");
const want = (s: string) => !only || only.includes(s);
const E2E_ROUNDS = Number(args.get("rounds") ?? (quick ? 2 : 5));
const E2E_MS = Number(args.get("seconds") ?? (quick ? 1 : 3)) * 1000;
const CONCURRENCY = Number(args.get("concurrency") ?? 8);
const DECIDE_ROUNDS = quick ? 5 : 15;
const LOAD_ROUNDS = quick ? 2 : 5;
const MEMORY_ROUNDS = quick ? 1 : 3;
const SIZES = [10, 100, 1000, 10_000];
const STREAM_LIMIT_MIB = 5;
const INSTR_REQUESTS = Number(args.get("instr-requests") ?? 600);
const INSTR_WARMUP = 600;

const report = new Report();
const startedAt = new Date();
const work = mkdtempSync(path.join(os.tmpdir(), "edge-gateway-bench-"));
const cleanups: Array<() => Promise<void>> = [];
let originDescription = "not started";

function section(title: string): void {
  console.log(`\n### ${title} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
}

async function compileAll(pipeline: Pipeline, configs: BenchConfig[]): Promise<Map<BenchConfig, RouteTable>> {
  const out = new Map<BenchConfig, RouteTable>();
  for (const c of configs) {
    const t0 = performance.now();
    out.set(c, await pipeline.compile(c.objects));
    console.log(`  compiled ${c.label} in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  return out;
}

const tableJson = (p: Pipeline, t: RouteTable) => (p.canonicalJson ? p.canonicalJson(t) : JSON.stringify(t));

// ------------------------------------------------------------------ 1. decision cost
function decisionSection(samples: DecideSample[], many: BenchConfig[], mix: BenchConfig, naiveNote: string | null): void {
  const get = (c: BenchConfig, impl: "gateway" | "naive") => samples.find((s) => s.label === c.label && s.impl === impl);
  const base = get(many[0]!, "gateway")!;
  const med = (s: DecideSample | undefined) => (s ? spread(s.nsPerOp) : spread([]));
  const rows = [...many, mix].map((c) => {
    const g = get(c, "gateway")!;
    const n = get(c, "naive");
    return [
      c.label,
      fmtSpread(med(g), 0, " ns"),
      c === mix ? "—" : fmtSpread(perRoundRatio(g, base), 2, "×"),
      n ? fmtSpread(med(n), 0, " ns") : "n/a",
      n ? fmtSpread(perRoundRatio(n, g), 1, "×") : "n/a",
      `${fmt(g.ops.regexExecs, 1)} / ${fmt(g.ops.headerLookups, 1)}`,
      n ? `${fmt(n.ops.regexExecs, 1)} / ${fmt(n.ops.headerLookups, 1)}` : "n/a",
    ];
  });
  report.section({
    title: "1. Decision cost (Node, decide() per request)",
    intro:
      `CPU time of decide() on a prepared table, ${DECIDE_ROUNDS} rounds of ~40 ms per variant in 8 interleaved slices. Many-host configs: 10 routes per host ` +
      "(prefix / exact / header / regex rotation), 16 probe requests spread over the hosts and over the route positions (last included). " +
      "Single host: 1,000 routes of the same rotation, the request matches the last one. Ratios are per round.",
    headers: ["config", "gateway ns/decision", "vs 10 routes", "naive ns/decision", "naive ÷ gateway", "gateway regex execs / header lookups", "naive regex / header"],
    rows,
    notes: [
      ...(naiveNote ? [naiveNote] : []),
      "Operation counts are per decision, counted in one untimed pass (RegExp.prototype.exec calls, HeaderReader get/has calls): they do not depend on the CPU.",
      ...samples.filter((s) => s.wrongRoutes.length > 0).map((s) => `WRONG ROUTE (${s.impl}, ${s.label}): ${s.wrongRoutes.slice(0, 3).join("; ")}`),
    ],
  });
  const largest = get(many[many.length - 1]!, "gateway")!;
  const r1 = perRoundRatio(largest, base);
  report.target({
    target: "decision, 10,000 routes over many hosts ≤ 2× the 10-route decision",
    measured: `${fmtSpread(r1, 2, "×")}`,
    pass: largest.wrongRoutes.length + base.wrongRoutes.length > 0 ? false : r1.median <= 2,
  });
  const gm = get(mix, "gateway")!;
  const nm = get(mix, "naive");
  const r2 = nm ? perRoundRatio(nm, gm) : null;
  report.target({
    target: "decision, one host with 1,000 routes matching the last ≥ 10× faster than the naive reference",
    measured: r2 ? `${fmtSpread(r2, 1, "×")} faster` : "naive reference not available",
    pass: r2 ? (gm.wrongRoutes.length + nm!.wrongRoutes.length > 0 ? false : r2.median >= 10) : null,
  });
}

// ------------------------------------------------------------------ 3. end to end
function e2eSection(results: Map<VariantId, LoadResult[]>, cpu: Map<VariantId, number[]>, variants: Variant[], rounds: number): void {
  const cpuOf = (id: VariantId) => cpu.get(id) ?? [];
  const rps = (id: VariantId) => results.get(id)?.map((r) => r.rps) ?? [];
  const p50 = (id: VariantId) => results.get(id)?.map((r) => r.p50Ms) ?? [];
  const p99 = (id: VariantId) => results.get(id)?.map((r) => r.p99Ms) ?? [];
  report.section({
    title: "3. End to end through workerd",
    intro:
      `${rounds} rounds × ${E2E_MS / 1000} s per variant, interleaved (rotating order), ${CONCURRENCY} concurrent keep-alive connections ` +
      `from a Node client on 127.0.0.1. Origin: ${originDescription}. Each Worker runs in its own workerd process (Miniflare API, same workerd build).`,
    headers: ["variant", "req/s", "p50 ms", "p99 ms", "workerd CPU ms/request", "errors"],
    rows: variants.map((v) => [
      v.label,
      fmtSpread(spread(rps(v.id)), 0),
      fmtSpread(spread(p50(v.id)), 2),
      fmtSpread(spread(p99(v.id)), 2),
      cpuOf(v.id).length ? fmtSpread(spread(cpuOf(v.id)), 3) : "—",
      String((results.get(v.id) ?? []).reduce((s, r) => s + r.errors, 0)) +
        ((results.get(v.id) ?? []).find((r) => r.firstError)?.firstError ? ` (${(results.get(v.id) ?? []).find((r) => r.firstError)!.firstError})` : ""),
    ]),
    notes: [
      "The origin-direct row is bounded by the Node load client, not by the origin: it shows the client's ceiling, far above any Worker variant.",
      "workerd CPU ms/request = user+system CPU time of that Worker's workerd process (/proc/<pid>/stat) during the round ÷ requests served: a measure that depends far less on what else runs on the machine than req/s does.",
    ],
  });
  const pairs: Array<[VariantId, VariantId, string]> = [
    ["passthrough", "origin", "pass-through Worker ÷ origin direct"],
    ["small", "passthrough", "gateway (small config) ÷ pass-through"],
    ["large", "small", "gateway (10,000 routes, last) ÷ gateway (small)"],
    ["split", "passthrough", "gateway (split + retries + headers) ÷ pass-through"],
    ["split", "small", "gateway (split + retries + headers) ÷ gateway (small)"],
  ];
  const ratioRows = pairs
    .filter(([a, b]) => results.has(a) && results.has(b))
    .map(([a, b, label]) => [
      label,
      fmtSpread(spread(ratios(rps(a), rps(b))), 3, "×"),
      fmtSpread(spread(ratios(p50(a), p50(b))), 2, "×"),
      fmtSpread(spread(ratios(p99(a), p99(b))), 2, "×"),
      cpuOf(a).length && cpuOf(b).length ? fmtSpread(spread(ratios(cpuOf(a), cpuOf(b))), 2, "×") : "—",
    ]);
  report.section({
    title: "3b. End-to-end ratios (per round)",
    headers: ["ratio", "throughput", "p50 latency", "p99 latency", "workerd CPU/request"],
    rows: ratioRows,
  });
  const r3 = spread(ratios(rps("small"), rps("passthrough")));
  report.target({
    target: "throughput, gateway (small config) ≥ 0.9× bare pass-through",
    measured: fmtSpread(r3, 3, "×"),
    pass: r3.n === 0 ? null : r3.median >= 0.9,
  });
  const r4 = spread(ratios(rps("large"), rps("small")));
  report.target({
    target: "throughput, 10,000-route config (last route) ≥ 0.95× the small config",
    measured: fmtSpread(r4, 3, "×"),
    pass: r4.n === 0 ? null : r4.median >= 0.95,
  });
}

// ------------------------------------------------------------------ 3c. instructions
function instructionSection(counts: Map<string, InstructionCount>): void {
  const per = (id: string) => counts.get(id)?.perRequest ?? NaN;
  const rows: string[][] = [...counts.entries()].map(([id, c]) => [
    c.label,
    `${fmt(c.perRequest / 1e6, 3)} M`,
    id === "passthrough" ? "1.00×" : `${fmt(c.perRequest / per("passthrough"), 2)}×`,
    `${c.requests}${c.errors ? ` (${c.errors} errors)` : ""}`,
  ]);
  report.section({
    title: "3c. Instructions per request (valgrind callgrind, CPU-independent)",
    intro:
      `Instructions executed by the Worker's workerd process (all threads) per request, counted by callgrind over ${INSTR_REQUESTS} requests after a ${INSTR_WARMUP}-request warm-up; ` +
      "the origin and the load client are not counted. Independent of machine load, unlike req/s.",
    headers: ["worker", "instructions/request", "÷ pass-through", "requests"],
    rows,
    notes: [
      `gateway (10,000 routes) ÷ gateway (small): ${fmt(per("large") / per("small"), 3)}×; ` +
        `pass-through ÷ gateway (small) — the throughput ratio if workerd CPU were the only limit: ${fmt(per("passthrough") / per("small"), 3)}×.`,
      "These counts use V8's default flags: under valgrind its optimizing compiles are starved background jobs, so one count moves by ±30–100 k with the tier-up state of the hot code. " +
        "For A/B work use `node --experimental-strip-types bench/instr-ab.ts --single-threaded` (repeats to ±3 k); its figures for the small config are in docs/benchmarks.md.",
    ],
  });
}

// ------------------------------------------------------------------ 4. memory
function memorySection(rows: Array<{ worker: string; t: TransferResult }>): void {
  const deltaMiB = (t: TransferResult) => (t.peakKiB - t.baselineKiB) / 1024;
  report.section({
    title: "4. Memory while streaming 50 MiB bodies",
    intro:
      "Peak resident memory of the Worker's workerd process during one 50 MiB transfer, over its resident memory just before " +
      "(VmRSS sampled every 2 ms plus VmHWM reset before each transfer). Origin: the Node origin (bench/origin-node.ts), which reads request bodies completely.",
    headers: ["worker", "body", "baseline RSS", "peak RSS", "peak − baseline", "time", "bytes delivered"],
    rows: rows.map(({ worker, t }) => [
      worker,
      t.direction === "response" ? "50 MiB response" : "50 MiB request",
      `${fmt(t.baselineKiB / 1024, 1)} MiB`,
      `${fmt(t.peakKiB / 1024, 1)} MiB`,
      `${fmt(deltaMiB(t), 1)} MiB`,
      `${fmt(t.ms, 0)} ms`,
      t.bytes === BODY_BYTES ? "all" : `${t.bytes} of ${BODY_BYTES}`,
    ]),
    notes: rows.some(({ t }) => !t.hwmReset) ? ["VmHWM could not be reset (no permission): peak is from RSS sampling only."] : [],
  });
  const gw = rows.filter((r) => r.worker === "gateway");
  const worst = gw.length ? Math.max(...gw.map((r) => deltaMiB(r.t))) : NaN;
  const pt = rows.filter((r) => r.worker === "pass-through");
  const ptWorst = pt.length ? Math.max(...pt.map((r) => deltaMiB(r.t))) : NaN;
  const complete = gw.every((r) => r.t.bytes === BODY_BYTES);
  report.target({
    target: `streaming 50 MiB through the gateway: peak memory within a few MB (≤ ${STREAM_LIMIT_MIB} MiB) of baseline`,
    measured: gw.length ? `worst +${fmt(worst, 1)} MiB (pass-through worst +${fmt(ptWorst, 1)} MiB)${complete ? "" : ", INCOMPLETE transfer"}` : "not measured",
    pass: gw.length ? complete && worst <= STREAM_LIMIT_MIB : null,
  });
}

// ------------------------------------------------------------------ 6. regex engines
function regexSection(): void {
  const rounds = quick ? 3 : 9;
  const typical = measureTypical(rounds);
  report.section({
    title: "6. Regex engines (V8 vs re2js)",
    intro:
      `Ordinary route regexes on ordinary values, ${rounds} interleaved rounds of ~30 ms per engine; ratio re2js ÷ V8 per round. ` +
      "The gateway runs a pattern on V8 only when it is proven linear for a backtracking engine (src/config/regex-safety.ts), else on re2js.",
    headers: ["pattern", "gateway engine", "V8 ns/match", "re2js ns/match", "re2js ÷ V8"],
    rows: typical.map((t) => [t.pattern, t.engine, fmtSpread(t.v8Ns, 0, " ns"), fmtSpread(t.re2Ns, 0, " ns"), fmtSpread(t.ratio, 1, "×")]),
    notes: [],
  });
  const worst = measureWorst();
  const accepted = worst.filter((w) => w.engine !== "rejected");
  const top = accepted.reduce((a, b) => (b.worstMs > a.worstMs ? b : a), accepted[0]!);
  report.section({
    title: "6b. ReDoS corpus: worst time per accepted pattern on adversarial inputs up to 8 KiB",
    intro: "Each pattern of test/fixtures/redos-corpus.ts that the validator accepts, built as the Worker builds it, best of 3 runs per input, worst input shown.",
    headers: ["pattern", "engine", "worst ms", "worst input"],
    rows: worst.map((w) => [w.pattern.length > 60 ? w.pattern.slice(0, 57) + "..." : w.pattern, w.engine, w.engine === "rejected" ? "—" : fmt(w.worstMs, 2), w.input]),
    notes: [],
  });
  report.target({ target: "no accepted regex takes more than 10 ms on any input up to 8 KiB (ReDoS corpus)", measured: `worst ${fmt(top.worstMs, 2)} ms (${top.pattern.slice(0, 40)}, ${top.engine})`, pass: top.worstMs <= 10 });
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  console.log(`edge-gateway bench${quick ? " (quick)" : ""}: work dir ${work}`);
  if (want("regex")) {
    section("6. regex engines");
    regexSection();
  }
  let bundle: Bundle | null = null;
  if (want("bundle") || want("e2e") || want("memory") || want("state")) {
    section("5. bundle");
    try {
      bundle = buildBundle(root, path.join(work, "dist"));
      report.section({
        title: "5. Bundle size",
        intro: "`wrangler deploy --dry-run --outdir` with the repository's wrangler.toml; gzip level 9 of each emitted module.",
        headers: ["module", "bytes", "gzip"],
        rows: bundle.files.map((f) => [f.name, kib(f.bytes), kib(f.gzipBytes)]),
        notes: bundle.wranglerSummary ? [`wrangler: ${bundle.wranglerSummary}`] : [],
      });
      report.target({ target: "bundle < 100 KiB gzip", measured: kib(bundle.totalGzipBytes), pass: bundle.totalGzipBytes < 100 * 1024 });
    } catch (e) {
      report.problem(`bundle: ${(e as Error).message}`);
      report.target({ target: "bundle < 100 KiB gzip", measured: "build failed", pass: null });
    }
  }

  let origin: RunningOrigin | null = null;
  if (want("e2e") || want("state")) {
    origin = (await startNginx(work)) ?? (await startNodeOrigin());
    cleanups.push(() => origin!.stop());
    originDescription = `${origin.description} on 127.0.0.1:${origin.port}`;
    console.log(`  origin: ${originDescription}`);
  }
  const originAddr: OriginAddress = { address: "127.0.0.1", port: origin?.port ?? 8080 };

  const pipeline = await loadPipeline();
  if ("error" in pipeline) {
    report.problem(`pipeline not available: ${pipeline.error}`);
  }
  const many = SIZES.map((routes) => manyHosts({ routes, origin: originAddr }));
  const mix = singleHostMix({ routes: 1000, origin: originAddr });
  let tables = new Map<BenchConfig, RouteTable>();
  if (!("error" in pipeline) && (want("decide") || want("load") || want("e2e"))) {
    section("compile");
    try {
      tables = await compileAll(pipeline, want("decide") ? [...many, mix] : [many[many.length - 1]!]);
    } catch (e) {
      report.problem(`compile: ${(e as Error).message}`);
    }
  }

  if (want("decide")) {
    section("1. decision cost");
    if ("error" in pipeline || tables.size === 0) {
      report.target({ target: "decision, 10,000 routes over many hosts ≤ 2× the 10-route decision", measured: "pipeline not available", pass: null });
      report.target({ target: "decision, one host with 1,000 routes matching the last ≥ 10× faster than the naive reference", measured: "pipeline not available", pass: null });
    } else {
      const naive = await loadNaive(pipeline);
      const naiveNote = "error" in naive ? naive.error : `Naive reference: ${naive.description}.`;
      try {
        const subjects = await buildSubjects(pipeline, "error" in naive ? null : naive, [...many, mix], tables);
        decisionSection(measureDecisions(subjects, DECIDE_ROUNDS), many, mix, naiveNote);
      } catch (e) {
        report.problem(`decision bench: ${(e as Error).stack ?? e}`);
      }
    }
  }

  const large = many[many.length - 1]!;
  if (want("load")) {
    section("2. config load");
    const table = tables.get(large);
    if ("error" in pipeline || !table) {
      report.target({ target: "table load (JSON.parse + prepare) for 10,000 routes < 50 ms", measured: "pipeline not available", pass: null });
    } else {
      try {
        const json = tableJson(pipeline, table);
        const r = measureTableLoad(json, work, LOAD_ROUNDS);
        const ms = spread(r.loadMs);
        report.section({
          title: "2. Config load (10,000 routes over 1,000 hosts)",
          intro:
            `KV bytes → string → JSON.parse (→ prepare()), each sample in a fresh Node process (cold V8, like a new isolate), ${LOAD_ROUNDS} rounds alternating which runs first.`,
          headers: ["measure", "value"],
          rows: [
            ["compiled table (canonical JSON)", `${kib(r.jsonBytes)} (${kib(r.gzipBytes)} gzip)`],
            ["JSON.parse only, cold: CPU", fmtSpread(spread(r.parseMs), 1, " ms")],
            ["JSON.parse + prepare(), cold: CPU", fmtSpread(ms, 1, " ms")],
            ["(JSON.parse + prepare) ÷ JSON.parse, per round (CPU)", fmtSpread(r.ratio, 2, "×")],
            ["same, wall-clock: parse / parse + prepare", `${fmtSpread(spread(r.parseWallMs), 1, " ms")} / ${fmtSpread(spread(r.loadWallMs), 1, " ms")}`],
            ["warm CPU (best of 5 more in the same process): parse / parse + prepare", `${fmt(r.warmParseMs, 1)} ms / ${fmt(r.warmLoadMs, 1)} ms`],
            ...(r.heapTableBytes !== undefined
              ? [["V8 heap: parsed table / prepared indexes on top", `${kib(r.heapTableBytes)} / ${kib(r.heapPreparedBytes ?? NaN)}`]]
              : []),
          ],
        });
        report.target({
          target: "table load (JSON.parse + prepare) for 10,000 routes < 50 ms",
          measured: `${fmtSpread(ms, 1, " ms")} CPU, cold isolate (JSON.parse alone ${fmtSpread(spread(r.parseMs), 1, " ms")})`,
          pass: ms.median < 50,
        });
      } catch (e) {
        report.problem(`table load: ${(e as Error).message}`);
        report.target({ target: "table load (JSON.parse + prepare) for 10,000 routes < 50 ms", measured: "failed", pass: null });
      }
    }
  }

  if (want("e2e")) {
    section("3. end to end");
    const ok = !("error" in pipeline) && bundle && origin;
    if (!ok) {
      report.target({ target: "throughput, gateway (small config) ≥ 0.9× bare pass-through", measured: "not run (bundle, origin or pipeline missing)", pass: null });
      report.target({ target: "throughput, 10,000-route config (last route) ≥ 0.95× the small config", measured: "not run", pass: null });
    } else {
      try {
        await runE2e(pipeline, bundle!, origin!, tables.get(large) ?? (await pipeline.compile(large.objects)));
      } catch (e) {
        report.problem(`end to end: ${(e as Error).stack ?? e}`);
      }
    }
  }

  if (want("state")) {
    section("7. state plane");
    if ("error" in pipeline || !bundle || !origin) report.problem("state plane bench: bundle, origin or pipeline missing");
    else {
      try {
        await runStatePlane({
          pipeline,
          bundle,
          origin,
          report,
          work,
          instructions: args.has("instructions"),
          loadSeconds: quick ? 5 : 20,
          instrWarmup: INSTR_WARMUP,
          instrRequests: INSTR_REQUESTS,
          tableJson: (t) => tableJson(pipeline, t),
        });
      } catch (e) {
        report.problem(`state plane: ${(e as Error).stack ?? e}`);
      }
    }
  }

  if (want("shards")) {
    section("8. shards");
    if ("error" in pipeline) report.problem("shards bench: pipeline missing");
    else {
      try {
        await runShards(pipeline);
      } catch (e) {
        report.problem(`shards: ${(e as Error).stack ?? e}`);
      }
    }
  }

  if (want("memory")) {
    section("4. memory");
    if ("error" in pipeline || !bundle) {
      report.target({ target: `streaming 50 MiB through the gateway: peak memory within a few MB (≤ ${STREAM_LIMIT_MIB} MiB) of baseline`, measured: "not run", pass: null });
    } else {
      try {
        await runMemory(pipeline, bundle);
      } catch (e) {
        report.problem(`memory: ${(e as Error).stack ?? e}`);
      }
    }
  }

  if (want("cli-memory")) {
    section("9. CLI memory");
    try {
      await runCliMemory();
    } catch (e) {
      report.problem(`CLI memory: ${(e as Error).stack ?? e}`);
    }
  }
}

/** 9. `routes validate` / `push --local` memory as the file count grows, the largest file fixed (bench/cli-memory.ts). */
async function runCliMemory(): Promise<void> {
  const sizes = quick ? [2000, 10_000, 20_000] : [10_000, 50_000, 100_000];
  const perFile = quick ? 1000 : 5000;
  const rounds = quick ? 1 : 3;
  const rows = await measureCliMemory({ sizes, perFile, rounds, minOldSpace: !quick, log: (line) => console.log(line) });
  const modes = (["whole", "lowmem"] as const).filter((m) => rows.some((r) => r.builds[m]));
  const table: string[][] = [];
  for (const command of ["validate", "push"] as const) {
    const peak = growth(rows, command, (r, i) => r.cli[i]!.peakHeapMiB);
    const live = growth(rows, command, (r, i) => r.cli[i]!.liveHeapMiB);
    const rss = growth(rows, command, (r, i) => r.cli[i]!.maxRssKiB / 1024);
    const wall = growth(rows, command, (r, i) => r.cli[i]!.wallMs / 1000);
    const builds = modes.map((m) => ({
      peak: growth(rows, command, (r, i) => r.builds[m]?.[i]?.peakHeapMiB ?? NaN),
      kept: growth(rows, command, (r, i) => r.builds[m]?.[i]?.keptMiB ?? NaN),
    }));
    rows
      .filter((x) => x.command === command)
      .sort((a, b) => a.routes - b.routes)
      .forEach((r, k) =>
        table.push([
          command,
          `${r.routes.toLocaleString("en")} (${r.files} files of ≤ ${kib(r.largestFile)})`,
          `${fmtSpread(peak[k]!.values, 0, " MiB")}`,
          fmtSpread(peak[k]!.ratios, 2, "×"),
          fmtSpread(live[k]!.values, 0, " MiB"),
          fmtSpread(rss[k]!.values, 0, " MiB"),
          fmtSpread(wall[k]!.values, 1, " s"),
          ...builds.map((b) => `${fmt(b.peak[k]!.values.median, 0)} MiB / ${fmt(b.kept[k]!.values.median, 1)} MiB (${fmt(b.kept[k]!.ratios.median, 2)}×)`),
        ]),
      );
  }
  const first = sizes[0]!.toLocaleString("en");
  const last = sizes[sizes.length - 1]!;
  report.section({
    title: "9. CLI memory: validate and push as the config grows, the largest file fixed",
    intro:
      `Each size is one small file (Gateway, ServiceEntry) and files of ${perFile.toLocaleString("en")} routes (10 per host) of the same size, so only the file count grows; ${rounds} round${rounds === 1 ? "" : "s"}, each running every size in turn. ` +
      "The command runs as a user runs it (a fresh `node scripts/routes.ts`, `--trace-gc`, /usr/bin/time); `build()` alone runs in a fresh process with the command's options. Ratios are per round, against the smallest size.",
    headers: ["command", "routes", "peak heap", "peak ÷ smallest size", "largest live after a mark-compact", "peak RSS", "wall", ...modes.map((m) => `build() ${m === "whole" ? "whole" : "lowMemory"}: peak / kept after it returned (kept ÷ smallest)`)],
    rows: table,
    notes: [
      "Peak heap: the largest heap a GC started from (`--trace-gc`); a timer-based sampler would miss it, compile never yields. Kept: live heap after a full GC once build() returned, its result held, above the heap after the imports (medians).",
      "push's peak includes Miniflare (local KV), loaded after the build when the first value is written; build()'s own columns leave it out.",
    ],
  });
  // The target is what a run needs: the smallest --max-old-space-size it completes in, at the
  // smallest and the largest size (a binary search of fresh runs). The peak heap above is V8's
  // choice: it lets the heap grow to a multiple of the live set, garbage included, so a run that
  // reads its spilled rules again (lowMemory) peaks higher than it needs.
  for (const command of ["validate", "push"] as const) {
    const g = growth(rows, command, (r, i) => r.cli[i]!.peakHeapMiB);
    const top = g.find((x) => x.routes === last);
    const peakText = top ? `; peak heap ${fmtSpread(top.ratios, 2, "×")} (${fmt(top.values.median, 0)} vs ${fmt(g[0]!.values.median, 0)} MiB)` : "";
    const small = rows.find((r) => r.command === command && r.routes === sizes[0])?.minOldSpaceMiB ?? NaN;
    const large = rows.find((r) => r.command === command && r.routes === last)?.minOldSpaceMiB ?? NaN;
    const ratio = large / small;
    report.target({
      target: `routes ${command}, ${last.toLocaleString("en")} routes: the smallest heap it completes in ≤ 1.3× the ${first}-route run's (same largest file: memory proportional to the largest file)`,
      measured: Number.isFinite(ratio) ? `${fmt(ratio, 2)}× (${large} MiB vs ${small} MiB, --max-old-space-size to 4 MiB)${peakText}` : `not measured${peakText}`,
      pass: Number.isFinite(ratio) ? ratio <= 1.3 : null,
    });
  }
}

/** 8. Sharded tables and lazy loading (bench/shards.ts). */
async function runShards(pipeline: Pipeline): Promise<void> {
  const BIG_HOSTS = Number(args.get("shard-hosts") ?? (quick ? 10_000 : 100_000));
  const PER_HOST = 10;
  const KEEP = quick ? 64 : 320;
  await checkBucketMethod(pipeline);
  console.log("  bucket-by-bucket compilation gives the whole table's shards (2,000 hosts): ok");
  const big = await bigTable(pipeline, BIG_HOSTS, PER_HOST, KEEP, (line) => console.log(line));
  const small = await smallStored(pipeline, 10, work);
  const cold = measureCold(big, small, quick ? 3 : 7);
  const heap = measureHeap(big);
  const change = await measureOneHostChange(pipeline, 10_000);
  const label = `${(BIG_HOSTS * PER_HOST).toLocaleString("en")}-route / ${BIG_HOSTS.toLocaleString("en")}-host`;
  const avgShard = big.allShardBytes / big.buckets;
  const marks = Object.keys(heap).filter((k) => /^heap\d+$/.test(k)).map((k) => Number(k.slice(4))).sort((a, b) => a - b);
  report.section({
    title: `8. Sharded tables: cold first request, memory, one-host change`,
    intro:
      `The ${label} table is compiled bucket by bucket through the real compile path (${big.buckets} buckets; cached in bench/.cache). ` +
      `A cold sample is a fresh Node process (cold V8) running the Worker's TableStore, prepare() and decide() on a KV held in memory: ` +
      `pointer + index + the host's shard → first decision (KV latency excluded: both tables read the same three keys). ${cold.bigCpuMs.length} rounds, alternating order.`,
    headers: ["measure", "value"],
    rows: [
      [`${label} table in KV`, `index ${kib(big.indexBytes)}, ${big.buckets} shards of ${kib(avgShard)} on average, ${kib(big.allShardBytes + big.indexBytes)} in all`],
      ...(big.build ? [[`building it (compile bucket by bucket; the run that filled the cache)`, `${fmt(big.build.s, 0)} s wall-clock, ${fmt(big.build.cpuS, 0)} s CPU (${fmt((1000 * big.build.cpuS) / big.buckets, 0)} ms CPU per bucket)`]] : []),
      ["10-route table in KV", `index ${kib(small.indexBytes)}, shard ${kib(small.shardBytes[0] ?? 0)}`],
      ["cold first request, CPU: big / 10-route", `${fmtSpread(spread(cold.bigCpuMs), 1, " ms")} / ${fmtSpread(spread(cold.smallCpuMs), 1, " ms")}`],
      ["cold first request, big ÷ 10-route, per round (CPU)", fmtSpread(cold.ratio, 2, "×")],
      ["same, wall-clock", fmtSpread(cold.wallRatio, 2, "×")],
      ["warm decision (best of 2,000): big / 10-route", `${fmt(cold.bigWarmUs, 1)} µs / ${fmt(cold.smallWarmUs, 1)} µs`],
      ["heap after GC once the first host is served (index + 1 shard; the base of the rows below)", kib(heap.heapBase!)],
      ...marks.map((n) => [`heap growth once ${n} hosts of distinct shards were served (shard JSON the cache holds)`, `${kib(heap[`heap${n}`]!)} (${kib(heap[`cache${n}`]!)})`]),
      ["SHARD_CACHE_BYTES (default) / evictions", `${kib(heap.limit!)} / ${heap.evictions}`],
      ["one-host change of a 10,000-host config: KV writes", `${change.writes} (${change.keys.join(", ")})`],
      ["written bytes ÷ the whole config's bytes in KV", `${kib(change.writtenBytes)} ÷ ${kib(change.configBytes)} = ${fmt((100 * change.writtenBytes) / change.configBytes, 2)} %`],
    ],
  });
  report.target({
    target: `cold first request to a host of a ${label} table ≤ 2× the 10-route table's`,
    measured: `${fmtSpread(cold.ratio, 2, "×")} CPU (${fmtSpread(spread(cold.bigCpuMs), 1, " ms")} vs ${fmtSpread(spread(cold.smallCpuMs), 1, " ms")})`,
    pass: cold.ratio.median <= 2,
  });
  report.target({
    target: "warm decision on the big table's shard within 1.5× the 10-route table's",
    measured: `${fmt(cold.bigWarmUs, 1)} µs vs ${fmt(cold.smallWarmUs, 1)} µs`,
    pass: cold.bigWarmUs <= 1.5 * cold.smallWarmUs,
  });
  const last = marks[marks.length - 1]!;
  // Heap per byte of cached shard JSON at the largest mark that did not evict yet, applied to the whole table.
  const perByte = Math.max(...marks.filter((n) => heap[`cache${n}`]! > 0).map((n) => heap[`heap${n}`]! / heap[`cache${n}`]!));
  const wholeHeapEstimate = perByte * (big.allShardBytes + big.indexBytes);
  report.target({
    target: "isolate heap bounded by SHARD_CACHE_BYTES, not by the table",
    measured: `+${kib(heap[`heap${last}`]!)} after ${last} hosts of distinct shards (cache ${kib(heap[`cache${last}`]!)} ≤ ${kib(heap.limit!)}, ${heap.evictions} evictions); the whole table would take ≈ ${kib(wholeHeapEstimate)} (${fmt(perByte, 1)} heap bytes per JSON byte)`,
    pass: heap[`cache${last}`]! <= heap.limit! && heap[`heap${last}`]! < 2 * perByte * heap.limit!,
  });
  report.target({
    target: "one-host change of a 10,000-host config: ≤ 5 KV values, ≤ 5 % of the config's bytes",
    measured: `${change.writes} values, ${fmt((100 * change.writtenBytes) / change.configBytes, 2)} %`,
    pass: change.writes <= 5 && change.writtenBytes <= 0.05 * change.configBytes,
  });
}

async function runE2e(pipeline: Pipeline, bundle: Bundle, origin: RunningOrigin, largeTable: RouteTable): Promise<void> {
  const addr = { address: "127.0.0.1", port: origin.port };
  const small = smallConfig(addr);
  const split = splitConfig(addr);
  const smallTable = await pipeline.compile(small.objects);
  const splitTable = await pipeline.compile(split.objects);
  const workers: Record<string, RunningWorker> = {};
  const start = async (key: string, p: Promise<RunningWorker>) => {
    workers[key] = await p;
    cleanups.push(() => workers[key]!.stop());
  };
  await start("passthrough", startPassthrough(bundle, origin.port));
  await start("small", startGateway(bundle, "gateway small", smallTable, tableJson(pipeline, smallTable)));
  await start("large", startGateway(bundle, "gateway 10k", largeTable, tableJson(pipeline, largeTable)));
  await start("split", startGateway(bundle, "gateway split", splitTable, tableJson(pipeline, splitTable)));
  const last = lastRouteProbe({ routes: SIZES[SIZES.length - 1]! });
  const variants: Variant[] = [
    { id: "origin", label: "(a) origin direct", target: { url: `http://127.0.0.1:${origin.port}/ok` }, check: okBody },
    { id: "passthrough", label: "(b) bare pass-through Worker", target: { url: `${workers.passthrough!.url}/ok` }, pid: workers.passthrough!.pid, check: okBody },
    { id: "small", label: "(c) gateway, small config", target: probeTarget(workers.small!.url, small.probes[0]!), pid: workers.small!.pid, check: okBody },
    { id: "large", label: "(d) gateway, 10,000 routes, last route", target: probeTarget(workers.large!.url, last), pid: workers.large!.pid, check: okBody },
    {
      id: "split",
      pid: workers.split!.pid,
      label: "(e) gateway, weighted split + retries + header ops",
      target: probeTarget(workers.split!.url, split.probes[0]!),
      check: (res) => okBody(res) ?? (res.headers["x-bench-served-by"] === "gateway" ? null : "response header op x-bench-served-by missing"),
    },
  ];
  const chosen = args.get("variants")?.split(",");
  const usable: Variant[] = [];
  for (const v of variants.filter((x) => !chosen || chosen.includes(x.id))) {
    const problem = await warmUp(v, 200);
    if (problem) report.problem(`warm-up: ${problem} — variant left out`);
    else usable.push(v);
  }
  const { results, cpuPerRequest } = await measureE2e(usable, {
    rounds: E2E_ROUNDS,
    durationMs: E2E_MS,
    concurrency: CONCURRENCY,
    onRound: (r) => console.log(`  round ${r + 1}/${E2E_ROUNDS} done`),
  });
  e2eSection(results, cpuPerRequest, usable, E2E_ROUNDS);
  if (args.has("instructions")) {
    if (!valgrindAvailable()) report.problem("--instructions: valgrind/callgrind_control not installed");
    else {
      section("3c. instructions per request (valgrind)");
      const specs: Array<[string, () => Promise<InstructionCount>]> = [];
      const gwSpec = (label: string, table: RouteTable) => ({
        label,
        script: readFileSync(bundle.mainPath, "utf8"),
        compatibilityDate: bundle.compatibilityDate,
        compatibilityFlags: bundle.compatibilityFlags,
        bindings: { CONFIG_REFRESH_SECONDS: "30" },
        kv: { ROUTES: kvEntries(table, tableJson(pipeline, table)) },
      });
      const opts = { warmup: INSTR_WARMUP, requests: INSTR_REQUESTS };
      specs.push(["passthrough", () => countInstructions({ label: "pass-through", script: passthroughScript(), compatibilityDate: bundle.compatibilityDate, compatibilityFlags: bundle.compatibilityFlags, bindings: { ORIGIN: `http://127.0.0.1:${origin.port}` } }, (b) => ({ url: `${b}/ok` }), work, opts)]);
      specs.push(["small", () => countInstructions(gwSpec("gateway small", smallTable), (b) => probeTarget(b, small.probes[0]!), work, opts)]);
      specs.push(["large", () => countInstructions(gwSpec("gateway 10k", largeTable), (b) => probeTarget(b, last), work, opts)]);
      specs.push(["split", () => countInstructions(gwSpec("gateway split", splitTable), (b) => probeTarget(b, split.probes[0]!), work, opts)]);
      const counts = new Map<string, InstructionCount>();
      for (const [id, run] of specs) {
        try {
          const c = await run();
          counts.set(id, c);
          console.log(`  ${c.label}: ${fmt(c.perRequest / 1e6, 3)} M instructions/request (${c.requests} requests, ${c.errors} errors)`);
        } catch (e) {
          report.problem(`instructions ${id}: ${(e as Error).message}`);
        }
      }
      instructionSection(counts);
    }
  }
  for (const [key, w] of Object.entries(workers))
    if (w.errors.length > 0) report.problem(`${key} Worker logged errors: ${w.errors.slice(0, 3).join(" | ")}`);
  for (const key of Object.keys(workers)) await workers[key]!.stop();
}

async function runMemory(pipeline: Pipeline, bundle: Bundle): Promise<void> {
  const origin = await startNodeOrigin();
  cleanups.push(() => origin.stop());
  const small = smallConfig({ address: "127.0.0.1", port: origin.port });
  const table = await pipeline.compile(small.objects);
  const gw = await startGateway(bundle, "gateway (memory)", table, tableJson(pipeline, table));
  cleanups.push(() => gw.stop());
  const pt = await startPassthrough(bundle, origin.port, "pass-through (memory)");
  cleanups.push(() => pt.stop());
  const rows: Array<{ worker: string; t: TransferResult }> = [];
  const subjects: Array<[string, RunningWorker, Record<string, string>]> = [
    ["pass-through", pt, {}],
    ["gateway", gw, { host: small.probes[0]!.host }],
  ];
  for (const [name, w, headers] of subjects) {
    if (w.pid === null) {
      report.problem(`memory: could not identify the workerd process of ${name}`);
      continue;
    }
    const problem = await warmUp({ id: "small", label: name, target: { url: `${w.url}/ok`, headers }, check: okBody }, 50);
    if (problem) {
      report.problem(`memory warm-up: ${problem}`);
      continue;
    }
  }
  for (let r = 0; r < MEMORY_ROUNDS; r++)
    for (const direction of ["response", "request"] as const)
      for (const [name, w, headers] of subjects) {
        if (w.pid === null) continue;
        try {
          rows.push({ worker: name, t: await measureTransfer(w.url, w.pid, direction, headers) });
        } catch (e) {
          report.problem(`memory ${name} ${direction}: ${(e as Error).message}`);
        }
      }
  memorySection(rows);
}

// Ctrl-C / kill: stop the origin and every workerd we started before exiting, so no nginx or
// workerd outlives the run.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.log(`\n${signal}: stopping origin and workers`);
    void Promise.allSettled(cleanups.reverse().map((c) => c())).finally(() => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  });

const t0 = Date.now();
try {
  await main();
} catch (e) {
  report.problem(`bench aborted: ${(e as Error).stack ?? e}`);
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
report.printTargets();
if (!args.has("no-write") && !only && !quick && !args.has("variants")) {
  const file = path.join(root, "bench", "RESULTS.md");
  const command = ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
  report.write(file, describeMachine(root, originDescription), startedAt, (Date.now() - t0) / 1000, command);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}
