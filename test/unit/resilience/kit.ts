/**
 * Test kit for the resilience unit tests: a virtual clock (timers fire in virtual time, only when
 * nothing else can progress), a scripted upstream fetcher that records what each attempt sent,
 * and a ForwardDecision builder. No real time passes in these tests.
 */
import type { Cluster, RetryPolicy } from "../../../src/table/types.ts";
import type { ForwardDecision, UpstreamTarget } from "../../../src/decision.ts";
import type { Clock } from "../../../src/forward/timeouts.ts";
import { planUpstream, type UpstreamPlan } from "../../../src/forward/upstream-request.ts";
import { DEFAULT_RETRIES, dest, req, route } from "../match/fixtures.ts";

export { DEFAULT_RETRIES, req };

export class VirtualClock implements Clock {
  t = 0;
  #seq = 0;
  #timers: Array<{ id: number; at: number; fn: () => void }> = [];
  /** Every timer length requested, in order (back-offs, per-try and route timeouts). */
  requested: number[] = [];

  setTimer = (fn: () => void, ms: number): unknown => {
    const id = ++this.#seq;
    this.requested.push(ms);
    this.#timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  };

  clearTimer = (h: unknown): void => {
    this.#timers = this.#timers.filter((x) => x.id !== h);
  };

  now = (): number => this.t;

  get pending(): number {
    return this.#timers.length;
  }

  /** Drive `p` to completion: let I/O-free work settle, then fire the earliest timer, repeat. */
  async run<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; i < 100_000; i++) {
      await new Promise((r) => setImmediate(r));
      if (settled) return p;
      if (this.#timers.length === 0) throw new Error("deadlock: the promise waits and no timer is pending");
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    throw new Error("too many timer steps");
  }
}

/** What the scripted origin does on one call. */
export type Behaviour =
  | number // answer this status
  | { status: number; headers?: Record<string, string>; body?: string }
  | "refused" // fetch rejects like a connection failure
  | "terminated" // fetch rejects like a connection lost before headers
  | "hang" // no answer until the signal aborts (like workerd's fetch)
  | "deaf-hang"; // no answer ever, signal ignored (raceAbort must still end the attempt)

export interface Call {
  url: string;
  attemptCount: string | null;
  headers: Headers;
  body: string;
  at: number;
}

/**
 * A fetcher following `script` per URL host:port (a single list applies to every host).
 * Records every call; tracks cancelled response bodies.
 */
export function scriptedFetcher(script: Behaviour[] | Record<string, Behaviour[]>, clock?: VirtualClock) {
  const calls: Call[] = [];
  const cancelled: string[] = [];
  const byHost = new Map<string, number>();
  let n = 0;
  const fetcher = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const list = Array.isArray(script) ? script : (script[url.host] ?? []);
    const i = Array.isArray(script) ? n++ : (byHost.get(url.host) ?? 0);
    if (!Array.isArray(script)) byHost.set(url.host, i + 1);
    const headers = new Headers(init.headers);
    const body = init.body == null ? "" : await new Response(init.body as BodyInit).text();
    calls.push({ url: input, attemptCount: headers.get("x-envoy-attempt-count"), headers, body, at: clock?.t ?? 0 });
    const b = list[i] ?? list[list.length - 1] ?? 200;
    if (b === "refused") throw new TypeError("fetch failed");
    if (b === "terminated") throw new TypeError("terminated");
    if (b === "hang" || b === "deaf-hang") {
      return new Promise<Response>((_resolve, reject) => {
        if (b === "hang") init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    const spec = typeof b === "number" ? { status: b } : b;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(spec.body ?? `from ${url.host} #${calls.length}`));
        c.close();
      },
      cancel() {
        cancelled.push(`${url.host} #${calls.length}`);
      },
    });
    return new Response(stream, { status: spec.status, headers: spec.headers });
  };
  return { fetcher, calls, cancelled };
}

export function cluster(n: number, extra: Partial<Cluster> = {}): Cluster {
  return {
    host: "api",
    endpoints: Array.from({ length: n }, (_, i) => ({ url: `http://10.0.0.${i + 1}:8080`, weight: 1 })),
    external: false,
    ...extra,
  };
}

export function retries(over: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRIES, ...over };
}

export function decision(c: Cluster, over: Partial<ForwardDecision> = {}): ForwardDecision {
  const r = route({ retries: over.retries ?? DEFAULT_RETRIES });
  const ep = c.endpoints[0]!;
  return {
    kind: "forward",
    match: { vhost: "a.com", route: r, routeIndex: 0 },
    target: { destination: dest(c.host), cluster: c, endpoint: ep, url: ep.url + "/p" },
    upstreamPath: "/p",
    authority: "a.com",
    requestHeaders: [],
    responseHeaders: [],
    delayMs: 0,
    retries: DEFAULT_RETRIES,
    mirrors: [],
    corsHeaders: [],
    setCookies: [],
    faultConfigured: false,
    ...over,
  };
}

export function mirrorTarget(c: Cluster, path = "/p"): UpstreamTarget {
  const ep = c.endpoints[0]!;
  return { destination: dest(c.host), cluster: c, endpoint: ep, url: ep.url + path };
}

/** The planned upstream request for `d` and a downstream request. */
export function plan(d: ForwardDecision, init: { method?: string; body?: string | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {}): UpstreamPlan {
  const method = init.method ?? (init.body !== undefined ? "POST" : "GET");
  const request = new Request("http://a.com/p", {
    method,
    headers: { host: "a.com", ...(init.headers ?? {}) },
    body: init.body,
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const facts = req("http://a.com/p", { method });
  return planUpstream(d, request, facts, "rid-1", {});
}
