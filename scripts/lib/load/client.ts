/**
 * The load generator: `concurrency` loops over one keep-alive agent, each sending the next request
 * of a seeded mix until the deadline, so the number in flight is bounded and the run stops by
 * itself. Every request has a client-side bound (`timeoutMs`): no response headers by then means
 * the request is lost. node:http, not fetch: the gateway routes on the Host header, which fetch
 * does not let us set.
 */
import { Agent, request } from "node:http";
import type { Answer, RequestClass } from "./config.ts";

export interface Outcome {
  cls: string;
  /** null = lost: an error or the client bound before response headers. */
  answer: Answer | null;
  error?: string;
  /** ms since the run started, when the request was sent / finished. */
  startedAt: number;
  latencyMs: number;
}

export interface LoadOptions {
  port: number;
  host: string;
  concurrency: number;
  durationMs: number;
  timeoutMs: number;
  seed: number;
  classes: readonly RequestClass[];
  /** Called for every finished request (counting is the caller's business). */
  onOutcome(o: Outcome): void;
  /** Called once, `atMs` into the run (e.g. to push a config); the load keeps going meanwhile. */
  midRun?: { atMs: number; run(): Promise<void> };
}

/** Mulberry32: a small seeded PRNG so a run's mix can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function picker(classes: readonly RequestClass[], rand: () => number): () => RequestClass {
  const total = classes.reduce((n, c) => n + c.weight, 0);
  return () => {
    let r = rand() * total;
    for (const c of classes) if ((r -= c.weight) < 0) return c;
    return classes[classes.length - 1]!;
  };
}

/** Bytes of a body kept for classification; the rest is read and dropped. */
const KEEP_BYTES = 256;

function send(agent: Agent, o: LoadOptions, cls: RequestClass, seq: number, t0: number): Promise<Outcome> {
  const startedAt = performance.now() - t0;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Answer | null, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ cls: cls.name, answer, error, startedAt, latencyMs: performance.now() - t0 - startedAt });
    };
    const body = cls.body;
    const headers: Record<string, string> = { host: o.host, ...(cls.headers?.(seq) ?? {}) };
    if (body !== undefined) headers["content-type"] = "text/plain";
    const req = request({ host: "127.0.0.1", port: o.port, method: cls.method ?? "GET", path: cls.path(seq), headers, agent }, (res) => {
      const kept: Buffer[] = [];
      let keptBytes = 0;
      res.on("data", (c: Buffer) => {
        if (keptBytes < KEEP_BYTES) {
          kept.push(c);
          keptBytes += c.length;
        }
      });
      const answer = (cut: boolean): Answer => {
        const text = Buffer.concat(kept).subarray(0, KEEP_BYTES).toString("utf8");
        const echo = res.headers["x-echo-server"];
        return {
          status: res.statusCode ?? 0,
          version: (res.headers["x-gateway-config-version"] as string | undefined) ?? null,
          origin: typeof echo === "string" ? echo : text.startsWith("ok /") ? "bad-origin" : null,
          body: text,
          cut,
        };
      };
      res.on("end", () => finish(answer(!res.complete)));
      res.on("aborted", () => finish(answer(true)));
      res.on("error", () => finish(answer(true)));
    });
    req.on("error", (err) => finish(null, err.message));
    const timer = setTimeout(() => {
      finish(null, `no response within ${o.timeoutMs} ms`);
      req.destroy();
    }, o.timeoutMs);
    req.end(body);
  });
}

/** Runs the load; resolves when every loop has stopped (deadline reached, nothing in flight). */
export async function runLoad(o: LoadOptions): Promise<{ sent: number; elapsedMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency, keepAliveMsecs: 1000 });
  const next = picker(o.classes, prng(o.seed));
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let seq = 0;
  let midRun: Promise<void> = Promise.resolve();
  if (o.midRun) {
    const { atMs, run } = o.midRun;
    midRun = new Promise((resolve, reject) => setTimeout(() => run().then(resolve, reject), atMs));
  }
  const loop = async () => {
    while (performance.now() < deadline) {
      const n = seq++;
      o.onOutcome(await send(agent, o, next(), n, t0));
    }
  };
  await Promise.all([...Array.from({ length: o.concurrency }, loop), midRun]);
  const elapsedMs = performance.now() - t0;
  agent.destroy();
  return { sent: seq, elapsedMs };
}
