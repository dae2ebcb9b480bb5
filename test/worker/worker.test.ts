/**
 * The real Worker (exports.default) inside workerd with a real KV binding: cold start without a
 * table, loading, pointer flips (CONFIG_REFRESH_SECONDS=0), last-good fallback, admin auth.
 * Tests in this file share one isolate, so they run in order and build on each other.
 */
import { describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/worker.ts";
import { ACTIVE_KEY } from "../../src/store/keys.ts";
import { markerTable, pointTo, pushTable } from "../fixtures/pushed.ts";

const ADMIN = { authorization: "Bearer test-admin-token" };

/** The refresh runs after a response (waitUntil): poll a bounded number of times for the new version. */
async function fetchUntilVersion(version: string, tries = 40): Promise<Response> {
  let res: Response | undefined;
  for (let i = 0; i < tries; i++) {
    res = await exports.default.fetch("http://a.example/");
    if (res.headers.get("x-gateway-config-version") === version) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`version ${version} never served; last: ${res?.headers.get("x-gateway-config-version")}`);
}

describe("the Worker and its route table", () => {
  it("answers a cold isolate without any table with 503 and how to fix it", async () => {
    await env.ROUTES.delete(ACTIVE_KEY);
    const res = await exports.default.fetch("http://a.example/x");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toContain('no route table: push one with "npm run routes -- push"');
    expect(res.headers.has("x-gateway-config-version")).toBe(false);
  });

  it("loads a pushed table and routes with it, naming the version", async () => {
    await pushTable(env.ROUTES, await markerTable("v1"));
    const res = await fetchUntilVersion("v1");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("table v1");
    expect(res.headers.get("server")).toBe("istio-envoy");
  });

  it("switches to a new version after a pointer flip", async () => {
    await pushTable(env.ROUTES, await markerTable("v2"));
    const res = await fetchUntilVersion("v2");
    expect(await res.text()).toBe("table v2");
  });

  it("keeps serving the last good table when the pointer names a missing version, and the admin endpoint says why", async () => {
    await pointTo(env.ROUTES, "missing");
    for (let i = 0; i < 5; i++) {
      const res = await exports.default.fetch("http://a.example/");
      expect(await res.text()).toBe("table v2");
    }
    const admin = await exports.default.fetch("http://a.example/__gateway/config", { headers: ADMIN });
    expect(admin.status).toBe(200);
    const body = (await admin.json()) as { version: string; lastError: { reason: string } | null; table: { routes: number } };
    expect(body.version).toBe("v2");
    expect(body.lastError?.reason).toBe("missingVersion");
    expect(body.table.routes).toBe(1);
  });

  it("hides the version header when EXPOSE_CONFIG_VERSION is off", async () => {
    await pushTable(env.ROUTES, await markerTable("v2"));
    const res = await worker.fetch(new Request("http://a.example/"), { ...env, EXPOSE_CONFIG_VERSION: "false" }, {
      waitUntil: () => {},
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext);
    expect(res.status).toBe(200);
    expect(res.headers.has("x-gateway-config-version")).toBe(false);
  });
});

describe("admin endpoints", () => {
  it.each([
    ["no Authorization header", {}, 401],
    ["a wrong token", { authorization: "Bearer nope" }, 401],
    ["a token with a different length", { authorization: "Bearer test-admin-token-and-more" }, 401],
    ["a Basic scheme", { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" }, 401],
    ["the right token", ADMIN, 200],
  ])("answers %s with %i", async (_name, headers, status) => {
    const res = await exports.default.fetch("http://a.example/__gateway/config", { headers });
    expect(res.status).toBe(status);
    if (status === 200) expect(res.headers.get("content-type")).toContain("application/json");
    await res.arrayBuffer();
  });

  it("answers 404 for an unknown admin path even with the right token", async () => {
    const res = await exports.default.fetch("http://a.example/__gateway/nope", { headers: ADMIN });
    expect(res.status).toBe(404);
  });

  it("is disabled (404) when ADMIN_TOKEN is not set", async () => {
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const res = await worker.fetch(new Request("http://a.example/__gateway/config", { headers: ADMIN }), { ...env, ADMIN_TOKEN: undefined }, ctx);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
  });
});

describe("one door: the admin prefix or the pipeline, one HEAD and error handling for both", () => {
  it("answers HEAD with the GET answer's status and headers and no body, on the data path and the admin path", async () => {
    for (const [url, headers] of [
      ["http://a.example/x", {}],
      ["http://a.example/__gateway/config", ADMIN],
    ] as const) {
      const get = await exports.default.fetch(url, { headers });
      const head = await exports.default.fetch(url, { method: "HEAD", headers });
      expect(head.status).toBe(get.status);
      expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
      expect(await head.text()).toBe("");
      await get.arrayBuffer();
    }
  });

  it.each(["/__gateway-probe", "/__gatewayconfig", "/x/__gateway/config", "/__gateway%2Fconfig", "/p?q=/%5F%5Fgateway/config"])(
    "routes %s with the table like any request (the admin surface is the prefix as sent)",
    async (path) => {
      const res = await exports.default.fetch(`http://a.example${path}`, { headers: ADMIN });
      expect(await res.text()).toBe("table v2");
    },
  );

  it("serves the admin surface at the prefix itself and below it, percent-encoded unreserved characters read as themselves", async () => {
    for (const path of ["/__gateway/config?x=1", "/__gateway", "/%5F%5Fgateway/config", "/%5f_gateway/config?x=1"]) {
      const res = await exports.default.fetch(`http://a.example${path}`, { headers: ADMIN });
      expect(await res.text()).not.toBe("table v2");
    }
  });
});
