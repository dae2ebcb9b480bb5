/**
 * CPU-independent cost per request: instructions the Worker's workerd process executes per
 * request, counted by valgrind's callgrind (opt-in: `npm run bench -- --instructions`; needs
 * valgrind). On a shared, oversubscribed machine wall-clock and even CPU-time ratios move by
 * ±30 %; instruction counts move by a few percent, so small differences become visible.
 *
 * workerd runs under `valgrind --tool=callgrind --instr-atstart=no` (near-native start-up, no
 * counting); after a warm-up (JIT tiers, table load) counting is switched on with
 * `callgrind_control -i on`, exactly `requests` requests are sent, and the counters are dumped.
 * The count covers every thread of the process (V8 background compilation and GC included).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { runLoad, type LoadTarget } from "./load-client.ts";
import { startWorker, type RunningWorker, type WorkerSpec } from "./workerd.ts";

export function valgrindAvailable(): boolean {
  return spawnSync("valgrind", ["--version"]).status === 0 && spawnSync("callgrind_control", ["-h"]).status !== null;
}

/** The real workerd binary (the npm `workerd` package's platform binary). */
export function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@cloudflare/workerd-linux-64/package.json");
  return path.join(path.dirname(pkg), "bin", "workerd");
}

export interface InstructionCount {
  label: string;
  requests: number;
  errors: number;
  instructions: number;
  perRequest: number;
  /** Wall time of the counted requests. */
  seconds: number;
  /** opts.probe's counter after the window minus before it. */
  probed?: number;
}

/** Instructions per request of one Worker, `requests` requests at concurrency 4 after `warmup` requests. */
export async function countInstructions(
  spec: WorkerSpec,
  target: (base: string) => LoadTarget,
  workDir: string,
  opts: { warmup: number; requests: number; concurrency?: number; pauseMs?: number; probe?: (w: RunningWorker) => Promise<number> },
): Promise<InstructionCount> {
  const tag = spec.label.replace(/[^a-z0-9]+/gi, "-");
  const out = path.join(workDir, `callgrind.${tag}`);
  const wrapper = path.join(workDir, `workerd-callgrind-${tag}.sh`);
  writeFileSync(
    wrapper,
    "#!/bin/sh\n" +
      `exec valgrind --tool=callgrind --cache-sim=no --smc-check=all-non-file --instr-atstart=no ` +
      `--callgrind-out-file=${out}.%p ${workerdBinary()} "$@" 2>>${out}.log\n`,
  );
  chmodSync(wrapper, 0o755);
  const w = await startWorker({ ...spec, workerdWrapper: wrapper });
  try {
    if (w.pid === null) throw new Error("could not find the valgrind/workerd process");
    const t = target(w.url);
    const warm = await runLoad(t, { concurrency: 4, durationMs: 600_000, maxRequests: opts.warmup });
    if (warm.errors > 0) throw new Error(`warm-up errors under valgrind: ${warm.firstError}`);
    const control = (...a: string[]) =>
      execFileSync("callgrind_control", [...a, String(w.pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    // `probe` reads a counter of the worker's (its objects' served requests, say) around the window.
    const before = opts.probe ? await opts.probe(w) : 0;
    control("-i", "on");
    const r = await runLoad(t, { concurrency: opts.concurrency ?? 4, durationMs: 600_000, maxRequests: opts.requests, ...(opts.pauseMs ? { pauseMs: opts.pauseMs } : {}) });
    control("-d");
    // After the dump: the probe's own requests are not the measured work.
    const probed = opts.probe ? (await opts.probe(w)) - before : undefined;
    const dumps = readdirSync(workDir).filter((f) => f.startsWith(`callgrind.${tag}.${w.pid}`) && !f.endsWith(".log"));
    let instructions = 0;
    for (const f of dumps) {
      const m = /^summary:\s*(\d+)/m.exec(readFileSync(path.join(workDir, f), "utf8"));
      if (m) instructions += Number(m[1]);
    }
    return { label: spec.label, requests: r.requests, errors: r.errors, instructions, perRequest: instructions / r.requests, seconds: r.elapsedMs / 1000, ...(probed !== undefined ? { probed } : {}) };
  } finally {
    await w.stop();
  }
}
