/**
 * ACCESS_LOG through the real Worker: by default (errors) a forwarded 200 writes no access line
 * and the gateway's own 404 writes one; `all` writes both; `off` writes neither.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

let origin: EchoOrigin;
const gateways: Gateway[] = [];

beforeAll(async () => {
  origin = await startEchoOrigin("site");
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await origin?.close();
});

/** Access lines (JSON with a requestId) the gateway wrote, by path, once the marker's line (or a deadline) arrived. */
async function accessLines(vars: Record<string, string>, paths: string[]): Promise<string[]> {
  const gw = await startGateway(vars);
  gateways.push(gw);
  const http = "- name: site\n  match: [{ uri: { prefix: /site } }]\n  route: [{ destination: { host: site.internal } }]\n  retries: { attempts: 0 }";
  await gw.push(await compiledTable(yamlFile(gatewayYaml(), serviceEntryYaml("site.internal", [origin.url]), virtualServiceYaml(http))));
  for (const p of paths) await gw.fetch(`http://shop.example${p}`);
  // A last request that every mode but "off" logs (a 404 from the gateway) marks the end.
  await gw.fetch("http://shop.example/zz-marker");
  for (let i = 0; i < 100 && !gw.logs.some((l) => l.includes("/zz-marker")); i++) await new Promise((r) => setTimeout(r, 20));
  return gw.logs
    .filter((l) => l.includes('"requestId"'))
    .map((l) => (JSON.parse(l) as { path: string; status: number }))
    .map((l) => `${l.path} ${l.status}`);
}

describe("ACCESS_LOG", () => {
  it("default (errors): the gateway's own 404 is logged, a forwarded 200 is not", async () => {
    const lines = await accessLines({}, ["/site/a", "/nowhere"]);
    expect(lines).toEqual(["/nowhere 404", "/zz-marker 404"]);
  });

  it("all: every request is logged", async () => {
    const lines = await accessLines({ ACCESS_LOG: "all" }, ["/site/a", "/nowhere"]);
    expect(lines).toEqual(["/site/a 200", "/nowhere 404", "/zz-marker 404"]);
  });

  it("off: nothing is logged", async () => {
    const lines = await accessLines({ ACCESS_LOG: "off" }, ["/site/a", "/nowhere"]);
    expect(lines).toEqual([]);
  });
});
