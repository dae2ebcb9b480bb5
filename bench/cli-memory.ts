/**
 * CLI memory against the number of files (issue #16 item 2: `routes validate` / `routes push` of
 * 100,000 routes use memory proportional to the largest file, not to the whole config). A
 * measurement, not a test; section 9 of `npm run bench` (bench/run.ts) and on its own:
 *
 *   node --experimental-strip-types bench/cli-memory.ts [--sizes=10000,50000,100000] [--per-file=5000] [--rounds=1] [--commands=validate,push] [--path=whole,lowmem] [--no-build]
 *   node --experimental-strip-types bench/cli-memory.ts --min-old-space [--sizes=…] [--commands=…]   # the smallest --max-old-space-size each run needs (binary search, minutes)
 *
 * Every size is written as files of the SAME size: a small file with the Gateway and the
 * ServiceEntry, then files of `perFile` routes each (bench/gen.ts manyHosts, 10 routes per host,
 * ≈ 880 KiB for 5,000 routes, under the CLI's 1 MiB cap); so the largest file is fixed and only the
 * file count grows. For each size and command:
 *  - the command as a user runs it (a fresh `node scripts/routes.ts` under /usr/bin/time and
 *    --trace-gc, bench/cli-scale.ts runCli): peak heap (the largest heap a GC started from), the
 *    largest live heap after a mark-compact, peak RSS;
 *  - `build()` alone in a fresh process (bench/cli-memory-child.ts) with the options the command
 *    passes: its --trace-gc peak, and the live heap after a full GC once it returned, the result
 *    held, above the heap after the imports — what the build keeps; `--path=whole|lowmem` picks
 *    the whole build (the commands' options before the bounded build) or the bounded one
 *    (`lowMemory: true`, what the commands use now); default both.
 * Ratios are against the smallest size in the same round (rounds interleave the sizes). Target: peak heap at 100,000 routes within
 * 1.3× the peak at 10,000 (same largest file).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gateway, hostName, mixRule, originEntry, toYaml, virtualService } from "./gen.ts";
import { runCli, type Generated, type Run } from "./cli-scale.ts";
import { fmtSpread, spread, type Spread } from "./stats.ts";

export const ROUTES_PER_HOST = 10;
export const DEFAULT_PER_FILE = 5000;

/** A config of cli-scale's shape; `files` counts the files of `perFile` routes (not the base file). */
export interface EqualFiles extends Generated {
  smallestPart: number;
}

/**
 * `routes` routes (a multiple of `perFile`) as one base file (Gateway + ServiceEntry) and
 * routes / perFile files of perFile routes each: the same hosts' VirtualServices, host names of
 * the same length in every file (h<j padded>), so the files differ in size by a few bytes.
 */
export function writeEqualFiles(dir: string, routes: number, perFile = DEFAULT_PER_FILE): EqualFiles {
  if (routes % perFile !== 0 || perFile % ROUTES_PER_HOST !== 0) throw new Error(`routes (${routes}) must be a multiple of perFile (${perFile}), itself a multiple of ${ROUTES_PER_HOST}`);
  mkdirSync(dir, { recursive: true });
  const base = toYaml([gateway(), originEntry()]);
  writeFileSync(path.join(dir, "00-base.yaml"), base);
  let bytes = Buffer.byteLength(base);
  let largestFile = 0;
  let smallestPart = Infinity;
  const files = routes / perFile;
  const hostsPerFile = perFile / ROUTES_PER_HOST;
  for (let f = 0; f < files; f++) {
    const objects = [];
    for (let k = 0; k < hostsPerFile; k++) {
      const j = f * hostsPerFile + k;
      // Same name length in every file: the files have the same size at every config size.
      const host = hostName(j).replace(/^h\d+/, `h${String(j).padStart(7, "0")}`);
      const rules = Array.from({ length: ROUTES_PER_HOST }, (_, i) => mixRule(i, host).rule);
      objects.push(virtualService(`vs-${String(j).padStart(7, "0")}`, [host], rules));
    }
    const text = toYaml(objects);
    const n = Buffer.byteLength(text);
    writeFileSync(path.join(dir, `part-${String(f).padStart(4, "0")}.yaml`), text);
    bytes += n;
    largestFile = Math.max(largestFile, n);
    smallestPart = Math.min(smallestPart, n);
  }
  return { dir, routes, hosts: routes / ROUTES_PER_HOST, files, bytes, largestFile, smallestPart };
}

export interface BuildRun {
  peakHeapMiB: number;
  liveHeapMiB: number;
  /** Live heap after the build returned (result held) minus the live heap after the imports. */
  keptMiB: number;
  routes: number;
  errors: number;
  hash: string | null;
  exit: number;
  stderr: string;
}

const ROOT = path.resolve(import.meta.dirname, "..");
const GC_LINE = /:\s+[A-Za-z-]+(?: \([^)]*\))?\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(/;
const MiB = 1024 * 1024;

/** `build()` alone, as `command` calls it, in a fresh process (cli-memory-child.ts). */
export function runBuild(command: "validate" | "push", mode: "whole" | "lowmem", dir: string): BuildRun {
  const r = spawnSync(process.execPath, ["--experimental-strip-types", "--no-warnings", "--expose-gc", "--trace-gc", "bench/cli-memory-child.ts", command, mode, dir], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * MiB,
  });
  let peakHeapMiB = 0;
  let liveHeapMiB = 0;
  let result: { startHeap: number; liveAfterBuild: number; routes: number; errors: number; hash: string | null } | null = null;
  for (const line of `${r.stdout}`.split("\n")) {
    const m = line.startsWith("[") ? GC_LINE.exec(line) : null;
    if (m) {
      peakHeapMiB = Math.max(peakHeapMiB, Number(m[1]));
      if (line.includes("Mark-Compact")) liveHeapMiB = Math.max(liveHeapMiB, Number(m[3]));
    } else if (line.startsWith("{")) result = JSON.parse(line);
  }
  return {
    peakHeapMiB,
    liveHeapMiB,
    keptMiB: result ? (result.liveAfterBuild - result.startHeap) / MiB : NaN,
    routes: result?.routes ?? 0,
    errors: result?.errors ?? -1,
    hash: result?.hash ?? null,
    exit: r.status ?? -1,
    stderr: `${r.stderr}`.trim().split("\n").slice(-3).join(" | "),
  };
}

export interface MemoryRow {
  routes: number;
  files: number;
  largestFile: number;
  command: "validate" | "push";
  /** One per round. */
  cli: Run[];
  builds: Partial<Record<"whole" | "lowmem", BuildRun[]>>;
  /** The smallest --max-old-space-size (MiB) the command completes in (smallestOldSpace), when asked. */
  minOldSpaceMiB?: number;
}


/**
 * Every size is written first; then each round runs every size and command in turn (so a round's
 * sizes see the same machine), and a ratio is taken within a round.
 */
export async function measureCliMemory(opts: {
  sizes: number[];
  perFile?: number;
  rounds?: number;
  commands?: Array<"validate" | "push">;
  modes?: Array<"whole" | "lowmem">;
  /** Also find each command's smallest heap at the smallest and the largest size (minutes). */
  minOldSpace?: boolean;
  log?: (line: string) => void;
}): Promise<MemoryRow[]> {
  const log = opts.log ?? console.log;
  const perFile = opts.perFile ?? DEFAULT_PER_FILE;
  const commands = opts.commands ?? ["validate", "push"];
  const modes = opts.modes ?? ["whole", "lowmem"];
  const base = mkdtempSync(path.join(os.tmpdir(), "cli-memory-"));
  const rows: MemoryRow[] = [];
  try {
    const configs = opts.sizes.map((routes) => {
      const g = writeEqualFiles(path.join(base, `r${routes}`), routes, perFile);
      log(`  ${routes} routes / ${g.hosts} hosts: ${g.files} files of ${perFile} routes (${kib(g.smallestPart)}–${kib(g.largestFile)} each) + base, ${(g.bytes / MiB).toFixed(1)} MiB YAML`);
      for (const command of commands) rows.push({ routes, files: g.files, largestFile: g.largestFile, command, cli: [], builds: {} });
      return g;
    });
    for (let round = 0; round < (opts.rounds ?? 1); round++)
      for (const g of configs)
        for (const command of commands) {
          const row = rows.find((r) => r.routes === g.routes && r.command === command)!;
          const state = path.join(base, `state-${g.routes}-${command}-${round}`);
          const cli = runCli(command === "push" ? ["push", "--local", "--persist-to", state, g.dir] : ["validate", g.dir]);
          rmSync(state, { recursive: true, force: true });
          row.cli.push(cli);
          const parts: string[] = [];
          for (const mode of modes) {
            const b = runBuild(command, mode, g.dir);
            (row.builds[mode] ??= []).push(b);
            parts.push(`build ${mode}: peak ${b.peakHeapMiB.toFixed(0)} MiB, kept ${b.keptMiB.toFixed(1)} MiB${b.exit ? ` (exit ${b.exit}: ${b.stderr})` : ""}`);
          }
          log(`    round ${round + 1} ${g.routes} ${command}: CLI peak heap ${cli.peakHeapMiB.toFixed(0)} MiB, live after mark-compact ≤ ${cli.liveHeapMiB.toFixed(0)} MiB, RSS ${(cli.maxRssKiB / 1024).toFixed(0)} MiB, wall ${(cli.wallMs / 1000).toFixed(1)} s, exit ${cli.exit}; ${parts.join("; ")}`);
        }
    if (opts.minOldSpace)
      for (const g of [configs[0]!, configs[configs.length - 1]!])
        for (const command of commands) {
          const row = rows.find((r) => r.routes === g.routes && r.command === command)!;
          row.minOldSpaceMiB = smallestOldSpace(command, g.dir, { lo: 16, hi: 512, step: 4 });
          log(`    ${g.routes} ${command}: completes in --max-old-space-size=${row.minOldSpaceMiB} (MiB, to 4)`);
        }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return rows;
}

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

/**
 * The smallest `--max-old-space-size` (MiB, to within `step`) with which the command still
 * succeeds: what it needs, unlike the peak, which V8's heap growth lets follow the garbage too.
 */
export function smallestOldSpace(command: "validate" | "push", dir: string, opts: { lo?: number; hi?: number; step?: number } = {}): number {
  let lo = opts.lo ?? 8;
  let hi = opts.hi ?? 1024;
  const step = opts.step ?? 4;
  const ok = (mib: number) => {
    const state = mkdtempSync(path.join(os.tmpdir(), "cli-memory-state-"));
    try {
      const r = runCli(command === "push" ? ["push", "--local", "--persist-to", state, dir] : ["validate", dir], [`--max-old-space-size=${mib}`]);
      return r.exit === 0;
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  };
  if (!ok(hi)) return NaN;
  while (hi - lo > step) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Per size of `command`: the measure of each round, and its ratio to the smallest size's measure
 * of the same round.
 */
export function growth(rows: MemoryRow[], command: string, pick: (r: MemoryRow, round: number) => number): Array<{ routes: number; values: Spread; ratios: Spread }> {
  const mine = rows.filter((r) => r.command === command).sort((a, b) => a.routes - b.routes);
  const first = mine[0];
  if (!first) return [];
  return mine.map((r) => {
    const values = r.cli.map((_, i) => pick(r, i));
    return { routes: r.routes, values: spread(values), ratios: spread(values.map((v, i) => v / pick(first, i))) };
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (isMain) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const sizes = (arg("sizes") ?? "10000,50000,100000").split(",").map(Number);
  const commands = (arg("commands") ?? "validate,push").split(",") as Array<"validate" | "push">;
  const modes = process.argv.includes("--no-build") ? [] : (arg("path")?.split(",") as Array<"whole" | "lowmem"> | undefined);
  console.log(`machine: ${os.cpus().length} CPU, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; node ${process.version}`);
  if (process.argv.includes("--min-old-space")) {
    // Only the smallest --max-old-space-size each command needs, per size.
    const base = mkdtempSync(path.join(os.tmpdir(), "cli-memory-"));
    try {
      const first = new Map<string, number>();
      for (const routes of sizes) {
        const g = writeEqualFiles(path.join(base, `r${routes}`), routes, Number(arg("per-file") ?? DEFAULT_PER_FILE));
        for (const command of commands) {
          const mib = smallestOldSpace(command, g.dir);
          if (!first.has(command)) first.set(command, mib);
          console.log(`  ${command} ${routes} routes (${g.files} files): succeeds with --max-old-space-size=${mib} (${(mib / first.get(command)!).toFixed(2)}× the smallest size)`);
        }
        rmSync(g.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
    process.exit(0);
  }
  const rows = await measureCliMemory({ sizes, perFile: Number(arg("per-file") ?? DEFAULT_PER_FILE), rounds: Number(arg("rounds") ?? 1), commands, modes });
  console.log("\nmedian (min–max) over rounds; ratios against the smallest size of the same round (same largest file):");
  for (const command of commands) {
    const peak = growth(rows, command, (r, i) => r.cli[i]!.peakHeapMiB);
    const live = growth(rows, command, (r, i) => r.cli[i]!.liveHeapMiB);
    const rss = growth(rows, command, (r, i) => r.cli[i]!.maxRssKiB / 1024);
    for (const [i, p] of peak.entries())
      console.log(`  ${command} ${p.routes}: CLI peak heap ${fmtSpread(p.values, 0, " MiB")} = ${fmtSpread(p.ratios, 2, "×")}; live ${fmtSpread(live[i]!.ratios, 2, "×")}; RSS ${fmtSpread(rss[i]!.values, 0, " MiB")} = ${fmtSpread(rss[i]!.ratios, 2, "×")}`);
    for (const mode of ["whole", "lowmem"] as const) {
      if (!rows.some((r) => r.command === command && r.builds[mode])) continue;
      const bp = growth(rows, command, (r, i) => r.builds[mode]?.[i]?.peakHeapMiB ?? NaN);
      const bk = growth(rows, command, (r, i) => r.builds[mode]?.[i]?.keptMiB ?? NaN);
      for (const [i, p] of bp.entries())
        console.log(`  ${command} ${p.routes} build ${mode}: peak ${fmtSpread(p.values, 0, " MiB")} = ${fmtSpread(p.ratios, 2, "×")}; kept ${fmtSpread(bk[i]!.values, 1, " MiB")} = ${fmtSpread(bk[i]!.ratios, 2, "×")}`);
    }
  }
}
