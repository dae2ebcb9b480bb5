/**
 * The rollouts list in pages, inside workerd on the real Worker with wrangler.toml's STATE
 * binding: a page asks each of its Canaries' objects for its state (one subrequest each), so the
 * list is bounded per request (src/rollout/status.ts). A table with 45 Canaries, compiled from
 * Istio YAML as `routes push` would: GET /__gateway/rollouts answers the first 20 in name order
 * with `total` and `next`; `?offset&limit` walk the rest (limit at most 40); a bad offset or limit
 * is a 400 naming the parameter; the console's Canaries page shows one page with links to the others.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import type { RolloutList } from "../../src/rollout/status.ts";
import { canaryYaml, compiledTable, gatewayYaml, virtualServiceYaml, WEB_V1_V2, yamlFile } from "../fixtures/istio.ts";
import { pushTable } from "../fixtures/pushed.ts";

const AUTH = { authorization: "Bearer test-admin-token" };
const COUNT = 45;
const id = (i: number) => `c${String(i).padStart(2, "0")}`;

/** Canary i drives VirtualService s<i>'s rule `main`: web v1 90 %, v2 10 %. Written in reverse so the list's name order is its own. */
function config(): string {
  const docs = [gatewayYaml(), WEB_V1_V2];
  for (let i = COUNT - 1; i >= 0; i--) {
    docs.push(
      virtualServiceYaml(
        `- name: main
  route:
    - { destination: { host: web.internal.example, subset: v1 }, weight: 90 }
    - { destination: { host: web.internal.example, subset: v2 }, weight: 10 }`,
        { name: `s${id(i)}`, hosts: [`${id(i)}.example`] },
      ),
      canaryYaml(id(i), {
        virtualService: `s${id(i)}`,
        rule: "main",
        primary: "{ host: web.internal.example, subset: v1 }",
        canary: "{ host: web.internal.example, subset: v2 }",
        analysis: "{ interval: 1m, stepWeights: [20, 50], threshold: 2, minRequests: 10, successRate: { min: 99 } }",
      }),
    );
  }
  return yamlFile(...docs);
}

async function list(query = ""): Promise<{ status: number; body: RolloutList & { error?: string } }> {
  const res = await exports.default.fetch(`http://a.example/__gateway/rollouts${query}`, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as RolloutList & { error?: string } };
}

beforeAll(async () => {
  const t = await compiledTable(config());
  await pushTable(env.ROUTES, t);
});

describe("rollouts list in pages", () => {
  it("the first page: 20 Canaries in name order, total 45, next 20; each from its object (initial: nothing started it)", async () => {
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.total).toBe(COUNT);
    expect(body.next).toBe(20);
    expect(body.rollouts.map((r) => r.name)).toEqual(Array.from({ length: 20 }, (_, i) => `default/${id(i)}`));
    for (const r of body.rollouts) {
      expect(r.source).toBe("initial");
      expect(r.weights).toEqual({ primary: 90, canary: 10 });
    }
  });

  it("offset and limit walk the rest; the last page has no next", async () => {
    const second = await list("?offset=20&limit=40");
    expect(second.status).toBe(200);
    expect(second.body.rollouts.map((r) => r.name)).toEqual(Array.from({ length: 25 }, (_, i) => `default/${id(20 + i)}`));
    expect(second.body.total).toBe(COUNT);
    expect(second.body.next).toBeUndefined();
    const beyond = await list("?offset=100");
    expect(beyond.status).toBe(200);
    expect(beyond.body.rollouts).toEqual([]);
    expect(beyond.body.total).toBe(COUNT);
    expect(beyond.body.next).toBeUndefined();
  });

  it("a bad offset or limit is a 400 that names it", async () => {
    for (const [q, word] of [
      ["?limit=0", "limit"],
      ["?limit=41", "limit"],
      ["?limit=ten", "limit"],
      ["?offset=-1", "offset"],
      ["?offset=1e3", "offset"],
    ] as const) {
      const { status, body } = await list(q);
      expect(status, q).toBe(400);
      expect(body.error, q).toMatch(new RegExp(`^${word}: `));
    }
  });

  it("the console's Canaries page shows one page and links to the next and previous ones", async () => {
    const first = await (await exports.default.fetch("http://a.example/__gateway/ui/canaries", { headers: AUTH })).text();
    expect(first).toContain("Canaries 1–20 of 45.");
    expect(first).toContain('href="/__gateway/ui/canaries?offset=20"');
    expect(first).not.toContain("← Previous");
    expect(first).toContain('data-rollout="default/c19"');
    expect(first).not.toContain('data-rollout="default/c20"');
    const last = await (await exports.default.fetch("http://a.example/__gateway/ui/canaries?offset=40", { headers: AUTH })).text();
    expect(last).toContain("Canaries 41–45 of 45.");
    expect(last).toContain('href="/__gateway/ui/canaries?offset=20"');
    expect(last).not.toContain("Next →");
    expect(last).toContain('data-rollout="default/c44"');
  });
});
