/**
 * Hardening against bad KV, end to end (DESIGN.md §5): the real bundled Worker under
 * Miniflare/workerd with a real local KV namespace, real HTTP requests, real echo origins. After
 * each corruption of the stored config (pointer to a missing version, corrupt JSON, unknown
 * tableVersion, a pointer that is not JSON, a table whose hash is not its key) and while KV throws
 * or hangs, requests keep being proxied with the last good table; a good push afterwards is picked
 * up. A cold isolate without any table answers 503 with a clear message, within a bound even when
 * KV hangs. The store-level cases (refresh scheduling, single flight, throttling) live in
 * test/worker/table-store.test.ts and are not repeated here.
 *
 * KV failures that a local namespace cannot produce (throwing, hanging) come from a small shim
 * module placed in front of the unchanged bundle: it hands the Worker an `env.ROUTES` whose `get`
 * passes through, throws or never settles, switched by a control path that only the shim knows.
 */
import { dirname, join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { rawFetch, type RawResponse } from "./harness/gateway.ts";
import { pointTo, pushTable, unknownTableVersion, versioned } from "../fixtures/pushed.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";
import { ACTIVE_KEY, versionKey } from "../../src/store/keys.ts";
import { KV_READ_TIMEOUT_MS } from "../../src/store/read.ts";
import type { RouteTable } from "../../src/table/types.ts";

const ADMIN = { authorization: "Bearer e2e-admin" };
const NO_TABLE_BODY = 'no route table: push one with "npm run routes -- push"\n';
const SLACK_MS = 1500;

type KvMode = "pass" | "throw" | "hang";

/** Shim in front of the bundle: fault-injecting ROUTES binding, mode set by GET /__kv-fault?mode=…. */
const SHIM = `
import gateway from "./worker.js";
let mode = "pass";
function faulty(kv) {
  return {
    get(key, type) {
      if (mode === "hang") return new Promise(() => {});
      if (mode === "throw") return Promise.reject(new Error("KV unavailable (injected)"));
      return kv.get(key, type);
    },
  };
}
export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__kv-fault") {
      mode = url.searchParams.get("mode") ?? "pass";
      return new Response("kv " + mode);
    }
    return gateway.fetch(request, { ...env, ROUTES: faulty(env.ROUTES) }, ctx);
  },
};
`;

interface ShimmedGateway {
  mf: Miniflare;
  kv: KVNamespace;
  fetch(path: string, headers?: Record<string, string>): Promise<RawResponse & { ms: number }>;
  kvMode(mode: KvMode): Promise<void>;
  config(): Promise<{ version: string | null; lastError: { reason: string; detail: string } | null }>;
  close(): Promise<void>;
}

async function startShimmed(): Promise<ShimmedGateway> {
  const script = inject("workerScript");
  const root = dirname(script);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "edge-gateway-kv-shim",
      modules: [
        { type: "ESModule", path: join(root, "kv-fault-shim.mjs"), contents: SHIM },
        { type: "ESModule", path: script },
      ],
      modulesRoot: root,
      compatibilityDate: "2026-11-01",
      kvNamespaces: ["ROUTES"],
      bindings: { CONFIG_REFRESH_SECONDS: "0", ADMIN_TOKEN: "e2e-admin" },
    }),
  );
  const url = await mf.ready;
  const kv = (await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace;
  const fetch = async (path: string, headers: Record<string, string> = {}) => {
    const t0 = performance.now();
    const res = await rawFetch(url, `http://shop.example${path}`, { headers });
    return Object.assign(res, { ms: performance.now() - t0 });
  };
  return {
    mf,
    kv,
    fetch,
    async kvMode(mode) {
      expect((await fetch(`/__kv-fault?mode=${mode}`)).text()).toBe(`kv ${mode}`);
    },
    async config() {
      return (await fetch("/__gateway/config", ADMIN)).json();
    },
    close: () => mf.dispose(),
  };
}

let a: EchoOrigin;
let b: EchoOrigin;

/** A table named `hash` whose every request goes to `origin` (no retries). */
async function tableTo(hash: string, origin: EchoOrigin): Promise<RouteTable> {
  const host = `${origin.name}.svc`;
  const http = `- name: all\n  route: [{ destination: { host: ${host} } }]\n  retries: { attempts: 0 }`;
  return versioned(hash, await compiledTable(yamlFile(gatewayYaml(), serviceEntryYaml(host, [origin.url]), virtualServiceYaml(http))));
}

/** Sends `n` requests in parallel; every one must be proxied to `origin` under table `version`. */
async function expectServedBy(gw: ShimmedGateway, n: number, origin: EchoOrigin, version: string): Promise<void> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => gw.fetch(`/probe/${version}/${i}`)));
  for (const [i, res] of results.entries()) {
    expect(res.status, `request ${i}: ${res.text().slice(0, 120)}`).toBe(200);
    expect(res.json<{ server: string }>().server).toBe(origin.name);
    expect(res.headers.get("x-gateway-config-version")).toBe(version);
  }
}

/** Requests until the Worker serves `version` (refresh runs after the request that started it). */
async function waitForVersion(gw: ShimmedGateway, version: string): Promise<void> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    if ((await gw.fetch("/wait")).headers.get("x-gateway-config-version") === version) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`version ${version} was never served`);
}

/** Requests until the admin endpoint reports a refresh error with this reason. */
async function waitForError(gw: ShimmedGateway, reason: string, timeoutMs = 5000): Promise<{ reason: string; detail: string }> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await gw.fetch("/tick"); // an ordinary request starts the re-check (CONFIG_REFRESH_SECONDS=0)
    const err = (await gw.config()).lastError;
    if (err?.reason === reason) return err;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${reason} refresh error reported; last: ${JSON.stringify((await gw.config()).lastError)}`);
}

beforeAll(async () => {
  [a, b] = await Promise.all([startEchoOrigin("a"), startEchoOrigin("b")]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe("a warm isolate keeps serving its last good table", () => {
  let gw: ShimmedGateway;
  let generation = 0;

  beforeAll(async () => {
    gw = await startShimmed();
  });
  afterAll(async () => {
    await gw?.close();
  });

  /** Pushes a fresh good table to origin `a` and waits until it is served. */
  async function freshGood(): Promise<string> {
    const hash = `good-${generation++}`;
    await pushTable(gw.kv, await tableTo(hash, a));
    await waitForVersion(gw, hash);
    return hash;
  }

  const corruptions: Array<{ what: string; reason: string; corrupt: (kv: KVNamespace) => Promise<void> }> = [
    { what: "the pointer names a version that is not in KV", reason: "missingVersion", corrupt: (kv) => pointTo(kv, "does-not-exist") },
    {
      what: "the version holds corrupt JSON",
      reason: "corruptJson",
      corrupt: async (kv) => {
        await kv.put(versionKey("corrupt"), '{"tableVersion": 1, "hash": "corrupt", "vhosts": [');
        await pointTo(kv, "corrupt");
      },
    },
    {
      what: "the version has a tableVersion this Worker does not understand",
      reason: "unknownTableVersion",
      corrupt: async (kv) => {
        await kv.put(versionKey("future"), JSON.stringify(unknownTableVersion(await tableTo("future", b))));
        await pointTo(kv, "future");
      },
    },
    {
      what: "the pointer is not JSON",
      reason: "badPointer",
      corrupt: (kv) => kv.put(ACTIVE_KEY, "routes/versions/abc"),
    },
    {
      what: "the version's hash differs from its key (mixed-up write)",
      reason: "badTable",
      corrupt: async (kv) => {
        await kv.put(versionKey("mixed"), JSON.stringify(await tableTo("other", b)));
        await pointTo(kv, "mixed");
      },
    },
  ];

  for (const c of corruptions) {
    it(`${c.what}: requests keep going to the last good table's origin; the admin endpoint says ${c.reason}; a good push is picked up`, async () => {
      const good = await freshGood();
      await expectServedBy(gw, 10, a, good);
      await c.corrupt(gw.kv);
      const err = await waitForError(gw, c.reason);
      expect(err.detail.length).toBeGreaterThan(0);
      await expectServedBy(gw, 20, a, good);
      expect((await gw.config()).version).toBe(good);
      // Recovery: a good version pushed after the corruption replaces it.
      const next = `recovered-${generation++}`;
      await pushTable(gw.kv, await tableTo(next, b));
      await waitForVersion(gw, next);
      await expectServedBy(gw, 10, b, next);
      expect((await gw.config()).lastError).toBeNull();
    });
  }

  it("KV throwing: requests keep going to the last good table; reported as kvError", async () => {
    const good = await freshGood();
    await gw.kvMode("throw");
    try {
      const err = await waitForError(gw, "kvError");
      expect(err.detail).toContain("KV unavailable (injected)");
      await expectServedBy(gw, 20, a, good);
    } finally {
      await gw.kvMode("pass");
    }
    const next = `after-throw-${generation++}`;
    await pushTable(gw.kv, await tableTo(next, b));
    await waitForVersion(gw, next);
    await expectServedBy(gw, 10, b, next);
  });

  it("KV hanging: requests are answered at once from the last good table (never wait on KV); the read is bounded and reported as kvTimeout", async () => {
    const good = await freshGood();
    await gw.kvMode("hang");
    try {
      // Two seconds of traffic while every KV read hangs: no request waits for KV.
      const until = Date.now() + KV_READ_TIMEOUT_MS + 200;
      let sent = 0;
      while (Date.now() < until) {
        const res = await gw.fetch(`/during-hang/${sent++}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("x-gateway-config-version")).toBe(good);
        expect(res.ms).toBeLessThan(KV_READ_TIMEOUT_MS / 2);
      }
      expect(sent).toBeGreaterThan(5);
      const err = await waitForError(gw, "kvTimeout", KV_READ_TIMEOUT_MS + SLACK_MS * 2);
      expect(err.detail).toContain(`${KV_READ_TIMEOUT_MS} ms`);
      await expectServedBy(gw, 20, a, good);
    } finally {
      await gw.kvMode("pass");
    }
    const next = `after-hang-${generation++}`;
    await pushTable(gw.kv, await tableTo(next, b));
    await waitForVersion(gw, next);
    await expectServedBy(gw, 10, b, next);
  }, 20_000);
});

describe("a cold isolate without any table", () => {
  function expectNoTable(res: RawResponse): void {
    expect(res.status).toBe(503);
    expect(res.text()).toBe(NO_TABLE_BODY);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("server")).toBe("istio-envoy");
    expect(res.headers.get("x-gateway-config-version")).toBeNull();
  }

  it("answers 503 with how to fix it when nothing was pushed, then serves the first push", async () => {
    const gw = await startShimmed();
    try {
      const cold = await Promise.all(Array.from({ length: 10 }, (_, i) => gw.fetch(`/cold/${i}`)));
      for (const res of cold) expectNoTable(res);
      await pushTable(gw.kv, await tableTo("first", a));
      await waitForVersion(gw, "first");
      await expectServedBy(gw, 10, a, "first");
    } finally {
      await gw.close();
    }
  });

  it("answers 503 when the only version is corrupt, and the admin endpoint says why", async () => {
    const gw = await startShimmed();
    try {
      await gw.kv.put(versionKey("only"), "not json at all");
      await pointTo(gw.kv, "only");
      expectNoTable(await gw.fetch("/cold"));
      const report = await gw.config();
      expect(report.version).toBeNull();
      expect(report.lastError?.reason).toBe("corruptJson");
    } finally {
      await gw.close();
    }
  });

  it("answers 503 within the KV read bound when KV hangs (10 concurrent requests), then loads once KV answers", async () => {
    const gw = await startShimmed();
    try {
      await pushTable(gw.kv, await tableTo("behind-hang", a));
      await gw.kvMode("hang");
      const cold = await Promise.all(Array.from({ length: 10 }, (_, i) => gw.fetch(`/cold-hang/${i}`)));
      for (const res of cold) {
        expectNoTable(res);
        expect(res.ms).toBeLessThan(2 * KV_READ_TIMEOUT_MS + SLACK_MS);
      }
      await gw.kvMode("pass");
      await waitForVersion(gw, "behind-hang");
      await expectServedBy(gw, 10, a, "behind-hang");
    } finally {
      await gw.close();
    }
  }, 20_000);
});
