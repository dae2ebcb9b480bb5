import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalKv } from "../../scripts/lib/local-kv.ts";
import { pushVersion, readActive, readHistory, readVersion } from "../../src/store/release.ts";
import { runCli } from "../../scripts/cli.ts";
import { memoryIo } from "../../scripts/lib/io.ts";
import type { RouteTable } from "../../src/table/types.ts";
import { compiledTable, gatewayYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

const NS = "00000000000000000000000000000000"; // wrangler.toml's placeholder id
const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "routes-state-"));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Two compiled versions: host site<n>.example.com answering `site <n>`. */
const site = (n: number) =>
  compiledTable(yamlFile(gatewayYaml(), virtualServiceYaml(`- name: default\n  directResponse: { status: 200, body: { string: "site ${n}" } }`, { hosts: [`site${n}.example.com`] })));
const SITE = { 1: await site(1), 2: await site(2) };

/** What the store keeps of a compiled table: all but the routes' CLI-only `source` and `precedence` (src/table/codec.ts). */
function stored(t: RouteTable): RouteTable {
  return { ...t, vhosts: t.vhosts.map((v) => ({ ...v, routes: v.routes.map(({ source: _s, precedence: _p, ...r }) => r) })) };
}

async function pushLocal(dir: string, ns: Array<1 | 2>) {
  const kv = new LocalKv(dir, NS);
  try {
    for (const [i, n] of ns.entries()) {
      const t = SITE[n];
      await pushVersion(kv, { table: t, summary: `1 host, 1 route (#${n})`, sources: [`routes/${n}.yaml`], now: new Date(Date.UTC(2026, 10, 29, 10, 0, i)) });
    }
  } finally {
    await kv.close();
  }
}

// Each Miniflare start takes 0.5–3 s on a busy machine.
describe("local KV state (Miniflare, the store `wrangler dev --persist-to` reads)", { timeout: 60_000 }, () => {
  it("persists across instances under <dir>/v3/kv", async () => {
    const dir = stateDir();
    await pushLocal(dir, [1]);
    const kv = new LocalKv(dir, NS);
    try {
      expect((await readActive(kv))?.version).toBe(SITE[1].hash);
      expect(await readVersion(kv, SITE[1].hash)).toEqual(stored(SITE[1]));
      expect(kv.target).toBe(`local KV namespace ${NS} in ${path.join(dir, "v3", "kv")}`);
    } finally {
      await kv.close();
    }
  });

  it("`versions` lists the history newest first with the active one marked", async () => {
    const dir = stateDir();
    await pushLocal(dir, [1, 2]);
    const io = memoryIo();
    expect(await runCli(["versions", "--local", "--persist-to", dir], io)).toBe(0);
    const [h1, h2] = [SITE[1].hash, SITE[2].hash];
    expect(io.stdout).toEqual([
      `versions in local KV namespace ${NS} in ${path.join(dir, "v3", "kv")}:`,
      `* ${h2.slice(0, 12)}  2026-11-29T10:00:01.000Z  1 host, 1 route (#2)  ← active since 2026-11-29T10:00:01.000Z (push)`,
      `    sources: routes/2.yaml`,
      `  ${h1.slice(0, 12)}  2026-11-29T10:00:00.000Z  1 host, 1 route (#1)`,
      `    sources: routes/1.yaml`,
      `active: ${h2}`,
    ]);
  });

  it("`rollback` flips to the previous version and `versions` shows it active", async () => {
    const dir = stateDir();
    await pushLocal(dir, [1, 2]);
    const at = new Date("2026-11-29T11:00:00.000Z");
    const io = memoryIo(() => at);
    expect(await runCli(["rollback", "--local", "--persist-to", dir], io)).toBe(0);
    expect(io.stdout).toEqual([
      `rolled back in local KV namespace ${NS} in ${path.join(dir, "v3", "kv")}: ${SITE[1].hash.slice(0, 12)} is active (was ${SITE[2].hash.slice(0, 12)})`,
    ]);
    const kv = new LocalKv(dir, NS);
    try {
      expect(await readActive(kv)).toEqual({ version: SITE[1].hash, activatedAt: at.toISOString(), reason: "rollback" });
      expect((await readHistory(kv)).map((e) => e.version)).toEqual([SITE[2].hash, SITE[1].hash]);
    } finally {
      await kv.close();
    }
    // Rolling back to the active version by prefix is a no-op.
    const again = memoryIo();
    expect(await runCli(["rollback", "--local", "--persist-to", dir, SITE[1].hash.slice(0, 6)], again)).toBe(0);
    expect(again.stdout[0]).toMatch(/is already active .*: nothing to do$/);
  });

  it("`rollback` with nothing to roll back to exits 1 and says why", async () => {
    const io = memoryIo();
    expect(await runCli(["rollback", "--local", "--persist-to", stateDir()], io)).toBe(1);
    expect(io.stderr[0]).toMatch(/^rollback refused: no active version in local KV namespace .*: nothing to roll back$/);
  });
});
