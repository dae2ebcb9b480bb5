/**
 * The long config fuzz (issue #18 item 9), sharded by seed: shard k runs the config fuzz
 * (test/unit/fuzz/config-fuzz.test.ts) with FUZZ_SEED=k and FUZZ_RUNS=<runs>, i.e. 3 × runs random
 * configs that no other shard generates (every property's fast-check seed is offset by k); the
 * first shard also runs the fixed systematic leaf sweep (deterministic: other shards would repeat it). Shards run one after another by default (`--jobs N` runs N at
 * once on a machine with cores to spare), each a fresh vitest process, so a shard that finds
 * something stops alone and the rest go on. `--until HH:MM` (UTC) starts no shard after that
 * time and stops a running one at it (its configs count up to its last progress line). Prints, per shard and in total, the random configs run and
 * any failure (fast-check's seed and path reproduce it:
 * `FUZZ_SEED=k FUZZ_RUNS=<runs> npm run fuzz`).
 *
 *   npm run fuzz:long -- --configs 100000 [--runs 3400] [--first 1] [--jobs 1] [--until 20:50]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const target = Number(arg("configs", "100000"));
const runs = Number(arg("runs", "3400"));
const first = Number(arg("first", "1"));
const jobs = Math.max(1, Number(arg("jobs", "1")));
const untilText = arg("until", "");
let deadline = Number.POSITIVE_INFINITY;
if (untilText) {
  const [h, m] = untilText.split(":").map(Number);
  const d = new Date();
  d.setUTCHours(h!, m!, 0, 0);
  deadline = d.getTime();
}
const shards = Math.ceil(target / (3 * runs));

interface ShardResult {
  seed: number;
  ok: boolean;
  /** Stopped at --until (not a finding). */
  stopped: boolean;
  randomConfigs: number;
  summary: string;
  failure: string;
  seconds: number;
}

function runShard(seed: number): Promise<ShardResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    // The systematic leaf sweep is deterministic (the same configs whatever the seed): the first
    // shard runs it, the others would only repeat it.
    const only = seed === first ? [] : ["-t", "^(?!.*every string/number leaf)"];
    const child = spawn(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--project", "unit", "test/unit/fuzz/config-fuzz.test.ts", ...only], {
      cwd: ROOT,
      env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_PROGRESS: "500", NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const left = deadline - Date.now();
    let stopped = false;
    const timer = Number.isFinite(left) ? setTimeout(() => ((stopped = true), child.kill("SIGTERM")), Math.max(0, left)) : undefined;
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const summary = /config fuzz: [^\n]*/.exec(out)?.[0] ?? "";
      const ok = code === 0 && summary !== "";
      // The summary line counts the random configs; a shard stopped at --until (or failed) counts
      // what its last progress line reported.
      const random = /\((\d+) random\)/.exec(summary)?.[1];
      const progress = [...out.matchAll(/config fuzz progress: (\d+) random configs checked/g)].at(-1)?.[1];
      const failure = ok || stopped ? "" : (/(Property failed[\s\S]{0,1500})/.exec(out)?.[1] ?? out.slice(-2000));
      resolve({ seed, ok, stopped, randomConfigs: Number(ok ? random : progress) || 0, summary, failure, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

let next = first;
let total = 0;
const results: ShardResult[] = [];
async function worker(): Promise<void> {
  while (next < first + shards && Date.now() < deadline) {
    const seed = next++;
    const r = await runShard(seed);
    results.push(r);
    total += r.randomConfigs;
    console.log(`shard FUZZ_SEED=${seed} FUZZ_RUNS=${runs}: ${r.ok ? "passed" : r.stopped ? "stopped at --until" : "FAILED"} in ${r.seconds} s; ${r.randomConfigs} random configs; ${r.summary}; total so far ${total}`);
    if (r.failure) console.log(r.failure);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const failed = results.filter((r) => !r.ok && !r.stopped);
console.log(`total: ${total} random configs in ${results.length} shards (FUZZ_SEED ${results.map((r) => r.seed).sort((a, b) => a - b).join(", ")}; FUZZ_RUNS=${runs}); ${failed.length} failed${failed.length ? `: FUZZ_SEED ${failed.map((r) => r.seed).join(", ")}` : ""}`);
process.exitCode = failed.length ? 1 : 0;
