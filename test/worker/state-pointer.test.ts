/**
 * Fast activation through the state plane inside workerd: the real Worker with wrangler.toml's
 * STATE binding (a real GatewayState Durable Object), real KV and the real Cache API.
 * The object's pointer beats KV's older one; an invalid pointer is refused; a later KV flip
 * wins; an object that fails or hangs never makes a request wait or fail.
 * Tests share one isolate and run in order.
 */
import { afterAll, describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/worker.ts";
import { ACTIVE_KEY, versionKey, type ActivePointer } from "../../src/store/keys.ts";
import { stateCacheKey } from "../../src/state/location-cache.ts";
import { markerTable, pushTable } from "../fixtures/pushed.ts";

const ADMIN = { authorization: "Bearer test-admin-token", "content-type": "application/json" };

async function servedVersion(): Promise<string | null> {
  const res = await exports.default.fetch("http://a.example/");
  await res.arrayBuffer();
  return res.headers.get("x-gateway-config-version");
}

/** The refresh runs after a response (waitUntil): poll a bounded number of times. */
async function untilServed(version: string, tries = 40): Promise<void> {
  let last: string | null = null;
  for (let i = 0; i < tries; i++) {
    last = await servedVersion();
    if (last === version) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`version ${version} never served; last: ${last}`);
}

function putPointer(body: unknown): Promise<Response> {
  return exports.default.fetch("http://a.example/__gateway/state/pointer", { method: "PUT", headers: ADMIN, body: JSON.stringify(body) });
}

const pointerNow = (version: string, offsetMs = 0): ActivePointer => ({
  version,
  activatedAt: new Date(Date.now() + offsetMs).toISOString(),
  reason: "push",
});

afterAll(async () => {
  // Leave no object pointer or location copy behind for other files.
  const stub = env.STATE.get(env.STATE.idFromName("pointer"));
  await (await stub.fetch("https://state/pointer", { method: "DELETE" })).arrayBuffer();
  await caches.default.delete(stateCacheKey("pointer/pointer"));
});

describe("fast activation through the pointer object", () => {
  it("serves KV's pointer while the object holds none", async () => {
    await pushTable(env.ROUTES, await markerTable("sp1"));
    await untilServed("sp1");
  });

  it("serves the version the object names although KV's pointer still names the old one", async () => {
    await env.ROUTES.put(versionKey("sp2"), JSON.stringify(await markerTable("sp2")));
    const res = await putPointer(pointerNow("sp2"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { pointer: ActivePointer; previous: ActivePointer | null };
    expect(body.pointer.version).toBe("sp2");
    await untilServed("sp2");
    expect(JSON.parse((await env.ROUTES.get(ACTIVE_KEY))!).version).toBe("sp1");
  });

  it("refuses a pointer to a version that is not stored (409) and keeps serving", async () => {
    const res = await putPointer(pointerNow("not-stored"));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toContain("missingVersion");
    for (let i = 0; i < 3; i++) expect(await servedVersion()).toBe("sp2");
  });

  it("refuses a malformed pointer with 400 naming the field", async () => {
    const res = await putPointer({ version: "sp1", activatedAt: "yesterday", reason: "push" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("activatedAt");
  });

  it("reports the object's, KV's and this isolate's pointer at /__gateway/state", async () => {
    const res = await exports.default.fetch("http://a.example/__gateway/state", { headers: ADMIN });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      pointer: { object: { pointer: ActivePointer }; kv: { pointer: ActivePointer }; isolate: { version: string } };
      settings: { refreshSeconds: number };
    };
    expect(body.pointer.object.pointer.version).toBe("sp2");
    expect(body.pointer.kv.pointer.version).toBe("sp1");
    expect(body.pointer.isolate.version).toBe("sp2");
    expect(body.settings.refreshSeconds).toBe(5);
  });

  it("lets a later KV flip win (a push without --gateway still lands)", async () => {
    await env.ROUTES.put(versionKey("sp3"), JSON.stringify(await markerTable("sp3")));
    await env.ROUTES.put(ACTIVE_KEY, JSON.stringify(pointerNow("sp3", 60_000)));
    await untilServed("sp3");
  });
});

describe("a failing or hanging object never touches requests", () => {
  const ctxWith = (pending: Promise<unknown>[]) =>
    ({ waitUntil: (p: Promise<unknown>) => pending.push(p), passThroughOnException: () => {}, props: {} }) as unknown as ExecutionContext;

  it("serves from KV's pointer when every object request throws", async () => {
    const broken = {
      idFromName: (n: string) => n,
      get: () => ({ fetch: async () => Promise.reject(new Error("object gone")) }),
    } as unknown as DurableObjectNamespace;
    await env.ROUTES.put(versionKey("sp4"), JSON.stringify(await markerTable("sp4")));
    await env.ROUTES.put(ACTIVE_KEY, JSON.stringify(pointerNow("sp4", 120_000)));
    const pending: Promise<unknown>[] = [];
    let version: string | null = null;
    for (let i = 0; i < 20 && version !== "sp4"; i++) {
      const res = await worker.fetch(new Request("http://a.example/"), { ...env, STATE: broken, STATE_CACHE_SECONDS: "0" }, ctxWith(pending));
      expect(res.status).toBe(200);
      version = res.headers.get("x-gateway-config-version");
      await res.arrayBuffer();
      await Promise.all(pending.splice(0));
    }
    expect(version).toBe("sp4");
  });

  it("answers at once while the object hangs (the refresh waits in waitUntil, bounded)", async () => {
    const hanging = {
      idFromName: (n: string) => n,
      get: () => ({ fetch: () => new Promise<Response>(() => {}) }),
    } as unknown as DurableObjectNamespace;
    const pending: Promise<unknown>[] = [];
    const hangEnv = { ...env, STATE: hanging, STATE_CACHE_SECONDS: "0" };
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const res = await worker.fetch(new Request("http://a.example/"), hangEnv, ctxWith(pending));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("table sp4");
      // The object's bound is 1 s; a request that waited on it would take at least that.
      expect(Date.now() - t0).toBeLessThan(500);
    }
    const t0 = Date.now();
    await Promise.all(pending.splice(0));
    expect(Date.now() - t0).toBeLessThan(3_000); // the hung read is abandoned at its bound
  });
});
