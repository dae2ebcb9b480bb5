/**
 * A 25/75 weighted split through the real Worker, counted at the origins.
 * Tolerance: with n = 2000 and p = 0.25 the standard deviation of the observed share is
 * sqrt(p(1-p)/n) ≈ 0.97 pp, so ±4 pp is ≈ 4.1 σ (a false failure about once in 25,000 runs).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

const N = 2_000;
const TOLERANCE_PP = 4;
const CONCURRENCY = 16;

let v1: EchoOrigin;
let v2: EchoOrigin;
let gw: Gateway;

beforeAll(async () => {
  [v1, v2] = await Promise.all([startEchoOrigin("v1"), startEchoOrigin("v2")]);
  gw = await startGateway();
  await gw.push(
    await compiledTable(
      yamlFile(
        gatewayYaml(),
        serviceEntryYaml("v1.internal", [v1.url]),
        serviceEntryYaml("v2.internal", [v2.url]),
        virtualServiceYaml(`
          - name: canary
            route:
              - { destination: { host: v1.internal }, weight: 25 }
              - { destination: { host: v2.internal }, weight: 75 }
            retries: { attempts: 0 }`),
      ),
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([v1?.close(), v2?.close()]);
});

it(`splits ${N} requests 25/75 within ±${TOLERANCE_PP} pp, and the client sees the origin that was counted`, async () => {
  const before = { v1: v1.seen.length, v2: v2.seen.length };
  const answeredBy = { v1: 0, v2: 0 };
  let next = 0;
  async function worker(): Promise<void> {
    while (next < N) {
      next++;
      const res = await gw.fetch("http://shop.example/p");
      expect(res.status).toBe(200);
      answeredBy[res.json<{ server: "v1" | "v2" }>().server]++;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seen = { v1: v1.seen.length - before.v1, v2: v2.seen.length - before.v2 };
  expect(seen).toEqual(answeredBy);
  expect(seen.v1 + seen.v2).toBe(N);
  const sharePp = (100 * seen.v1) / N;
  console.info(`weighted split 25/75 over ${N} requests: v1 ${sharePp.toFixed(2)} %`);
  expect(Math.abs(sharePp - 25)).toBeLessThanOrEqual(TOLERANCE_PP);
});
