/**
 * `routes rollout …` against the real Worker (issue #14.3): the CLI (in-process) pushes a config
 * with a Canary into the local KV state a gateway with a state plane reads (Miniflare, real
 * GatewayState objects and alarms), real echo origins on 127.0.0.1 serve v1 and v2, requests flow
 * through the gateway, and `rollout status / pause / resume / abort` talk to its admin API over
 * real HTTP. Intervals are 1 s here so the real alarm judges within the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { routesCli as cli, writeFiles } from "../fixtures/cli.ts";
import { gatewayYaml, versionedServiceYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import type { RolloutList, RolloutStatus } from "../../src/rollout/status.ts";
import { ADMIN_TOKEN, startFleet, until, type Fleet } from "./harness/fleet.ts";

let dir: string;
let fleet: Fleet;
let v1: EchoOrigin;
let v2: EchoOrigin;

/** Nine steps of 1 s: long enough to pause it mid-way, short enough to see the alarm judge. */
function config(): string {
  return writeFiles(path.join(dir, "routes"), {
    "shop.yaml": yamlFile(
      gatewayYaml(),
      versionedServiceYaml("checkout", "checkout.internal", { v1: { address: "127.0.0.1", port: v1.port }, v2: { address: "127.0.0.1", port: v2.port } }),
      // Hosts "*": Miniflare's in-process dispatch sends its own Host.
      virtualServiceYaml(
        `
        - name: checkout
          route:
            - { destination: { host: checkout.internal, subset: v1 }, weight: 100 }
            - { destination: { host: checkout.internal, subset: v2 }, weight: 0 }`,
        { name: "shop" },
      ),
      `apiVersion: edge-gateway.dev/v1alpha1
kind: Canary
metadata: { name: checkout }
spec:
  target: { virtualService: shop, rule: checkout }
  primary: { host: checkout.internal, subset: v1 }
  canary: { host: checkout.internal, subset: v2 }
  analysis:
    interval: 1s
    stepWeights: [10, 20, 30, 40, 50, 60, 70, 80, 90]
    threshold: 2
    minRequests: 3
    successRate: { min: 90 }
`,
    ),
  });
}

const rollout = (...argv: string[]) => cli("rollout", ...argv, "--gateway", fleet.url.toString());

async function statusJson(): Promise<RolloutStatus> {
  const r = await rollout("status", "default/checkout", "--json");
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as RolloutStatus;
}

/** Visitors without a cookie: each is a new visitor, so each rolls the split. */
let traffic = false;
let trafficLoop: Promise<void> = Promise.resolve();
function startTraffic(): void {
  traffic = true;
  trafficLoop = (async () => {
    while (traffic) await fleet.fetch(0, "http://shop.test/checkout");
  })();
}
async function stopTraffic(): Promise<void> {
  traffic = false;
  await trafficLoop;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "rollout-cli-"));
  process.env.GATEWAY_ADMIN_TOKEN = ADMIN_TOKEN;
  [v1, v2] = await Promise.all([startEchoOrigin("checkout v1"), startEchoOrigin("checkout v2")]);
  fleet = await startFleet({ size: 1, persistDir: path.join(dir, "state"), vars: { CONFIG_REFRESH_SECONDS: "0", STATE_REFRESH_SECONDS: "1", STATE_CACHE_SECONDS: "1" } });
  const pushed = await cli("push", "--local", "--persist-to", path.join(dir, "state"), config());
  expect(pushed.code, pushed.err).toBe(0);
  let last = "";
  await until(async () => {
    const r = await fleet.fetch(0, "http://shop.test/checkout");
    last = `${r.status} ${r.text.slice(0, 200)}`;
    return r.headers.get("x-echo-server") !== null;
  }, 15_000).catch((e: Error) => {
    throw new Error(`${e.message}: the gateway answered ${last}\n${pushed.out}\n${fleet.logs.slice(-5).join("\n")}`);
  });
});

afterAll(async () => {
  await stopTraffic();
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await fleet?.close();
  await Promise.all([v1?.close(), v2?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("routes rollout against the real Worker and its rollout object", () => {
  it("status lists the Canary; under traffic the object's alarm advances it, and status NAME shows each interval", async () => {
    const list = await rollout("status");
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/^default\/checkout\s+(not started|progressing, step 1 of 9 \(10%\))\s+/m);
    startTraffic();
    // Judged by the object's own alarm, 1 s per interval; bounded so a stuck rollout fails here.
    await until(async () => (await statusJson()).state.step >= 1, 20_000, 200);
    const text = await rollout("status", "default/checkout");
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^state\s+progressing, step \d of 9 \(\d0%\)$/m);
    expect(text.out).toMatch(/^analysis\s+every 1s: success rate ≥ 90%; at least 3 canary requests to judge; abort after 2 failed checks$/m);
    // An advance row: the primary's and the canary's requests, no failures, 100 %, a p99, the reason.
    expect(text.out).toMatch(/ advance\s+10%\s+\d+\s+0\s+100%\s+[\d.]+ ms\s+\d+\s+0\s+100%\s+[\d.]+ ms\s+checks passed: advance 10% → 20%$/m);
  });

  it("pause holds the weight: no interval is judged until resume", async () => {
    const p = await rollout("pause", "checkout");
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/^pause: default\/checkout is paused at step \d of 9 \(\d0%\), primary \d0%, canary \d0% \(operator: pause at \d0%\)$/);
    const paused = await statusJson();
    await new Promise((r) => setTimeout(r, 2_500)); // more than two intervals, under traffic
    const later = await statusJson();
    expect(later.state).toMatchObject({ phase: "paused", step: paused.state.step, canaryWeight: paused.state.canaryWeight });
    expect(later.state.history.at(-1)).toMatchObject({ event: "pause" });
    expect(later.weights).toEqual(paused.weights);
    const again = await rollout("pause", "default/checkout");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^cannot pause default\/checkout now: /);
    const r = await rollout("resume", "default/checkout");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/is progressing, step \d of 9/);
  });

  it("abort: canary weight 0 at once, every request back on v1; a second abort is refused", async () => {
    const a = await rollout("abort", "default/checkout");
    expect(a.code, a.err).toBe(0);
    expect(a.out).toBe("abort: default/checkout is aborted, primary 100%, canary 0% (operator: abort, canary weight 0)");
    const served = new Set<string>();
    for (let i = 0; i < 40; i++) served.add((await fleet.fetch(0, "http://shop.test/checkout")).headers.get("x-echo-server") ?? "none");
    expect([...served]).toEqual(["checkout v1"]);
    const again = await rollout("abort", "default/checkout");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^cannot abort default\/checkout now: /);
    const list = JSON.parse((await rollout("status", "--json")).out) as RolloutList;
    expect(list.rollouts.map((s) => [s.name, s.state.phase, s.weights.canary])).toEqual([["default/checkout", "aborted", 0]]);
  });

  it("an unknown rollout: exit 1 with the names the gateway knows", async () => {
    const r = await rollout("promote", "default/nope");
    expect(r.code).toBe(1);
    expect(r.err).toContain('no rollout "default/nope"');
    expect(r.err).toContain("its rollouts: default/checkout");
  });

  it("a gateway without a state plane: status shows the pushed weights, an action says what is missing", async () => {
    await stopTraffic();
    const plain = await startFleet({ size: 1, persistDir: path.join(dir, "state"), state: false, vars: { CONFIG_REFRESH_SECONDS: "0" } });
    try {
      await until(async () => (await plain.fetch(0, "http://shop.test/checkout")).status === 200, 15_000);
      const s = await cli("rollout", "status", "--gateway", plain.url.toString());
      expect(s.code, s.err).toBe(0);
      expect(s.out).toMatch(/^default\/checkout\s+not started\s+100%\s+0%\s+none yet$/m);
      const a = await cli("rollout", "abort", "default/checkout", "--gateway", plain.url.toString());
      expect(a.code).toBe(1);
      expect(a.err).toMatch(/cannot run rollouts: no state plane: the STATE Durable Object binding is not configured/);
    } finally {
      await plain.close();
    }
  });
});
