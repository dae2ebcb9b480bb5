/**
 * The real bundled Worker under Miniflare (workerd), with a real local KV namespace. Tests write
 * tables into KV and talk to the Worker over real HTTP on Miniflare's socket (node:http, not
 * dispatchFetch: undici drops `Connection`, rewrites `Host` and decodes gzip, which would hide
 * exactly what these tests look at). The Worker fetches real origins on 127.0.0.1.
 */
import { request as httpRequest } from "node:http";
import { dirname } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { inject } from "vitest";
import type { RouteTable } from "../../../src/table/types.ts";
import { pushTable } from "../../fixtures/pushed.ts";

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Body bytes exactly as sent on the wire (no decoding). */
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface RawInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface Gateway {
  mf: Miniflare;
  /** Base URL of Miniflare's socket (for WebSockets). */
  url: URL;
  /** Sends `url`'s path to the Worker with `Host: <url's host>` over a fresh HTTP/1.1 connection. */
  fetch(url: string, init?: RawInit): Promise<RawResponse>;
  /**
   * Everything the Worker logged (console.log lines, runtime messages), in order. Kept here instead
   * of on stdout so test output stays readable; set E2E_VERBOSE=1 to print them as they come.
   */
  logs: string[];
  /** Pushes a table and waits until the Worker serves it (refresh is asynchronous). */
  push(table: RouteTable): Promise<void>;
  close(): Promise<void>;
}

export function rawFetch(base: URL, url: string, init: RawInit = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: init.method ?? "GET",
        path: target.pathname + target.search,
        headers: { host: target.host, ...init.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const headers = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body,
            text: () => body.toString("utf8"),
            json: <T>() => JSON.parse(body.toString("utf8")) as T,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** `state`: bind wrangler.toml's STATE Durable Object (the state plane: pointer, health, rollouts). */
export async function startGateway(vars: Record<string, string> = {}, opts: { state?: boolean } = {}): Promise<Gateway> {
  const logs: string[] = [];
  // Miniflare 5 takes a new options shape; the v4 shape (one worker, scriptPath, bindings) is
  // converted by its own helper, which keeps this harness short.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "edge-gateway",
      modules: true,
      scriptPath: inject("workerScript"),
      // The bundle lives in a temp dir: module names are resolved relative to it.
      modulesRoot: dirname(inject("workerScript")),
      compatibilityDate: "2026-11-01",
      kvNamespaces: ["ROUTES"],
      ...(opts.state ? { durableObjects: { STATE: { className: "GatewayState", useSQLite: true } } } : {}),
      bindings: { CONFIG_REFRESH_SECONDS: "0", ADMIN_TOKEN: "e2e-admin", ...vars },
      handleStructuredLogs: (log) => {
        logs.push(log.message);
        if (process.env.E2E_VERBOSE) console.log(log.message);
      },
    }),
  );
  const url = await mf.ready;
  const kv = await mf.getKVNamespace("ROUTES");
  const fetch = (target: string, init?: RawInit) => rawFetch(url, target, init);
  return {
    mf,
    url,
    fetch,
    logs,
    async push(table) {
      await pushTable(kv as unknown as KVNamespace, table);
      for (let i = 0; i < 100; i++) {
        const res = await fetch("http://gateway.test/__gateway/config", { headers: { authorization: "Bearer e2e-admin" } });
        // The admin endpoint does not refresh a warm isolate; an ordinary request does (CONFIG_REFRESH_SECONDS=0).
        if (res.json<{ version: string | null }>().version === table.hash) return;
        await fetch("http://gateway.test/__gateway-probe");
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`table ${table.hash} was never served`);
    },
    close: () => mf.dispose(),
  };
}
