/**
 * The pipeline's per-request path in Node, with a stubbed table store, facts and decide:
 * the things the Worker tier cannot observe directly (how often `request.cf` is read).
 */
import { describe, expect, it } from "vitest";
import type { ForwardDecision } from "./decision.ts";
import type { Env } from "./env.ts";
import { createPipeline } from "./pipeline.ts";
import type { TableStore } from "./store/table-store.ts";
import { cluster, decision } from "../test/unit/resilience/kit.ts";
import { req } from "../test/unit/match/fixtures.ts";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const env = { ROUTES: {} } as unknown as Env;

/** A request whose `cf` getter counts its reads (workerd deep-copies `cf` on every read). */
function requestWithCf(cf: Record<string, unknown> | undefined): { request: Request; reads: () => number } {
  const request = new Request("https://a.com/p", { headers: { host: "a.com" } });
  let reads = 0;
  Object.defineProperty(request, "cf", {
    get() {
      reads++;
      return cf;
    },
  });
  return { request, reads: () => reads };
}

function pipelineFor(d: ForwardDecision) {
  const sent: Headers[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const store = { get: async () => ({ table: {}, prepared: {}, version: "v1", loadedAt: 0 }) } as unknown as TableStore<unknown>;
  const pipeline = createPipeline<unknown>({
    prepare: () => ({}),
    facts: () => req("https://a.com/p"),
    decide: () => d,
    fetcher: async (_url, init) => {
      sent.push(new Headers(init.headers));
      return new Response("ok", { status: 200 });
    },
    log: (line) => void logs.push(line),
    store,
  });
  return { pipeline, sent, logs };
}

describe("pipeline: the downstream protocol (%PROTOCOL%)", () => {
  it("never reads request.cf when no header operation uses %PROTOCOL%", async () => {
    const { request, reads } = requestWithCf({ httpProtocol: "HTTP/2" });
    const d = decision(cluster(1), { requestHeaders: [{ set: [["x-ip", "%DOWNSTREAM_REMOTE_ADDRESS%"]] }], responseHeaders: [{ set: [["x-r", "1"]] }] });
    const { pipeline, logs } = pipelineFor(d);
    const res = await pipeline.handle(request, env, ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-r")).toBe("1");
    expect(logs).toHaveLength(1);
    expect(reads()).toBe(0);
  });

  it("reads request.cf once for request and response operations that both use %PROTOCOL%", async () => {
    const { request, reads } = requestWithCf({ httpProtocol: "HTTP/2" });
    const d = decision(cluster(1), {
      requestHeaders: [{ set: [["x-proto", "%PROTOCOL%"]] }],
      responseHeaders: [{ set: [["x-proto", "%PROTOCOL%"]], add: [["x-proto-again", "%PROTOCOL%"]] }],
    });
    const { pipeline, sent } = pipelineFor(d);
    const res = await pipeline.handle(request, env, ctx);
    expect(sent[0]!.get("x-proto")).toBe("HTTP/2");
    expect(res.headers.get("x-proto")).toBe("HTTP/2");
    expect(res.headers.get("x-proto-again")).toBe("HTTP/2");
    expect(reads()).toBe(1);
  });

  it("falls back to HTTP/1.1 when the runtime gives no cf object", async () => {
    const { request } = requestWithCf(undefined);
    const { pipeline, sent } = pipelineFor(decision(cluster(1), { requestHeaders: [{ set: [["x-proto", "%PROTOCOL%"]] }] }));
    await pipeline.handle(request, env, ctx);
    expect(sent[0]!.get("x-proto")).toBe("HTTP/1.1");
  });
});
