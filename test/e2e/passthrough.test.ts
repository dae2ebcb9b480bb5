/**
 * Bodies and protocols pass through the real Worker untouched: large bodies stream both ways,
 * gzip responses keep their bytes and Content-Encoding, WebSocket upgrades reach the origin.
 */
import { createHash, randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patternBytes, startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

let origin: EchoOrigin;
let gw: Gateway;

beforeAll(async () => {
  origin = await startEchoOrigin("o");
  gw = await startGateway();
  await gw.push(
    await compiledTable(
      yamlFile(gatewayYaml(), serviceEntryYaml("o.internal", [origin.url]), virtualServiceYaml("- name: all\n  route: [{ destination: { host: o.internal } }]\n  retries: { attempts: 0 }")),
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await origin?.close();
});

describe("bodies", () => {
  it("streams an 8 MiB request body to the origin byte for byte", async () => {
    const body = randomBytes(8 * 1024 * 1024);
    const res = await gw.fetch("http://site.example/upload", { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(200);
    const echo = res.json<{ body: { size: number; sha256: string } }>();
    expect(echo.body.size).toBe(body.length);
    expect(echo.body.sha256).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("streams a 16 MiB response body to the client byte for byte", async () => {
    const size = 16 * 1024 * 1024;
    const res = await gw.fetch(`http://site.example/download?echo-size=${size}`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(size);
    expect(res.body.equals(patternBytes(size))).toBe(true);
  });

  it("passes a gzip response through with its Content-Encoding and compressed bytes", async () => {
    const res = await gw.fetch("http://site.example/zipped?echo-gzip=1", { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect([...res.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]); // still gzip on the wire
    const decoded = JSON.parse(gunzipSync(res.body).toString("utf8")) as { server: string; path: string };
    expect(decoded).toMatchObject({ server: "o", path: "/zipped?echo-gzip=1" });
  });
});

describe("WebSocket", () => {
  it("passes an upgrade through and echoes messages both ways", async () => {
    const ws = new WebSocket(new URL("/ws", gw.url.href.replace(/^http/, "ws")).href);
    const messages: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => {
        ws.send("hello");
        ws.send("edge");
      });
      ws.addEventListener("message", (e) => {
        messages.push(String(e.data));
        if (messages.length === 2) resolve();
      });
      ws.addEventListener("error", () => reject(new Error("websocket error")));
      setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(messages)}`)), 10_000);
    });
    await done;
    ws.close();
    expect(messages).toEqual(["hello", "edge"]);
    // The origin saw a real upgrade request carrying the gateway's forwarding headers.
    const handshake = origin.seen.find((r) => r.path === "/ws");
    expect(handshake?.headers.upgrade?.toString().toLowerCase()).toBe("websocket");
    expect(handshake?.headers["x-request-id"]).toBeDefined();
    expect(handshake?.headers["x-envoy-attempt-count"]).toBe("1");
  });
});
