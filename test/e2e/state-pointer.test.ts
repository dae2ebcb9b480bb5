/**
 * Fast activation end to end: the routes CLI (in-process) pushes into the local KV state that a
 * fleet of three gateway instances reads, sets the pointer through gw0's admin API (--gateway)
 * and waits (--wait); every instance then serves the pushed version within the bound
 * STATE_REFRESH_SECONDS + STATE_CACHE_SECONDS (1 s + 1 s here), although KV's pointer is only
 * re-read every 30 s (CONFIG_REFRESH_SECONDS): the object carried it, not KV.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../../scripts/cli.ts";
import { memoryIo } from "../../scripts/lib/io.ts";
import { ADMIN_TOKEN, startFleet, until, type Fleet } from "./harness/fleet.ts";

const REFRESH_S = 1;
const CACHE_S = 1;
/** The bound, plus scheduling slack of this shared 2-core machine. */
const BOUND_MS = (REFRESH_S + CACHE_S) * 1000 + 1500;

let dir: string;
let fleet: Fleet;

function config(tag: string): string {
  const d = path.join(dir, `routes-${tag}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(
    path.join(d, "shop.yaml"),
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
    - name: marker
      directResponse:
        status: 200
        body: { string: "served ${tag}" }
`,
  );
  return d;
}

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await runCli([...argv.slice(0, 1), "--local", "--persist-to", path.join(dir, "state"), ...argv.slice(1)], io);
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

const body = async (i: number) => (await fleet.fetch(i, "http://shop.test/")).text;

/** Every instance serves `tag`; returns how long the slowest took (each is polled with real requests). */
async function everyInstanceServes(tag: string): Promise<number[]> {
  return Promise.all(Array.from({ length: fleet.size }, (_, i) => until(async () => (await body(i)) === `served ${tag}`, BOUND_MS * 3)));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "state-pointer-"));
  process.env.GATEWAY_ADMIN_TOKEN = ADMIN_TOKEN;
  fleet = await startFleet({
    size: 3,
    persistDir: path.join(dir, "state"),
    vars: { CONFIG_REFRESH_SECONDS: "30", STATE_REFRESH_SECONDS: String(REFRESH_S), STATE_CACHE_SECONDS: String(CACHE_S) },
  });
});

afterAll(async () => {
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("routes push --gateway --wait on a fleet sharing one state plane", () => {
  it("the first push is served everywhere (cold isolates load it)", async () => {
    const r = await cli("push", "--gateway", fleet.url.toString(), "--wait", "--wait-timeout", "15", config("v1"));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/state plane at .*: [0-9a-f]{12} is active/);
    expect(r.out).toMatch(/served: .* serves [0-9a-f]{12}/);
    await everyInstanceServes("v1");
  });

  it("a second push reaches every warm instance within the bound although KV's pointer is not re-read", async () => {
    // Warm every instance (their KV re-check is now 30 s away).
    for (let i = 0; i < fleet.size; i++) expect(await body(i)).toBe("served v1");
    const r = await cli("push", "--gateway", fleet.url.toString(), "--wait", "--wait-timeout", "15", config("v2"));
    expect(r.code, r.err).toBe(0);
    const took = await everyInstanceServes("v2");
    console.log(`push → served per instance (ms): ${took.map((t) => t.toFixed(0)).join(", ")}; bound ${BOUND_MS} ms`);
    for (const ms of took) expect(ms).toBeLessThan(BOUND_MS);
  });

  it("rollback --gateway --wait lands everywhere within the bound too", async () => {
    const r = await cli("rollback", "--gateway", fleet.url.toString(), "--wait", "--wait-timeout", "15");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("rolled back");
    const took = await everyInstanceServes("v1");
    for (const ms of took) expect(ms).toBeLessThan(BOUND_MS);
  });

  it("status --gateway shows both pointers, what this location serves and the state plane's health", async () => {
    const io = memoryIo();
    const code = await runCli(["status", "--gateway", fleet.url.toString()], io);
    const out = io.stdout.join("\n");
    expect(code, io.stderr.join("\n")).toBe(0);
    expect(out).toMatch(/active \(state object\): [0-9a-f]{12} since .* \(rollback\)/);
    expect(out).toMatch(/active \(KV pointer\): +[0-9a-f]{12} since .* \(rollback\)/);
    expect(out).toMatch(/this location serves: [0-9a-f]{12} since /);
    expect(out).toContain("state plane: ok");
  });

  it("--wait times out with exit 1 when the gateway never serves the version", async () => {
    const io = memoryIo();
    // A second fleet without a state plane and with a 30 s KV re-check cannot serve it in 1 s.
    const slow = await startFleet({ size: 1, persistDir: path.join(dir, "state"), state: false, vars: { CONFIG_REFRESH_SECONDS: "30" } });
    try {
      expect(await (await slow.fetch(0, "http://shop.test/")).text).toBe("served v1");
      const code = await runCli(
        ["push", "--local", "--persist-to", path.join(dir, "state"), "--gateway", slow.url.toString(), "--wait", "--wait-timeout", "1", config("v3")],
        io,
      );
      expect(code).toBe(1);
      expect(io.stderr.join("\n")).toContain("has no state plane");
      expect(io.stderr.join("\n")).toMatch(/timed out after 1 s/);
    } finally {
      await slow.close();
    }
  });

  it("refuses --wait without --gateway, and --gateway without GATEWAY_ADMIN_TOKEN (usage errors, nothing written)", async () => {
    expect((await cli("push", "--wait", config("v4"))).code).toBe(2);
    delete process.env.GATEWAY_ADMIN_TOKEN;
    try {
      const r = await cli("push", "--gateway", fleet.url.toString(), config("v4"));
      expect(r.code).toBe(2);
      expect(r.err).toContain("GATEWAY_ADMIN_TOKEN");
    } finally {
      process.env.GATEWAY_ADMIN_TOKEN = ADMIN_TOKEN;
    }
  });
});
