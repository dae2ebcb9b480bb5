/**
 * How long `routes validate` (load + compile) takes on a large generated config, through the CLI
 * as a user runs it, plus an in-process breakdown. A measurement, not a test: it prints numbers.
 *
 *   node --experimental-strip-types scripts/measure-cli.ts [ROUTES=10000] [RUNS=3]
 *
 * The config comes from bench/gen.ts (manyHosts: 10 routes per host, prefix/exact/header/regex
 * rotation), written as several files because readSources caps one file at 1 MiB.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { manyHosts, toYaml } from "../bench/gen.ts";
import { readSources } from "./lib/files.ts";
import { loadConfig } from "../src/config/index.ts";
import { canonicalJson, compile } from "../src/compile/index.ts";
import { analyze } from "../src/analyze/index.ts";

const ROUTES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const OBJECTS_PER_FILE = 200;

const cfg = manyHosts({ routes: ROUTES });
const dir = mkdtempSync(path.join(os.tmpdir(), "routes-measure-"));
let bytes = 0;
for (let i = 0; i < cfg.objects.length; i += OBJECTS_PER_FILE) {
  const text = toYaml(cfg.objects.slice(i, i + OBJECTS_PER_FILE));
  bytes += Buffer.byteLength(text);
  writeFileSync(path.join(dir, `part-${String(i / OBJECTS_PER_FILE).padStart(3, "0")}.yaml`), text);
}
const files = Math.ceil(cfg.objects.length / OBJECTS_PER_FILE);
console.log(`config: ${cfg.routes} routes, ${cfg.hosts} hosts, ${cfg.objects.length} objects, ${files} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB YAML`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cli: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, ["--experimental-strip-types", "--no-warnings", "scripts/routes.ts", "validate", dir], { encoding: "utf8" });
  cli.push(performance.now() - t0);
  if (r === 0) console.log(`  ${out.trim().split("\n").at(-1)}`);
}
const phases = { read: [] as number[], load: [] as number[], compile: [] as number[], canonical: [] as number[], analyze: [] as number[] };
let tableBytes = 0;
for (let r = 0; r < RUNS; r++) {
  let t = performance.now();
  const sources = await readSources([dir]);
  phases.read.push(performance.now() - t);
  t = performance.now();
  const loaded = loadConfig(sources);
  phases.load.push(performance.now() - t);
  t = performance.now();
  const compiled = await compile(loaded.objects, { sources: sources.map((s) => s.path) });
  phases.compile.push(performance.now() - t);
  t = performance.now();
  tableBytes = Buffer.byteLength(canonicalJson(compiled.table!));
  phases.canonical.push(performance.now() - t);
  t = performance.now();
  analyze(loaded.objects, compiled.table!);
  phases.analyze.push(performance.now() - t);
}
const ms = (x: number) => `${Math.round(x)} ms`;
console.log(`routes validate (subprocess, wall, incl. Node start): median ${ms(median(cli))} of ${RUNS} [${cli.map(ms).join(", ")}]`);
console.log(`in-process totals per run (first run = cold JIT, like the CLI): ${phases.read.map((_, i) => ms(phases.read[i]! + phases.load[i]! + phases.compile[i]! + phases.canonical[i]! + phases.analyze[i]!)).join(", ")}`);
console.log(
  `in-process medians: read ${ms(median(phases.read))}, load+validate ${ms(median(phases.load))}, compile ${ms(median(phases.compile))}, canonical JSON ${ms(median(phases.canonical))}, analyze ${ms(median(phases.analyze))}`,
);
console.log(`compiled table: ${(tableBytes / 1024 / 1024).toFixed(2)} MiB canonical JSON (Workers KV value limit: 25 MiB)`);
rmSync(dir, { recursive: true, force: true });
