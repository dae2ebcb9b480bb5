/**
 * 3. End to end through workerd: requests/s and p50/p99 latency of
 *   origin       the local origin directly (the client's own ceiling),
 *   passthrough  a bare pass-through Worker (bench/passthrough.ts),
 *   small        the gateway with a small config,
 *   large        the gateway with a 10,000-route config, request matching the last route,
 *   split        the gateway on a weighted split with retries and header operations.
 * Each Worker runs in its own workerd process started through Miniflare (same workerd build,
 * same compatibility date, request logging off). Variants are interleaved in rounds with a
 * rotating order; every ratio is taken between two measurements of the same round.
 */
import { readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RouteTable } from "../src/table/types.ts";
import { ACTIVE_KEY, versionKey, type ActivePointer } from "../src/store/keys.ts";
import type { Bundle } from "./bundle.ts";
import type { Probe } from "./gen.ts";
import { fetchOnce, runLoad, type LoadResult, type LoadTarget } from "./load-client.ts";
import { roundOrder } from "./stats.ts";
import { cpuMs, startWorker, type RunningWorker } from "./workerd.ts";

export type VariantId = "origin" | "passthrough" | "small" | "large" | "split";

export interface Variant {
  id: VariantId;
  label: string;
  target: LoadTarget;
  /** The process serving this variant (workerd), for CPU time per request. */
  pid?: number | null;
  /** Checks one response of this variant (status, body, the headers the config promises). */
  check(res: { status: number; headers: Record<string, string | string[] | undefined>; body: string }): string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** KV contents exactly as `routes push` leaves them: the version under its hash, then the pointer. */
export function kvEntries(table: RouteTable, json: string): Record<string, string> {
  const pointer: ActivePointer = { version: table.hash, activatedAt: new Date().toISOString(), reason: "push" };
  return { [versionKey(table.hash)]: json, [ACTIVE_KEY]: JSON.stringify(pointer) };
}

export function passthroughScript(): string {
  return stripTypeScriptTypes(readFileSync(path.join(here, "passthrough.ts"), "utf8"));
}

export function startPassthrough(bundle: Bundle, originPort: number, label = "passthrough"): Promise<RunningWorker> {
  return startWorker({
    label,
    script: passthroughScript(),
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
    bindings: { ORIGIN: `http://127.0.0.1:${originPort}` },
  });
}

/** The gateway bundle with one compiled table in its KV (production refresh interval). */
export function startGateway(bundle: Bundle, label: string, table: RouteTable, json: string): Promise<RunningWorker> {
  return startWorker({
    label,
    script: readFileSync(bundle.mainPath, "utf8"),
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
    bindings: { CONFIG_REFRESH_SECONDS: "30" },
    kv: { ROUTES: kvEntries(table, json) },
  });
}

export function probeTarget(base: string, probe: Probe): LoadTarget {
  return { url: base + probe.path, method: probe.method, headers: { host: probe.host, ...probe.headers } };
}

export const okBody = (res: { status: number; body: string }): string | null =>
  res.status === 200 && res.body === "ok\n" ? null : `expected 200 "ok", got ${res.status} ${JSON.stringify(res.body.slice(0, 120))}`;

/** Sends `n` requests one by one (JIT warm-up, table load) and checks the first and the last. */
export async function warmUp(v: Variant, n: number): Promise<string | null> {
  for (let i = 0; i < n; i++) {
    const res = await fetchOnce(v.target);
    if (i === 0 || i === n - 1) {
      const problem = v.check({ ...res, headers: res.headers });
      if (problem) return `${v.label}: ${problem}`;
    }
  }
  return null;
}

export interface E2eRounds {
  results: Map<VariantId, LoadResult[]>;
  /** CPU ms the variant's workerd process used per request, per round (CPU-time, not wall-clock). */
  cpuPerRequest: Map<VariantId, number[]>;
}

export async function measureE2e(
  variants: Variant[],
  opts: { rounds: number; durationMs: number; concurrency: number; onRound?: (r: number) => void },
): Promise<E2eRounds> {
  const results = new Map<VariantId, LoadResult[]>(variants.map((v) => [v.id, []]));
  const cpuPerRequest = new Map<VariantId, number[]>(variants.map((v) => [v.id, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const v of roundOrder(variants, r)) {
      const cpu0 = v.pid ? cpuMs(v.pid) : NaN;
      const res = await runLoad(v.target, { concurrency: opts.concurrency, durationMs: opts.durationMs });
      if (v.pid) cpuPerRequest.get(v.id)!.push((cpuMs(v.pid) - cpu0) / res.requests);
      results.get(v.id)!.push(res);
    }
    opts.onRound?.(r);
  }
  return { results, cpuPerRequest };
}
