/**
 * A small bounded HTTP/1.1 load client: fixed concurrency over keep-alive connections, fixed
 * duration (and an optional request cap), 127.0.0.1 only. Each of `concurrency` loops sends a
 * request, reads the whole response, records its latency and sends the next one (closed loop),
 * so throughput is what the server sustains at that concurrency.
 */
import http from "node:http";

export interface LoadTarget {
  /** Must be 127.0.0.1 or localhost: benchmarks never leave the machine. */
  url: string;
  method?: string;
  /** Sent as-is; `host` selects the gateway's virtual host. */
  headers?: Record<string, string>;
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** Hard cap on requests (safety bound); default 1,000,000. */
  maxRequests?: number;
  /** Status every response must have; others count as errors. Default 200. */
  expectStatus?: number;
  /** Each connection waits this long after each response (paced load); default none. */
  pauseMs?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** First error seen, for the report. */
  firstError?: string;
}

export function assertLocal(url: string): URL {
  const u = new URL(url);
  if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") throw new Error(`load client targets 127.0.0.1 only, got ${u.hostname}`);
  return u;
}

/** Latency percentile (nearest rank) of an already sorted array. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export async function runLoad(target: LoadTarget, opts: LoadOptions): Promise<LoadResult> {
  const u = assertLocal(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const expect = opts.expectStatus ?? 200;
  const max = opts.maxRequests ?? 1_000_000;
  let lat = new Float64Array(1 << 16);
  let n = 0;
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;

  const one = () =>
    new Promise<void>((resolve) => {
      const s = performance.now();
      const req = http.request(
        { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: target.method ?? "GET", headers: target.headers },
        (res) => {
          res.on("data", () => {});
          res.on("end", () => {
            const d = performance.now() - s;
            if (res.statusCode !== expect) {
              errors++;
              firstError ??= `status ${res.statusCode}`;
            }
            if (n === lat.length) {
              const bigger = new Float64Array(lat.length * 2);
              bigger.set(lat);
              lat = bigger;
            }
            lat[n++] = d;
            resolve();
          });
          res.on("error", (e) => {
            errors++;
            firstError ??= String(e);
            resolve();
          });
        },
      );
      req.on("error", (e) => {
        errors++;
        firstError ??= String(e);
        resolve();
      });
      req.end();
    });

  const loop = async () => {
    while (performance.now() < deadline && started < max) {
      started++;
      await one();
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  const elapsedMs = performance.now() - t0;
  agent.destroy();
  const sorted = lat.subarray(0, n).sort();
  return {
    requests: n,
    errors,
    elapsedMs,
    rps: (n / elapsedMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** One request, body read as text (warm-up and sanity checks). */
export function fetchOnce(
  target: LoadTarget,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = assertLocal(target.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: target.method ?? "GET", headers: target.headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
