/**
 * The local loop the README promises: `routes push --local --persist-to DIR` writes the state that
 * `wrangler dev --persist-to DIR` (npm run dev) reads, and a push or rollback while it runs is
 * served without a restart (CONFIG_REFRESH_SECONDS=0). Real wrangler dev, real Worker; the config
 * uses direct responses so no origin is needed.
 */
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { runCli } from "../../scripts/cli.ts";
import { memoryIo } from "../../scripts/lib/io.ts";
import { startWrangler, type WranglerProcess } from "../../scripts/lib/wrangler-dev.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "routes-dev-"));
const state = path.join(dir, "state");
let dev: WranglerProcess | null = null;
afterAll(async () => {
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(body: string): string {
  const file = path.join(dir, `site-${body}.yaml`);
  writeFileSync(
    file,
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: [site.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: site }
spec:
  hosts: [site.example.com]
  gateways: [gw]
  http:
    - name: hello
      directResponse:
        status: 200
        body: { string: "${body}" }
`,
  );
  return file;
}

async function push(file: string): Promise<string> {
  const io = memoryIo();
  expect(await runCli(["push", "--local", "--persist-to", state, file], io)).toBe(0);
  return /compiled version ([0-9a-f]{64})/.exec(io.stdout.join("\n"))![1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function get(port: number): Promise<{ status: number; version: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: "site.example.com" }, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, version: res.headers["x-gateway-config-version"] as string | undefined, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** Polls until the gateway serves `version` (bounded), returning the answer. */
async function servedVersion(port: number, version: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: Awaited<ReturnType<typeof get>> | null = null;
  while (Date.now() < deadline) {
    last = await get(port).catch(() => null);
    if (last?.version === version) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`version ${version.slice(0, 12)} not served within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

describe("push --local into the state of a running wrangler dev", () => {
  it("serves the pushed version, then a new push and a rollback without a restart", async () => {
    const a = await push(config("A"));
    const port = await freePort();
    dev = startWrangler(
      ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--var", "CONFIG_REFRESH_SECONDS:0", "--show-interactive-dev-session=false"],
      ["ignore", "ignore", "ignore"],
    );
    // wrangler bundles the Worker and starts workerd: seconds, more on a busy machine.
    expect(await servedVersion(port, a, 120_000)).toEqual({ status: 200, version: a, body: "A" });

    const b = await push(config("B"));
    // The Worker re-checks the pointer on every request without blocking it: at most a few requests serve A.
    expect(await servedVersion(port, b, 15_000)).toEqual({ status: 200, version: b, body: "B" });

    const io = memoryIo();
    expect(await runCli(["rollback", "--local", "--persist-to", state], io)).toBe(0);
    expect(await servedVersion(port, a, 15_000)).toEqual({ status: 200, version: a, body: "A" });

    expect(await dev.stop()).not.toBe(127);
    await expect(get(port)).rejects.toThrow(); // nothing left listening
    dev = null;
  });
});
