/**
 * Several gateway instances sharing one state plane, in one workerd (Miniflare): workers gw0…gwN-1
 * run the same bundled Worker, each in its own isolate (its own table cache, pointer source and
 * outlier state), all bound to the same KV namespace and to the same GatewayState namespace
 * (defined by gw0, bound by the others with scriptName). That is what really shares state in
 * workerd: separate Miniflare processes over one persist directory would each run their own live
 * copy of an object. The Cache API of one Miniflare is one "location".
 *
 * gw0 listens on Miniflare's socket (real HTTP, for the CLI's --gateway); every instance is
 * reachable in-process through `fetch(i, url)`. `persistDir` shares KV with the CLI's --local.
 */
import { dirname, join, resolve } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { inject } from "vitest";

/** wrangler.toml's placeholder id: what the CLI's --local writes to. */
export const ROUTES_NAMESPACE_ID = "00000000000000000000000000000000";
export const ADMIN_TOKEN = "fleet-admin";

export interface FleetResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

export interface Fleet {
  mf: Miniflare;
  size: number;
  /** gw0's socket. */
  url: URL;
  fetch(instance: number, url: string, init?: RequestInit): Promise<FleetResponse>;
  admin<T = Record<string, unknown>>(instance: number, path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** Runs instance i's `scheduled` handler (the Cron Trigger) once. */
  scheduled(instance: number): Promise<void>;
  logs: string[];
  kv(): Promise<KVNamespace>;
  close(): Promise<void>;
}

export interface FleetOptions {
  size: number;
  vars?: Record<string, string>;
  /** Share KV (and the objects' storage) with the CLI's `--local --persist-to DIR`. */
  persistDir?: string;
  /**
   * false = no STATE binding (the gateway without a state plane); "down" = STATE bound to an
   * object that never answers (a state plane that is slow or gone: every call times out).
   */
  state?: boolean | "down";
}

/** A Durable Object class whose every request hangs (the "down" state plane). */
const HANGING_STATE = `export class Hanging { fetch() { return new Promise(() => {}); } }
export default { fetch() { return new Response("state stub"); } };`;

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const logs: string[] = [];
  const script = inject("workerScript");
  const workers = Array.from({ length: opts.size }, (_, i) => ({
    name: `gw${i}`,
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    compatibilityDate: "2026-11-01",
    kvNamespaces: { ROUTES: ROUTES_NAMESPACE_ID },
    bindings: { CONFIG_REFRESH_SECONDS: "30", ADMIN_TOKEN, ...opts.vars },
    ...(opts.state === false
      ? {}
      : opts.state === "down"
        ? { durableObjects: { STATE: { className: "Hanging", scriptName: "hanging-state" } } }
        : { durableObjects: { STATE: i === 0 ? { className: "GatewayState", useSQLite: true } : { className: "GatewayState", scriptName: "gw0", useSQLite: true } } }),
  }));
  const stateWorkers =
    opts.state === "down" ? [{ name: "hanging-state", modules: true, script: HANGING_STATE, compatibilityDate: "2026-11-01", durableObjects: { HANGING: "Hanging" } }] : [];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [...workers, ...stateWorkers],
      ...(opts.persistDir ? { resourcePersistencePath: join(resolve(opts.persistDir), "v3") } : {}),
      handleStructuredLogs: (log) => {
        logs.push(log.message);
        if (process.env.E2E_VERBOSE) console.log(log.message);
      },
    }),
  );
  const url = await mf.ready;
  const handles = await Promise.all(workers.map((w) => mf.getWorker(w.name)));
  const fetchOne = async (i: number, target: string, init?: RequestInit): Promise<FleetResponse> => {
    // Miniflare's dispatch sends its own socket as Host; the gateway routes on Host, so say it.
    const headers = new Headers(init?.headers);
    if (!headers.has("host")) headers.set("host", new URL(target).host);
    const res = await handles[i]!.fetch(target, { ...init, headers } as never);
    const text = await res.text();
    return { status: res.status, headers: res.headers as unknown as Headers, text, json: <T>() => JSON.parse(text) as T };
  };
  return {
    mf,
    size: opts.size,
    url,
    fetch: fetchOne,
    async admin(i, path, init = {}) {
      const res = await fetchOne(i, `http://gateway.test${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
      });
      return { status: res.status, body: res.json() };
    },
    async scheduled(i) {
      await handles[i]!.scheduled({ cron: "* * * * *", scheduledTime: new Date() } as never);
    },
    logs,
    kv: async () => (await mf.getKVNamespace("ROUTES", "gw0")) as unknown as KVNamespace,
    close: () => mf.dispose(),
  };
}

/** Polls instance i (real requests, which also drive its refresh) until `pred` holds; returns the ms it took. */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
