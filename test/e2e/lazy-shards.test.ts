/**
 * Lazy per-host shard loading end to end (issue #16): the real bundled Worker under Miniflare with
 * a real local KV namespace and real echo origins. A version of 24 hosts is stored in many shards;
 * one host's shard is unreadable (never arrived in this location's KV): that host answers 503
 * with a clear body while every other host keeps being proxied; once the shard is there, the host
 * serves. After a pointer flip whose new shard for a host is missing, that host keeps its previous
 * version (its last good config, still loaded) while the others move to the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { hostsTable, pointTo } from "../fixtures/pushed.ts";
import { serviceEntryYaml } from "../fixtures/istio.ts";
import { shardKey } from "../../src/store/keys.ts";
import { storeVersion } from "../../src/store/release.ts";
import { bucketOf, shardTable, type ShardedTable } from "../../src/table/shards.ts";
import type { RouteTable } from "../../src/table/types.ts";

const HOSTS = Array.from({ length: 24 }, (_, i) => `h${i}.shop.test`);
const PER_SHARD = 2; // 24 hosts ⇒ 16 buckets

let a: EchoOrigin;
let b: EchoOrigin;
let gw: Gateway;
let kv: KVNamespace;

/** Every host proxied to its origin (`originOf`, no retries); ServiceEntries a.svc and b.svc for the two origins. */
function tableOf(hash: string, originOf: (host: string) => EchoOrigin): Promise<RouteTable> {
  const http = (h: string) => `- name: all\n  route: [{ destination: { host: ${originOf(h).name}.svc } }]\n  retries: { attempts: 0 }`;
  return hostsTable(hash, HOSTS, http, ...[a, b].map((o) => serviceEntryYaml(`${o.name}.svc`, [o.url])));
}

async function store(t: RouteTable): Promise<ShardedTable> {
  const s = await shardTable(t, PER_SHARD);
  await storeVersion(kv, t, s);
  return s;
}

const get = (host: string) => gw.fetch(`http://${host}/p`);

beforeAll(async () => {
  [a, b] = await Promise.all([startEchoOrigin("a"), startEchoOrigin("b")]);
  gw = await startGateway();
  kv = (await gw.mf.getKVNamespace("ROUTES")) as unknown as KVNamespace;
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

describe("one host's shard is unreadable", () => {
  it("that host answers 503 with a clear body; every other host keeps being proxied; it serves once the shard is there", async () => {
    const t = await tableOf("lazy-e2e-v1", () => a);
    const s = await store(t);
    expect(s.index.buckets).toBe(16);
    const lostHost = "h5.shop.test";
    const lostKey = shardKey(s.index.shards[bucketOf(lostHost, 16)]!);
    const saved = (await kv.get(lostKey))!;
    await kv.delete(lostKey);
    await pointTo(kv, t.hash);

    const lost = await get(lostHost);
    expect(lost.status).toBe(503);
    expect(lost.text()).toBe("route table shard for this host is unavailable; retry shortly\n");
    expect(lost.headers.get("retry-after")).toBe("5");
    expect(lost.headers.get("x-gateway-config-version")).toBe(t.hash);

    const others = HOSTS.filter((h) => bucketOf(h, 16) !== bucketOf(lostHost, 16));
    expect(others.length).toBeGreaterThan(15);
    const answers = await Promise.all(others.map(get));
    for (const [i, res] of answers.entries()) {
      expect(res.status, `${others[i]}: ${res.text()}`).toBe(200);
      expect(res.json<{ server: string }>().server).toBe("a");
      expect(res.headers.get("x-gateway-config-version")).toBe(t.hash);
    }
    // Still 503 for it, still 200 for the others (nothing else was taken down).
    expect((await get(lostHost)).status).toBe(503);
    expect((await get(others[0]!)).status).toBe(200);
    expect(gw.logs.some((l) => l.includes("route table shard read failed") && l.includes("missingShard"))).toBe(true);

    // The shard arrives (KV caught up): with CONFIG_REFRESH_SECONDS=0 the next request re-reads it.
    await kv.put(lostKey, saved);
    const back = await get(lostHost);
    expect(back.status).toBe(200);
    expect(back.json<{ server: string }>().server).toBe("a");
  });

  it("after a pointer flip whose new shard for a host is missing, that host keeps its previous version; the others move on", async () => {
    // Every host is loaded under v1 (the previous test's version).
    for (const h of HOSTS) expect((await get(h)).status).toBe(200);
    const moved = "h7.shop.test";
    const v2 = await tableOf("lazy-e2e-v2", (h) => (h === moved ? b : a));
    const s1 = await shardTable(await tableOf("lazy-e2e-v1", () => a), PER_SHARD);
    const s2 = await store(v2);
    const fresh = s2.shards.filter((x) => !s1.shards.some((y) => y.id === x.id));
    expect(fresh).toHaveLength(1);
    await kv.delete(shardKey(fresh[0]!.id));
    await pointTo(kv, v2.hash);
    const other = HOSTS.find((h) => bucketOf(h, 16) !== bucketOf(moved, 16))!;
    // CONFIG_REFRESH_SECONDS=0: a request starts the re-check; a later one is served with v2.
    for (let i = 0; i < 100 && (await get(other)).headers.get("x-gateway-config-version") !== v2.hash; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await get(other)).headers.get("x-gateway-config-version")).toBe(v2.hash);

    const kept = await get(moved);
    expect(kept.status).toBe(200);
    expect(kept.json<{ server: string }>().server).toBe("a");
    expect(kept.headers.get("x-gateway-config-version")).toBe("lazy-e2e-v1");

    // Once its shard is readable, the host moves to v2 (origin b).
    await kv.put(shardKey(fresh[0]!.id), fresh[0]!.json);
    const now = await get(moved);
    expect(now.json<{ server: string }>().server).toBe("b");
    expect(now.headers.get("x-gateway-config-version")).toBe("lazy-e2e-v2");
  });

  it("/__gateway/config reports the shard cache and reads the index only", async () => {
    const res = await gw.fetch("http://gateway.test/__gateway/config", { headers: { authorization: "Bearer e2e-admin" } });
    const body = res.json<{ version: string; table: { routes: number; shards: number }; shardCache: { entries: number; bytes: number; limitBytes: number } }>();
    expect(body.version).toBe("lazy-e2e-v2");
    expect(body.table).toMatchObject({ routes: HOSTS.length, shards: 16 });
    expect(body.shardCache.entries).toBeGreaterThan(0);
    expect(body.shardCache.bytes).toBeLessThanOrEqual(body.shardCache.limitBytes);
    expect(body.shardCache.limitBytes).toBe(8_388_608);
  });
});
