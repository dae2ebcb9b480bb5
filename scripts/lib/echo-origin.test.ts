/**
 * The demo/test echo origin's origin-wide failure switch (POST /__echo/fail, /__echo/recover):
 * what the canary walkthrough (docs/canary.md) uses to make a canary's origin start failing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "./echo-origin.ts";

let origin: EchoOrigin;
beforeAll(async () => {
  origin = await startEchoOrigin("checkout v2");
});
afterAll(() => origin.close());

const get = async (path = "/checkout") => {
  const res = await fetch(`${origin.url}${path}`);
  await res.arrayBuffer();
  return res.status;
};

describe("echo origin: failing on demand", () => {
  it("POST /__echo/fail makes every later request answer 503 until POST /__echo/recover", async () => {
    expect(await get()).toBe(200);
    const fail = await fetch(`${origin.url}/__echo/fail`, { method: "POST" });
    expect(fail.status).toBe(200);
    expect(await fail.json()).toEqual({ server: "checkout v2", failing: { status: 503, delayMs: 0 } });
    expect([await get(), await get("/other?x=1")]).toEqual([503, 503]);
    const recover = await fetch(`${origin.url}/__echo/recover`, { method: "POST" });
    expect(await recover.json()).toEqual({ server: "checkout v2", failing: null });
    expect(await get()).toBe(200);
  });

  it("takes a status and a delay; a bad one is a 400 and changes nothing", async () => {
    expect((await fetch(`${origin.url}/__echo/fail?status=42`, { method: "POST" })).status).toBe(400);
    expect(await get()).toBe(200);
    await fetch(`${origin.url}/__echo/fail?status=500&delay=150`, { method: "POST" });
    const t0 = performance.now();
    expect(await get()).toBe(500);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    origin.recover();
  });

  it("a GET of the control path is an ordinary request (only POST switches)", async () => {
    expect(await get("/__echo/fail")).toBe(200);
    expect(await get()).toBe(200);
    origin.fail(502);
    expect(await get()).toBe(502);
    origin.recover();
    expect(await get()).toBe(200);
  });
});

describe("echo origin: close", () => {
  it("ends an open WebSocket instead of waiting for it (server.close alone waits for upgraded sockets)", async () => {
    const { connect } = await import("node:net");
    const o = await startEchoOrigin("ws");
    const socket = connect(o.port, "127.0.0.1");
    const switched = await new Promise<string>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("data", (d) => resolve(d.toString("latin1")));
      socket.write("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    });
    expect(switched).toMatch(/^HTTP\/1\.1 101 /);
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // The client keeps its socket open; close() must still finish (the test would time out).
    await o.close();
    await ended;
  }, 5_000);
});
