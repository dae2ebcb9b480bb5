/**
 * Istio's samples as shipped behind the real Worker (issue #11): bookinfo-gateway.yaml and
 * certmanager-gateway.yaml, read byte for byte from examples/istio/samples, next to an origins
 * file that maps the Service productpage:9080 to a real echo origin on 127.0.0.1. A Service with
 * no origin (cert-manager-resolver) answers Envoy's 503 for a missing cluster, with an empty body.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { loadConfig } from "../../src/config/load.ts";
import { compile } from "../../src/compile/index.ts";
import type { RouteTable } from "../../src/table/types.ts";

const NETWORKING = "examples/istio/samples/bookinfo/networking";

let productpage: EchoOrigin;
let gw: Gateway;

async function compiled(sample: string): Promise<RouteTable> {
  const origins = `origins:\n  productpage:9080: { url: "${productpage.url}", labels: { version: v1 } }\n`;
  const { objects, issues } = loadConfig([
    { path: `${NETWORKING}/${sample}`, text: readFileSync(`${NETWORKING}/${sample}`, "utf8") },
    { path: "origins.yaml", text: origins },
  ]);
  const r = await compile(objects);
  const errors = [...issues, ...r.issues].filter((i) => i.severity === "error");
  if (!r.table || errors.length) throw new Error(`${sample} does not compile: ${JSON.stringify(errors)}`);
  return r.table;
}

beforeAll(async () => {
  productpage = await startEchoOrigin("productpage v1");
  gw = await startGateway();
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await productpage?.close();
});

describe("Istio's bookinfo-gateway.yaml, byte for byte, with an origins file", () => {
  beforeAll(async () => gw.push(await compiled("bookinfo-gateway.yaml")), 60_000);

  it("forwards /productpage to the productpage Service's origin, path and query untouched", async () => {
    const res = await gw.fetch("http://bookinfo.example.com/productpage?u=normal");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo-server")).toBe("productpage v1");
    expect(productpage.seen.at(-1)).toMatchObject({ method: "GET", path: "/productpage?u=normal" });
    expect(productpage.seen.at(-1)!.headers["x-forwarded-host"]).toBe("bookinfo.example.com");
  });

  it("serves any host (hosts \"*\") and the /static prefix", async () => {
    const res = await gw.fetch("http://203.0.113.5/static/img/izzy.png");
    expect(res.status).toBe(200);
    expect(productpage.seen.at(-1)!.path).toBe("/static/img/izzy.png");
  });

  it("answers 404 for a path no rule matches", async () => {
    const before = productpage.seen.length;
    const res = await gw.fetch("http://bookinfo.example.com/");
    expect(res.status).toBe(404);
    expect(productpage.seen.length).toBe(before);
  });
});

describe("Istio's certmanager-gateway.yaml: a Service nothing serves", () => {
  beforeAll(async () => gw.push(await compiled("certmanager-gateway.yaml")), 60_000);

  it("answers 503 with an empty body, as Envoy does for a missing cluster, and never leaves the edge", async () => {
    const before = productpage.seen.length;
    const res = await gw.fetch("http://www.example.com/.well-known/acme-challenge/token");
    expect(res.status).toBe(503);
    expect(res.body.length).toBe(0);
    expect(productpage.seen.length).toBe(before);
  });
});
