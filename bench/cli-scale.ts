/**
 * `routes validate` and `routes push --local` on large generated configs (issue #16 item 2: 100,000
 * routes / 10,000 hosts, files under 1 MiB, within 60 s, growing linearly; CLI memory proportional
 * to the largest file). A measurement, not a test: it prints numbers.
 *
 *   node --experimental-strip-types bench/cli-scale.ts [--sizes=10000,50000,100000] [--commands=validate,push] [--no-profile]
 *
 * For each size: bench/gen.ts manyHosts (10 routes per host), written as files of at most
 * FILE_BYTES each. Each command runs as a user runs it (a fresh `node scripts/routes.ts` process)
 * under /usr/bin/time (wall, peak RSS) and --trace-gc (peak V8 heap: the largest heap size a GC
 * started from; a timer-based sampler would miss it, since compile never yields), and once
 * more with --cpu-prof for the per-phase breakdown: every CPU sample is charged to the innermost
 * frame whose file belongs to a phase (a builtin such as JSON.stringify is charged to its caller's
 * phase), so the phases add up to the process's CPU time.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { manyHosts, toYaml } from "./gen.ts";

/** Files stay under 1 MiB (the CLI's default cap), with room for a host's VirtualService. */
export const FILE_BYTES = 900 * 1024;

export interface Generated {
  dir: string;
  routes: number;
  hosts: number;
  files: number;
  bytes: number;
  largestFile: number;
}

/** Writes a manyHosts config of `routes` routes into `dir`, split into files under FILE_BYTES. */
export function writeConfig(dir: string, routes: number): Generated {
  const cfg = manyHosts({ routes });
  mkdirSync(dir, { recursive: true });
  let chunk: string[] = [];
  let size = 0;
  let files = 0;
  let bytes = 0;
  let largestFile = 0;
  const flush = () => {
    if (!chunk.length) return;
    const text = chunk.join("---\n");
    writeFileSync(path.join(dir, `part-${String(files).padStart(4, "0")}.yaml`), text);
    bytes += Buffer.byteLength(text);
    largestFile = Math.max(largestFile, Buffer.byteLength(text));
    files++;
    chunk = [];
    size = 0;
  };
  for (const o of cfg.objects) {
    const text = toYaml([o]);
    const n = Buffer.byteLength(text) + 4;
    if (size + n > FILE_BYTES) flush();
    chunk.push(text);
    size += n;
  }
  flush();
  return { dir, routes: cfg.routes, hosts: cfg.hosts, files, bytes, largestFile };
}

/** Phases, in the order they run; a file (URL) belongs to the first phase whose pattern it matches. */
const PHASES: Array<[string, RegExp]> = [
  ["YAML + positions", /node_modules\/(js-yaml|yaml)\/|src\/config\/yaml-doc\.ts/],
  ["schema (zod)", /node_modules\/zod\/|src\/config\/(schema|zod-issues|gateway-api\/schema)/],
  ["cross-resource checks", /src\/config\/(load|references|k8s-names|origins|edge-notes|issue|duration|regex|regex-ast|regex-safety|canary)\.ts|src\/config\/gateway-api\//],
  ["compile", /src\/compile\//],
  ["analyze (validate)", /src\/analyze\//],
  ["shard + encode + hash", /src\/table\//],
  ["write (store, Miniflare)", /src\/store\/|scripts\/lib\/(local-kv|kv-writer|target)\.ts|node_modules\/(miniflare|undici|ws|capnp|workerd|@cspotcode|sharp|youch|stoppable|zod)\b/],
  ["read files", /scripts\/lib\/files\.ts/],
  ["CLI + startup", /scripts\/|node:internal|^node:|internal\//],
];

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

/** ms per phase from a .cpuprofile (innermost phase frame wins; GC and idle on their own). */
export function phasesOf(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const phaseOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const { url, functionName } = n.callFrame;
    let phase: string | undefined;
    if (functionName === "(garbage collector)") phase = "GC";
    else if (functionName === "(idle)") phase = "idle (waiting on I/O, workerd)";
    else if (functionName === "(program)") phase = "V8 (program)";
    else if (url) phase = PHASES.find(([, re]) => re.test(url))?.[0];
    if (phase === undefined) {
      const p = parent.get(id);
      phase = p === undefined ? "other" : resolve(p);
    }
    phaseOf.set(id, phase);
    return phase;
  };
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ph = resolve(id);
    out.set(ph, (out.get(ph) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

export interface Run {
  wallMs: number;
  /** user + system CPU of the process (less dependent on the machine's load than wall time). */
  cpuMs: number;
  maxRssKiB: number;
  peakHeapMiB: number;
  /** Largest heap still in use after a full (mark-compact) GC: what the run keeps alive at once. */
  liveHeapMiB: number;
  lastLine: string;
  exit: number;
}

const ROOT = path.resolve(import.meta.dirname, "..");
/** `[pid:0x…]   1234 ms: Mark-Compact 512.3 (530.1) -> 400.2 (420.0) MB, …`: heap used before → after. */
const GC_LINE = /:\s+[A-Za-z-]+(?: \([^)]*\))?\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(/;

/** One CLI run as a user runs it, with /usr/bin/time and the heap sampler. */
export function runCli(args: string[], extraNode: string[] = []): Run {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "cli-run-"));
  const timeFile = path.join(tmp, "time");
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%e %M %U %S", "-o", timeFile, process.execPath, "--experimental-strip-types", "--no-warnings", "--trace-gc", ...extraNode, "scripts/routes.ts", ...args],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const [wall, rss, user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  rmSync(tmp, { recursive: true, force: true });
  let peakHeapMiB = 0;
  let liveHeapMiB = 0;
  const lines: string[] = [];
  for (const line of `${r.stdout}`.split("\n")) {
    const m = line.startsWith("[") ? GC_LINE.exec(line) : null;
    if (m) peakHeapMiB = Math.max(peakHeapMiB, Number(m[1]));
    if (m && line.includes("Mark-Compact")) liveHeapMiB = Math.max(liveHeapMiB, Number(m[3]));
    else if (line.trim()) lines.push(line);
  }
  return { wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, maxRssKiB: rss!, peakHeapMiB, liveHeapMiB, lastLine: lines.at(-1) ?? "", exit: r.status ?? -1 };
}

/** The same run with --cpu-prof: ms per phase. */
export function profileCli(args: string[]): Map<string, number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cli-prof-"));
  runCli(args, ["--cpu-prof", "--cpu-prof-dir", dir]);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  const out = file ? phasesOf(JSON.parse(readFileSync(path.join(dir, file), "utf8"))) : new Map<string, number>();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (isMain) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const sizes = (arg("sizes") ?? "10000,50000,100000").split(",").map(Number);
  const commands = (arg("commands") ?? "validate,push").split(",");
  const profile = !process.argv.includes("--no-profile");
  const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;
  console.log(`machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? "?"}), shared; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; node ${process.version}`);
  const base = mkdtempSync(path.join(os.tmpdir(), "cli-scale-"));
  const rows: Array<{ routes: number; command: string; run: Run }> = [];
  try {
    for (const routes of sizes) {
      const g = writeConfig(path.join(base, `r${routes}`), routes);
      console.log(`\n${g.routes} routes / ${g.hosts} hosts: ${g.files} files, ${mib(g.bytes)} YAML, largest file ${mib(g.largestFile)}`);
      for (const command of commands) {
        const state = path.join(base, `state-${routes}`);
        const args = command === "push" ? ["push", "--local", "--persist-to", state, g.dir] : ["validate", g.dir];
        const run = runCli(args);
        rows.push({ routes, command, run });
        console.log(`  ${command}: wall ${fmtMs(run.wallMs)}, CPU ${fmtMs(run.cpuMs)}, peak RSS ${(run.maxRssKiB / 1024).toFixed(0)} MiB, peak heap ${run.peakHeapMiB.toFixed(0)} MiB, live after a full GC (largest seen) ${run.liveHeapMiB.toFixed(0)} MiB, exit ${run.exit}: ${run.lastLine.slice(0, 100)}`);
        if (profile) {
          // A fresh store, so the profiled push writes every shard as the measured one did.
          rmSync(state, { recursive: true, force: true });
          const phases = profileCli(args);
          const total = [...phases.values()].reduce((a, b) => a + b, 0);
          const parts = [...phases].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmtMs(v)}`);
          console.log(`    profile (${fmtMs(total)} sampled): ${parts.join(", ")}`);
        }
        rmSync(state, { recursive: true, force: true });
      }
      rmSync(g.dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const first = sizes[0]!;
  console.log("\ngrowth (time per route relative to the smallest size; 1.00 = linear):");
  for (const command of commands) {
    const b = rows.find((r) => r.routes === first && r.command === command);
    if (!b) continue;
    for (const r of rows.filter((x) => x.command === command && x.routes !== first))
      console.log(`  ${command} ${r.routes}: wall ${(r.run.wallMs / r.routes / (b.run.wallMs / first)).toFixed(2)}×, CPU ${(r.run.cpuMs / r.routes / (b.run.cpuMs / first)).toFixed(2)}× per route; peak heap ${(r.run.peakHeapMiB / b.run.peakHeapMiB).toFixed(2)}×, live heap ${(r.run.liveHeapMiB / b.run.liveHeapMiB).toFixed(2)}×, RSS ${(r.run.maxRssKiB / b.run.maxRssKiB).toFixed(2)}× for ${(r.routes / first).toFixed(0)}× the routes`);
  }
}
