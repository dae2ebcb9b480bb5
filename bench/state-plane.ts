/**
 * `npm run bench -- --only=state [--instructions]`: what the state plane (src/state) costs.
 *
 *  1. per request: instructions per request of the gateway (small config, every cluster with
 *     outlierDetection so shared-health recording runs on every request) with the STATE binding
 *     ÷ the same gateway without it (valgrind callgrind, --instructions). Target ≤ 1.05×.
 *     And a Canary's cost: a 90/10 split with a Canary on its rule ÷ the same split without
 *     (both with the state plane).
 *  2. the objects' load from one isolate under steady traffic: requests each GatewayState object
 *     served during a timed run at the default settings (STATE_REFRESH_SECONDS 5,
 *     STATE_CACHE_SECONDS 2), per second. One workerd = one isolate, so this is the per-isolate
 *     rate; with the location cache (real Cloudflare, custom domain) pointer reads are per
 *     location rather than per isolate.
 */
import { readFileSync } from "node:fs";
import type { RouteTable } from "../src/table/types.ts";
import { healthObject, POINTER_OBJECT, rolloutObject } from "../src/state/names.ts";
import type { Bundle } from "./bundle.ts";
import { kvEntries, probeTarget } from "./e2e.ts";
import { canaryConfig, NAMESPACE, smallConfig } from "./gen.ts";
import { countInstructions, valgrindAvailable } from "./instructions.ts";
import { runLoad } from "./load-client.ts";
import type { RunningOrigin } from "./origin.ts";
import type { Pipeline } from "./pipeline.ts";
import type { Report } from "./report.ts";
import { fmt } from "./stats.ts";
import { startWorker, type RunningWorker, type WorkerSpec } from "./workerd.ts";

export interface StateBenchOptions {
  pipeline: Pipeline;
  bundle: Bundle;
  origin: RunningOrigin;
  report: Report;
  work: string;
  instructions: boolean;
  loadSeconds: number;
  instrWarmup: number;
  instrRequests: number;
  tableJson: (t: RouteTable) => string;
}

export async function runStatePlane(o: StateBenchOptions): Promise<void> {
  const small = smallConfig({ address: "127.0.0.1", port: o.origin.port });
  const table = await o.pipeline.compile(small.objects);
  for (const c of Object.values(table.clusters)) {
    c.trafficPolicy = { ...c.trafficPolicy, outlierDetection: { consecutive5xxErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0 } };
  }
  const spec = (label: string, withState: boolean, refreshSeconds = "5"): WorkerSpec => ({
    label,
    script: readFileSync(o.bundle.mainPath, "utf8"),
    compatibilityDate: o.bundle.compatibilityDate,
    compatibilityFlags: o.bundle.compatibilityFlags,
    bindings: { CONFIG_REFRESH_SECONDS: "30", ...(withState ? { STATE_REFRESH_SECONDS: refreshSeconds, STATE_CACHE_SECONDS: "2" } : {}) },
    kv: { ROUTES: kvEntries(table, o.tableJson(table)) },
    ...(withState ? { durableObjects: { STATE: "GatewayState" } } : {}),
  });
  const target = (base: string) => probeTarget(base, small.probes[0]!);
  const canaryTarget = (base: string) => probeTarget(base, canaryConfig(undefined, true).probes[0]!);
  const rows: string[][] = [];
  const notes: string[] = [];

  if (o.instructions) {
    if (!valgrindAvailable()) o.report.problem("state plane --instructions: valgrind not installed");
    else {
      const opts = { warmup: o.instrWarmup, requests: o.instrRequests };
      const without = await countInstructions(spec("gateway small + outlierDetection, no state plane", false), target, o.work, opts);
      // The per-request path alone: background refreshes (a pointer read, a report, the objects'
      // own work, all in this workerd process) pushed out of the measured window.
      const perRequest = await countInstructions(spec("gateway small + outlierDetection, state plane, no background refresh", true, "3600"), target, o.work, opts);
      const withState = await countInstructions(spec("gateway small + outlierDetection, state plane", true), target, o.work, opts);
      const ratio = perRequest.perRequest / without.perRequest;
      const ratioAll = withState.perRequest / without.perRequest;
      console.log(`  without: ${fmt(without.perRequest / 1e6, 3)} M, per-request path: ${fmt(perRequest.perRequest / 1e6, 3)} M (${fmt(ratio, 3)}×), with background: ${fmt(withState.perRequest / 1e6, 3)} M (${fmt(ratioAll, 3)}×)`);
      rows.push(["instructions/request without the state plane", `${fmt(without.perRequest / 1e6, 3)} M (${without.requests} requests, ${without.errors} errors)`]);
      rows.push(["with the state plane, per-request path (STATE_REFRESH_SECONDS=3600)", `${fmt(perRequest.perRequest / 1e6, 3)} M (${fmt(ratio, 3)}×)`]);
      rows.push(["with the state plane, background included (refresh 5 s; valgrind's ~50× slowdown stretches the window, so time-based work weighs ~50× more per request than live)", `${fmt(withState.perRequest / 1e6, 3)} M (${fmt(ratioAll, 3)}×)`]);
      o.report.target({ target: "state plane per-request cost ≤ +5 % instructions", measured: `${fmt((ratio - 1) * 100, 1)} % (background included, valgrind-stretched: ${fmt((ratioAll - 1) * 100, 1)} %)`, pass: ratio <= 1.05 });

      // 3. What a Canary costs a request of its rule: the same 90/10 split with and without one,
      // both with the state plane and background refreshes pushed out of the window. The rollout's
      // counters are flushed to its object every second at most (a quarter of the interval, ≤ 1 s):
      // time-based work that valgrind's slowdown spreads over ~50× fewer requests than live.
      const canaryTable = async (canary: boolean) => {
        const t = await o.pipeline.compile(canaryConfig({ address: "127.0.0.1", port: o.origin.port }, canary).objects);
        return { ROUTES: kvEntries(t, o.tableJson(t)) };
      };
      // The rollout object's reports (one per flush) during the window, exactly.
      const reports = async (w: RunningWorker) => {
        const st = (await w.objectFetch!("STATE", rolloutObject(`${NAMESPACE}/checkout`), "/stats")) as { served: Record<string, number> };
        return st.served["/rollout/report"] ?? 0;
      };
      const split = await countInstructions({ ...spec("90/10 split, state plane, no Canary", true, "3600"), kv: await canaryTable(false) }, canaryTarget, o.work, opts);
      // Two runs at different request rates (as fast as it goes; one at a time, 300 ms apart):
      // instructions = a·requests + b·flushes, solved for a (the per-request path) and b (one
      // flush and the second of idle time around it; the object's own work included: here it
      // runs in the same workerd process, on Cloudflare in the object's isolate).
      const fast = await countInstructions({ ...spec("90/10 split, state plane, a Canary (concurrency 4)", true, "3600"), kv: await canaryTable(true) }, canaryTarget, o.work, { ...opts, probe: reports });
      const slow = await countInstructions({ ...spec("90/10 split, state plane, a Canary (paced)", true, "3600"), kv: await canaryTable(true) }, canaryTarget, o.work, { ...opts, requests: Math.ceil(opts.requests / 2), concurrency: 1, pauseMs: 300, probe: reports });
      const [r1, f1, i1] = [fast.requests, fast.probed ?? 0, fast.instructions];
      const [r2, f2, i2] = [slow.requests, slow.probed ?? 0, slow.instructions];
      const det = r1 * f2 - r2 * f1;
      const pathPerRequest = det !== 0 ? (i1 * f2 - i2 * f1) / det : NaN;
      const perFlush = det !== 0 ? (r1 * i2 - r2 * i1) / det : NaN;
      const asMeasured = fast.perRequest / split.perRequest;
      const pathRatio = pathPerRequest / split.perRequest;
      console.log(
        `  90/10 split: ${fmt(split.perRequest / 1e6, 3)} M; with a Canary as measured: ${fmt(fast.perRequest / 1e6, 3)} M (${fmt(asMeasured, 3)}×; ${f1} flushes in ${r1} requests), ` +
          `paced: ${fmt(slow.perRequest / 1e6, 3)} M (${f2} flushes in ${r2}); per-request path ${fmt(pathPerRequest / 1e6, 3)} M (${fmt(pathRatio, 3)}×), per flush ${fmt(perFlush / 1e6, 2)} M`,
      );
      rows.push(["90/10 split, state plane (no Canary)", `${fmt(split.perRequest / 1e6, 3)} M (${split.requests} requests, ${split.errors} errors)`]);
      rows.push([
        "the same split with a Canary on the rule, as measured (counter flushes to the object included: valgrind's slowdown puts ~50× more of them per request than live)",
        `${fmt(fast.perRequest / 1e6, 3)} M (${fmt(asMeasured, 3)}×; ${f1} flushes in ${r1} requests, ${fast.errors + slow.errors} errors); paced 300 ms apart ${fmt(slow.perRequest / 1e6, 3)} M (${f2} flushes in ${r2})`,
      ]);
      rows.push(["a Canary's per-request path (counters, weight from the rollout's state), flushes solved out of the two runs", `${fmt(pathPerRequest / 1e6, 3)} M (${fmt(pathRatio, 3)}×)`]);
      rows.push(["one counter flush (POST to the rollout's object + its answer cached; the object's work included, same process here)", `${fmt(perFlush / 1e6, 2)} M, at most one per second per isolate`]);
      o.report.target({ target: "a Canary's per-request cost ≤ +5 % instructions", measured: `${fmt((pathRatio - 1) * 100, 1)} % (as measured with valgrind-stretched flushes: ${fmt((asMeasured - 1) * 100, 1)} %)`, pass: pathRatio <= 1.05 });
    }
  }

  // Object load from one isolate under steady traffic.
  const w = await startWorker(spec("gateway small, state plane (load)", true));
  try {
    const t = target(w.url);
    const warm = await runLoad(t, { concurrency: 4, durationMs: 10_000, maxRequests: 200 });
    if (warm.errors > 0) throw new Error(`warm-up errors: ${warm.firstError}`);
    const names = [POINTER_OBJECT, ...Object.keys(table.clusters).map(healthObject)];
    const served = async () => {
      const per: Record<string, number> = {};
      for (const n of names) {
        const s = (await w.objectFetch!("STATE", n, "/stats")) as { served: Record<string, number> };
        per[n] = Object.values(s.served).reduce((a, b) => a + b, 0) - (s.served["/stats"] ?? 0);
      }
      return per;
    };
    const before = await served();
    const r = await runLoad(t, { concurrency: 8, durationMs: o.loadSeconds * 1000 });
    const after = await served();
    const secs = r.elapsedMs / 1000;
    let total = 0;
    for (const n of names) {
      const d = (after[n] ?? 0) - (before[n] ?? 0);
      total += d;
      rows.push([`object ${n}: requests/s from this isolate`, `${fmt(d / secs, 2)} (${d} in ${fmt(secs, 1)} s)`]);
    }
    rows.push(["all objects: requests/s from this isolate", `${fmt(total / secs, 2)} at ${fmt(r.rps, 0)} gateway requests/s (${r.errors} errors)`]);
    rows.push(["object requests per gateway request", fmt(total / Math.max(1, r.requests), 6)]);
    console.log(`  objects: ${fmt(total / secs, 2)} requests/s from one isolate at ${fmt(r.rps, 0)} requests/s`);
  } finally {
    await w.stop();
  }
  o.report.section({
    title: "7. State plane (Durable Objects)",
    intro:
      "The gateway with and without the STATE binding on the small config with outlierDetection on every cluster (shared-health recording on every request); " +
      "object load measured from one isolate (one workerd) at the default settings, STATE_REFRESH_SECONDS 5 and STATE_CACHE_SECONDS 2.",
    headers: ["measure", "value"],
    rows,
    notes: notes.filter(Boolean),
  });
}
