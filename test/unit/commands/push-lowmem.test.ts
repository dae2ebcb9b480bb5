/**
 * What `routes push` stores does not depend on how the table was built (issue #16 item 2): the
 * lowMemory build hands push a table whose vhosts' routes are read from the spill file at every
 * access (new objects each time; cache off, so nothing is shared between reads), and pushVersion
 * hashes, shards and writes it one shard at a time (made again, or read back from the temporary
 * file push keeps them in). Its KV writes, their bytes and the dry-run plan must be those of the
 * whole build's table, over a previous version too (shards already stored).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manyHosts, toYaml } from "../../../bench/gen.ts";
import { build } from "../../../scripts/lib/build.ts";
import { DryRunKv } from "../../../scripts/lib/kv-writer.ts";
import { FileStash } from "../../../scripts/lib/shard-stash.ts";
import { pushVersion } from "../../../src/store/release.ts";
import { shardKey } from "../../../src/store/keys.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import { MemoryKv } from "../../fixtures/store.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(path.join(tmpdir(), "push-lowmem-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The KV log, its contents and the dry-run plan of pushing `next` over `before`. */
async function pushed(before: RouteTable, next: RouteTable, stash?: FileStash) {
  const kv = new MemoryKv();
  await pushVersion(kv, { table: before, summary: "before", sources: [], now: new Date(0) });
  const dry = new DryRunKv(kv);
  await pushVersion(dry, { table: next, summary: "next", sources: ["routes"], now: new Date(1000), stash });
  await pushVersion(kv, { table: next, summary: "next", sources: ["routes"], now: new Date(1000), stash });
  return { log: kv.log, data: [...kv.data], plan: dry.planned.map((p) => `${p.op} ${p.key} ${p.bytes}`) };
}

/** Both builds of `paths`, pushed over `before` (a whole build's table). */
async function same(paths: string[], before: RouteTable): Promise<{ shardsWritten: number }> {
  const whole = await build(paths, { keepObjects: false });
  const low = await build(paths, { keepObjects: false, lowMemory: true, spillCacheEntries: 0 });
  try {
    expect(whole.table).not.toBeNull();
    expect(low.table!.hash).toBe(whole.table!.hash);
    // The lowMemory table really is lazy: two reads give equal routes, never the same objects.
    const vh = low.table!.vhosts.find((v) => v.routes.length > 0)!;
    expect(vh.routes[0]).toEqual(vh.routes[0]);
    expect(vh.routes[0]).not.toBe(vh.routes[0]);
    const a = await pushed(before, whole.table!);
    const b = await pushed(before, low.table!);
    // As routes push runs it: the shards wait in a temporary file between planning and writing.
    const stash = new FileStash(dir);
    const c = await pushed(before, low.table!, stash).finally(() => stash.close());
    for (const x of [b, c]) {
      expect(x.plan).toEqual(a.plan);
      expect(x.log).toEqual(a.log);
      expect(x.data).toEqual(a.data);
    }
    return { shardsWritten: a.plan.filter((p) => p.startsWith(`put ${shardKey("")}`)).length };
  } finally {
    low.close();
  }
}

function writeGenerated(name: string, routes: number, edit: (yaml: string) => string = (y) => y): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  const objects = manyHosts({ routes, routesPerHost: 5 }).objects;
  // Several files, as a large config is.
  for (let f = 0; f < 4; f++) writeFileSync(path.join(folder, `part-${f}.yaml`), edit(toYaml(objects.filter((_, i) => i % 4 === f))));
  return folder;
}

describe("push of a lowMemory build stores what the push of the whole build stores", () => {
  it("on the repository's configs, over another version", async () => {
    const before = (await build([path.join(ROOT, "routes")], { keepObjects: false })).table!;
    // The ones that build (bookinfo has errors: a push of it writes nothing either way).
    for (const p of ["routes", "examples/canary", "examples/istio/samples/helloworld", "examples/istio/samples/httpbin"]) await same([path.join(ROOT, p)], before);
  }, 60_000);

  it("on a generated config of many hosts (many shards), over a version that differs in one host", async () => {
    const base = writeGenerated("base", 4000);
    const before = (await build([base], { keepObjects: false })).table!;
    expect(before.vhosts.length).toBeGreaterThan(500);
    // The same config with one route's prefix changed: one shard is new, the others are stored.
    let changed = false;
    const next = writeGenerated("next", 4000, (y) => {
      if (changed || !y.includes("prefix: /")) return y;
      changed = true;
      return y.replace(/prefix: \/([a-z0-9-]+)/, "prefix: /changed-$1");
    });
    expect(changed).toBe(true);
    const { shardsWritten } = await same([next], before);
    expect(shardsWritten).toBe(1);
  }, 120_000);
});
