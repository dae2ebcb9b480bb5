/**
 * Shared endpoint health end to end: three gateway instances (separate isolates) share one state
 * plane; real origins on 127.0.0.1 fail on demand.
 *  - failures seen through ONE instance eject the endpoint for the OTHERS (which never saw
 *    enough failures to eject it themselves);
 *  - without the state plane, each instance only knows what it saw (today's behaviour).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteTable } from "../../src/table/types.ts";
import { pushTable } from "../fixtures/pushed.ts";
import { compiledTable, gatewayYaml, istioDoc, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";
import { startFleet, until, type Fleet } from "./harness/fleet.ts";
import { startSwitchOrigin, type SwitchOrigin } from "./harness/switch-origin.ts";

let a: SwitchOrigin;
let b: SwitchOrigin;

/** Five 5xx in a row eject; the test keeps the other instances below five B failures each. */
const CONSECUTIVE_5XX = 5;

/**
 * Every request to pool.svc (origins a and b, round robin, no retries) with the DestinationRule's
 * `trafficPolicy` (YAML) and `meta` (its annotations).
 */
function poolTable(trafficPolicy: string, meta = ""): Promise<RouteTable> {
  return compiledTable(
    yamlFile(
      gatewayYaml(),
      serviceEntryYaml("pool.svc", [a.url, b.url]),
      istioDoc("DestinationRule", "pool", `host: pool.svc\ntrafficPolicy: ${trafficPolicy}`, meta),
      virtualServiceYaml("- name: all\n  route: [{ destination: { host: pool.svc } }]\n  retries: { attempts: 0 }"),
    ),
  );
}

const ejectingPool = () =>
  poolTable(`{ loadBalancer: { simple: ROUND_ROBIN }, outlierDetection: { consecutive5xxErrors: ${CONSECUTIVE_5XX}, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100, minHealthPercent: 0 } }`);

async function serverOf(f: Fleet, i: number): Promise<string> {
  const r = await f.fetch(i, "http://shop.test/x");
  return r.status === 200 ? r.json<{ server: string }>().server : `status ${r.status}`;
}

beforeAll(async () => {
  a = await startSwitchOrigin("a");
  b = await startSwitchOrigin("b");
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe("outlier detection shared through the state plane", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ size: 3, vars: { CONFIG_REFRESH_SECONDS: "0", STATE_REFRESH_SECONDS: "1", STATE_CACHE_SECONDS: "1" } });
    await pushTable(await fleet.kv(), await ejectingPool());
  });
  afterAll(async () => {
    b.fail = false;
    await fleet?.close();
  });

  it("failures seen through gw0 eject b for gw1 and gw2", async () => {
    // Everyone serves, both endpoints in use.
    for (let i = 0; i < fleet.size; i++) {
      const seen = new Set([await serverOf(fleet, i), await serverOf(fleet, i)]);
      expect(seen).toEqual(new Set(["a", "b"]));
    }
    b.fail = true;
    // gw0 alone sees b fail until it ejects it (round robin: every other request).
    await until(async () => {
      const got = await Promise.all([serverOf(fleet, 0), serverOf(fleet, 0)]);
      return got.every((g) => g === "a");
    }, 10_000);
    // The report reaches the object within ~1 s: gw0's admin report shows b ejected.
    await until(async () => {
      const r = await fleet.admin<{ health: { clusters: Array<{ endpoints: Array<{ url: string; ejected: boolean }> }> } }>(0, "/__gateway/state");
      return r.body.health.clusters[0]?.endpoints.find((e) => e.url === b.url)?.ejected === true;
    }, 5_000);
    // gw1 and gw2 converge within a refresh or two, having sent b fewer failures than the threshold.
    for (const i of [1, 2]) {
      let bFailures = 0;
      const ms = await until(async () => {
        const got = [];
        for (let k = 0; k < 4; k++) got.push(await serverOf(fleet, i));
        bFailures += got.filter((g) => g === "status 503").length;
        return got.every((g) => g === "a");
      }, 6_000, 100);
      expect(bFailures, `gw${i} sent ${bFailures} requests to b before learning of its ejection`).toBeLessThan(CONSECUTIVE_5XX);
      console.log(`gw${i} learned of the shared ejection after ${ms.toFixed(0)} ms and ${bFailures} failed request(s) of its own`);
      // And it stays ejected: 10 more requests, none to b.
      for (let k = 0; k < 10; k++) expect(await serverOf(fleet, i)).toBe("a");
    }
  });
});

describe("without the state plane (no STATE binding)", () => {
  it("an instance that saw no failures keeps sending to the failing endpoint (per-isolate detection, as before)", async () => {
    const fleet = await startFleet({ size: 2, state: false, vars: { CONFIG_REFRESH_SECONDS: "0" } });
    try {
      await pushTable(await fleet.kv(), await ejectingPool());
      b.fail = true;
      await until(async () => (await Promise.all([serverOf(fleet, 0), serverOf(fleet, 0)])).every((g) => g === "a"), 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      const got = [await serverOf(fleet, 1), await serverOf(fleet, 1)];
      expect(got).toContain("status 503");
    } finally {
      b.fail = false;
      await fleet.close();
    }
  });
});

describe("active health checks (Cron Trigger → state plane → load balancing)", () => {
  let fleet: Fleet;
  const HC = { path: "/healthz" };

  beforeAll(async () => {
    fleet = await startFleet({
      size: 2,
      vars: { CONFIG_REFRESH_SECONDS: "0", STATE_REFRESH_SECONDS: "1", STATE_CACHE_SECONDS: "1", HEALTH_CHECK_WINDOW_SECONDS: "0" },
    });
    const t = await poolTable("{ loadBalancer: { simple: ROUND_ROBIN } }", `annotations: { edge-gateway.dev/health-check: "path=${HC.path}; interval=10s; timeout=1s; healthy=1; unhealthy=2; statuses=200-299" }`);
    expect(t.clusters["pool.svc||80"]!.healthCheck).toEqual({ path: HC.path, intervalMs: 10_000, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 2, expectedStatuses: [[200, 299]] });
    await pushTable(await fleet.kv(), t);
  });
  afterAll(async () => {
    b.fail = false;
    await fleet?.close();
  });

  const dataHits = (o: SwitchOrigin) => o.hits.filter((p) => p !== HC.path).length;

  it("an endpoint failing its health check gets no traffic, and comes back when it recovers", async () => {
    for (let i = 0; i < 4; i++) expect(["a", "b"]).toContain(await serverOf(fleet, 1));
    b.fail = true;
    const probesBefore = b.hits.filter((p) => p === HC.path).length;
    await fleet.scheduled(0);
    await fleet.scheduled(0); // unhealthy threshold 2
    expect(b.hits.filter((p) => p === HC.path).length - probesBefore).toBe(2);
    const state = await fleet.admin<{ health: { clusters: Array<{ endpoints: Array<{ url: string; healthy: boolean | null; lastProbe: { ok: boolean; detail?: string } | null }> }> } }>(1, "/__gateway/state");
    const bView = state.body.health.clusters[0]!.endpoints.find((e) => e.url === b.url)!;
    expect(bView.healthy).toBe(false);
    expect(bView.lastProbe?.detail).toContain("status 503");
    // gw1 (whose isolate never ran a probe) stops sending to b within a refresh or two.
    await until(async () => {
      const got = [];
      for (let k = 0; k < 4; k++) got.push(await serverOf(fleet, 1));
      return got.every((g) => g === "a");
    }, 6_000, 100);
    const before = dataHits(b);
    for (let k = 0; k < 10; k++) expect(await serverOf(fleet, 1)).toBe("a");
    expect(dataHits(b)).toBe(before);

    // Recovery: one passing probe (healthy threshold 1) brings it back for everyone.
    b.fail = false;
    await fleet.scheduled(0);
    await until(async () => {
      const got = new Set<string>();
      for (let k = 0; k < 4; k++) got.add(await serverOf(fleet, 1));
      return got.has("b");
    }, 6_000, 100);
  });
});
