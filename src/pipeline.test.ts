/**
 * The pipeline's per-request path in Node, on a real compiled table with a stubbed table store
 * and fetcher: the things the Worker tier cannot observe directly (how often `request.cf` is read).
 */
import { describe, expect, it } from "vitest";
import { compiledTable, gatewayYaml, indent, virtualServiceYaml, yamlFile } from "../test/fixtures/istio.ts";
import type { Env } from "./env.ts";
import { prepare, type PreparedTable } from "./prepare.ts";
import { createPipeline } from "./pipeline.ts";
import type { TableStore } from "./store/table-store.ts";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const env = { ROUTES: {} } as unknown as Env;

/** A request whose `cf` getter counts its reads (workerd deep-copies `cf` on every read). */
function requestWithCf(cf: Record<string, unknown> | undefined): { request: Request; reads: () => number } {
  const request = new Request("http://a.com/p", { headers: { host: "a.com" } });
  let reads = 0;
  Object.defineProperty(request, "cf", {
    get() {
      reads++;
      return cf;
    },
  });
  return { request, reads: () => reads };
}

/** One route on a.com to origin.example with these `headers:` (Istio YAML, indented under the route). */
async function pipelineFor(headers: string) {
  const route = `
- route:
  - destination: {host: origin.example}
  headers:
${indent(headers, 4)}`;
  const table = await compiledTable(yamlFile(gatewayYaml({ hosts: ["a.com"] }), virtualServiceYaml(route, { hosts: ["a.com"] })));
  // A version stored whole: forHost answers with the whole table (src/store/table-store.ts).
  const whole = { ok: true as const, table, prepared: prepare(table), version: "v1" };
  const served = { version: "v1", loadedAt: 0, index: null, whole };
  const store = {
    get: async () => served,
    // The data path asks synchronously (TableStore.lookup: a warm isolate answers without a promise).
    lookup: () => served,
    forHost: () => whole,
    clusterOf: () => undefined,
  } as unknown as TableStore<PreparedTable>;
  const sent: Headers[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const pipeline = createPipeline({
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
    const { pipeline, logs } = await pipelineFor(`
      request: {set: {x-ip: "%DOWNSTREAM_REMOTE_ADDRESS%"}}
      response: {set: {x-r: "1"}}`);
    // ACCESS_LOG=all: building the access line must not read cf either.
    const res = await pipeline.handle(request, { ...env, ACCESS_LOG: "all" }, ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-r")).toBe("1");
    expect(logs).toHaveLength(1);
    expect(reads()).toBe(0);
  });

  it("reads request.cf once for request and response operations that both use %PROTOCOL%", async () => {
    const { request, reads } = requestWithCf({ httpProtocol: "HTTP/2" });
    const { pipeline, sent } = await pipelineFor(`
      request: {set: {x-proto: "%PROTOCOL%"}}
      response: {set: {x-proto: "%PROTOCOL%"}, add: {x-proto-again: "%PROTOCOL%"}}`);
    const res = await pipeline.handle(request, env, ctx);
    expect(sent[0]!.get("x-proto")).toBe("HTTP/2");
    expect(res.headers.get("x-proto")).toBe("HTTP/2");
    expect(res.headers.get("x-proto-again")).toBe("HTTP/2");
    expect(reads()).toBe(1);
  });

  it("falls back to HTTP/1.1 when the runtime gives no cf object", async () => {
    const { request } = requestWithCf(undefined);
    const { pipeline, sent } = await pipelineFor(`
      request: {set: {x-proto: "%PROTOCOL%"}}`);
    await pipeline.handle(request, env, ctx);
    expect(sent[0]!.get("x-proto")).toBe("HTTP/1.1");
  });
});

describe("pipeline: the access log (ACCESS_LOG)", () => {
  const send = async (vars: Partial<Env>, paths: string[]) => {
    const { pipeline, logs } = await pipelineFor(`
      response: {set: {x-r: "1"}}`);
    for (const p of paths) await pipeline.handle(new Request(`http://a.com${p}`), { ...env, ...vars }, ctx);
    return logs;
  };

  it("by default (errors) logs the gateway's own 404 and not a forwarded 200", async () => {
    const logs = await send({}, ["/p", "/p"]);
    expect(logs).toEqual([]);
    const { pipeline, logs: errs } = await pipelineFor(`
      response: {set: {x-r: "1"}}`);
    const res = await pipeline.handle(new Request("http://no-such-host.example/p"), env, ctx);
    expect(res.status).toBe(404);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ kind: "noRoute", status: 404, host: "no-such-host.example", path: "/p" });
  });

  it("all logs every request; off logs none; a sample of 0 keeps only errors", async () => {
    expect(await send({ ACCESS_LOG: "all" }, ["/a", "/b", "/c"])).toHaveLength(3);
    expect(await send({ ACCESS_LOG: "off" }, ["/a", "/b"])).toEqual([]);
    expect(await send({ ACCESS_LOG: "all", ACCESS_LOG_SAMPLE: "0" }, ["/a", "/b"])).toEqual([]);
  });
});

describe("pipeline: settings", () => {
  it("logs a var it does not understand once per isolate, whichever env object brings it", async () => {
    const { pipeline, logs } = await pipelineFor(`
      response: {set: {x-r: "1"}}`);
    for (let i = 0; i < 3; i++) {
      const res = await pipeline.handle(new Request("http://a.com/p"), { ...env, PATH_NORMALIZATION: "MERGE_SLASH" }, ctx);
      expect(res.status).toBe(200);
    }
    expect(logs.filter((l) => l.level === "warn").map((l) => l.msg)).toEqual([
      'PATH_NORMALIZATION="MERGE_SLASH" is not one of BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES; using BASE',
    ]);
  });
});
