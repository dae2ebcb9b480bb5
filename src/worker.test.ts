/**
 * The Worker shell's dispatch in Node: which requests reach the admin app and which go straight
 * to the pipeline, HEAD answers, and the one error boundary. (The workerd and end-to-end tiers
 * cover the same shell with a real KV and real sockets.)
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { Env } from "./env.ts";
import worker from "./worker.ts";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
/** KV with nothing pushed: the pipeline answers 503 "no route table". */
const emptyKv = { get: async () => null } as unknown as KVNamespace;
const TOKEN = "t0ken-for-unit-tests";

function env(extra: Partial<Env> = {}): Env {
  return { ROUTES: emptyKv, CONFIG_REFRESH_SECONDS: "0", ...extra };
}

let logSpy: MockInstance<typeof console.log>;
beforeEach(() => {
  logSpy = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => logSpy.mockRestore());

const logged = (): Array<Record<string, unknown>> => logSpy.mock.calls.map((c) => JSON.parse(String(c[0])));

describe("worker: admin app vs data path", () => {
  it.each([
    ["/__gateway/config", 401],
    ["/__gateway/nope", 401],
    ["/__gateway", 401],
    // Percent-encoded unreserved characters are the characters themselves (RFC 3986 §6.2.2.2):
    // this spelling is the admin surface too, never a data path an origin would see.
    ["/%5F%5Fgateway/config", 401],
    ["/%5f_gateway/config", 401],
  ])("%s is an admin path (needs the token)", async (path, status) => {
    const res = await worker.fetch(new Request(`http://a.example${path}`), env({ ADMIN_TOKEN: TOKEN }), ctx);
    expect(res.status).toBe(status);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  // Lookalikes of the prefix are ordinary requests; `%2F` is not unreserved and is not decoded.
  it.each(["/", "/x", "/__gatewayish", "/api/__gateway/config", "/%2F__gateway/config", "/p%20q", "/p?q=/__gateway/config", "/p?x=%41"])(
    "%s is served by the pipeline",
    async (path) => {
      const res = await worker.fetch(new Request(`http://a.example${path}`), env({ ADMIN_TOKEN: TOKEN }), ctx);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("no route table");
      expect(res.headers.get("server")).toBe("istio-envoy");
      expect(logged().at(-1)).toMatchObject({ kind: "noRouteTable", status: 503 });
    },
  );

  it("answers an admin path with 404 when no ADMIN_TOKEN is configured", async () => {
    const res = await worker.fetch(new Request("http://a.example/__gateway/config"), env(), ctx);
    expect(res.status).toBe(404);
  });
});

describe("worker: HEAD", () => {
  it("keeps status and headers of the pipeline's answer, without a body", async () => {
    const res = await worker.fetch(new Request("http://a.example/x", { method: "HEAD" }), env(), ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("server")).toBe("istio-envoy");
    expect(res.body).toBeNull();
    expect(logged().at(-1)).toMatchObject({ method: "HEAD", status: 503 });
  });
});

describe("worker: one error boundary", () => {
  /** An env whose var read throws: an error nothing in the pipeline expects. */
  function brokenEnv(): Env {
    const e = env({ ADMIN_TOKEN: TOKEN });
    Object.defineProperty(e, "CONFIG_REFRESH_SECONDS", {
      get() {
        throw new Error("boom");
      },
    });
    return e;
  }

  it.each([
    ["GET", 8],
    ["HEAD", 0],
  ])("an unexpected %s error on the data path is a logged plain 500", async (method, bodyBytes) => {
    const res = await worker.fetch(new Request("http://a.example/x", { method }), brokenEnv(), ctx);
    expect(res.status).toBe(500);
    expect(res.headers.get("server")).toBe("istio-envoy");
    expect((await res.arrayBuffer()).byteLength).toBe(bodyBytes === 0 ? 0 : "internal error\n".length);
    const line = logged().at(-1)!;
    expect(line).toMatchObject({ level: "error", msg: "unhandled error", method, error: "Error: boom" });
    expect(JSON.stringify(line)).not.toContain("a.example/x");
  });

  it("an unexpected error in the admin app is the same logged plain 500", async () => {
    const res = await worker.fetch(new Request("http://a.example/__gateway/config", { headers: { authorization: `Bearer ${TOKEN}` } }), brokenEnv(), ctx);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error\n");
    expect(logged().at(-1)).toMatchObject({ level: "error", msg: "unhandled error", method: "GET", error: "Error: boom" });
  });
});
