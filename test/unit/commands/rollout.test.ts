/**
 * `routes rollout …` over real HTTP: an admin server on 127.0.0.1 that answers the rollout
 * contract of src/rollout/status.ts (Bearer token, `{error}` bodies, 404/409/503) with states the
 * real judge made and changes through the real judge.act, so the CLI's requests, exit codes and
 * messages are checked end to end against the wire format. The same command against the real
 * Worker is in test/e2e/rollout-cli.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { routesCli } from "../../fixtures/cli.ts";
import { act, startRollout, type RolloutState } from "../../../src/rollout/judge.ts";
import { ROLLOUT_ACTIONS, type RolloutAction, type RolloutStatus } from "../../../src/rollout/status.ts";
import { aborted, advancing, SPEC, status, T0 } from "../../fixtures/rollout-status.ts";

const TOKEN = "cli-rollout-token";

/** What the server holds, and how it misbehaves. */
const gw = {
  states: new Map<string, { state: RolloutState; source: RolloutStatus["source"] }>(),
  statePlane: true,
  adminOn: true,
  /** The list's page size (a gateway before paging answered every rollout at once: Infinity). */
  pageSize: Infinity,
  requests: [] as Array<{ method: string; url: string; auth: string | undefined }>,
};

function reset(): void {
  gw.states = new Map([
    ["default/checkout", { state: advancing(), source: "object" }],
    ["default/search", { state: { ...aborted(), name: "default/search" }, source: "object" }],
    ["prod/fresh", { state: { ...startRollout(SPEC, T0), name: "prod/fresh" }, source: "initial" }],
  ]);
  gw.statePlane = true;
  gw.adminOn = true;
  gw.pageSize = Infinity;
  gw.requests = [];
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The bare-name rule of the contract: `checkout` finds `default/checkout` when only one namespace has it. */
function find(name: string): string | undefined {
  if (gw.states.has(name)) return name;
  if (name.includes("/")) return undefined;
  const hits = [...gw.states.keys()].filter((k) => k.endsWith(`/${name}`));
  return hits.length === 1 ? hits[0] : undefined;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  gw.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
  // With ADMIN_TOKEN unset the admin surface answers a bare 404 to everything.
  if (!gw.adminOn) return void res.writeHead(404).end();
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401, { "www-authenticate": "Bearer" }).end("unauthorized\n");
  const parts = new URL(req.url!, "http://x").pathname.split("/").slice(1);
  if (parts[0] !== "__gateway" || parts[1] !== "rollouts") return void res.writeHead(404).end();
  const view = (name: string) => {
    const s = gw.states.get(name)!;
    return status(s.state, s.source);
  };
  if (parts.length === 2 && req.method === "GET") {
    const names = [...gw.states.keys()];
    if (gw.pageSize === Infinity) return send(res, 200, { rollouts: names.map(view) });
    const q = new URL(req.url!, "http://x").searchParams;
    const offset = Number(q.get("offset") ?? 0);
    const limit = Math.min(Number(q.get("limit") ?? gw.pageSize), gw.pageSize);
    const page = names.slice(offset, offset + limit);
    return send(res, 200, { rollouts: page.map(view), total: names.length, ...(offset + page.length < names.length ? { next: offset + page.length } : {}) });
  }
  const name = find(decodeURIComponent(parts[2] ?? ""));
  if (!name) return send(res, 404, { error: `no rollout named ${JSON.stringify(decodeURIComponent(parts[2] ?? ""))} in the active table` });
  if (parts.length === 3 && req.method === "GET") return send(res, 200, view(name));
  const action = parts[3] as RolloutAction;
  if (parts.length === 4 && req.method === "POST" && ROLLOUT_ACTIONS.includes(action)) {
    if (!gw.statePlane) return send(res, 503, { error: "no state plane: the STATE binding is not configured" });
    const cur = gw.states.get(name)!;
    const next = act(cur.state, action, T0 + 10 * 60_000);
    if (next === cur.state) return send(res, 409, { error: `${action} does not apply to a ${cur.state.phase} rollout` });
    gw.states.set(name, { state: next, source: "object" });
    return send(res, 200, view(name));
  }
  send(res, 404, { error: "no such rollout endpoint" });
}

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.GATEWAY_ADMIN_TOKEN = TOKEN;
});
afterAll(async () => {
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await new Promise((r) => server.close(r));
});
afterEach(() => reset());
reset();

const cli = (...argv: string[]) => routesCli("rollout", ...argv);

describe("routes rollout status", () => {
  it("lists every rollout with its state, weights and last decision (Bearer token from GATEWAY_ADMIN_TOKEN)", async () => {
    const r = await cli("status", "--gateway", url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/default\/checkout\s+progressing, step 3 of 3 \(50%\)\s+50%\s+50%\s+advance: checks passed: advance 25% → 50%/);
    expect(r.out).toMatch(/default\/search\s+aborted\s+100%\s+0%\s+abort: /);
    expect(r.out).toMatch(/prod\/fresh\s+not started\s+100%\s+0%\s+none yet/);
    expect(gw.requests).toEqual([{ method: "GET", url: "/__gateway/rollouts", auth: `Bearer ${TOKEN}` }]);
  });

  it("NAME: the rollout in detail with its interval history; the name travels as one URL segment", async () => {
    const r = await cli("status", "default/checkout", "--gateway", url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("last decision  advance at 2026-12-03 19:04:00Z: checks passed: advance 25% → 50%");
    expect(r.out).toMatch(/2026-12-03 19:03:00Z\s+hold\s+25%\s+750\s+0\s+100%\s+22.74 ms\s+250\s+5\s+98%\s+35.53 ms\s+success rate 98% < 99%/);
    expect(gw.requests[0]!.url).toBe("/__gateway/rollouts/default%2Fcheckout");
  });

  it("a bare name finds the rollout when only one namespace has it", async () => {
    const r = await cli("status", "checkout", "--gateway", url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^rollout\s+default\/checkout$/m);
  });

  it("--json prints the admin API's body as it came", async () => {
    const r = await cli("status", "default/search", "--gateway", url, "--json");
    expect(r.code, r.err).toBe(0);
    const body = JSON.parse(r.out) as RolloutStatus;
    expect(body).toMatchObject({ name: "default/search", weights: { primary: 100, canary: 0 }, state: { phase: "aborted" } });
    const list = JSON.parse((await cli("status", "--gateway", url, "--json")).out) as { rollouts: RolloutStatus[] };
    expect(list.rollouts.map((s) => s.name)).toEqual(["default/checkout", "default/search", "prod/fresh"]);
  });

  it("a gateway that lists in pages: follows next to the last page and prints them all", async () => {
    gw.pageSize = 2;
    const r = await cli("status", "--gateway", url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/default\/checkout[\s\S]*default\/search[\s\S]*prod\/fresh/);
    expect(gw.requests.map((q) => q.url)).toEqual(["/__gateway/rollouts", "/__gateway/rollouts?offset=2&limit=40"]);
    const list = JSON.parse((await cli("status", "--gateway", url, "--json")).out) as { rollouts: RolloutStatus[]; total: number };
    expect(list.rollouts.map((s) => s.name)).toEqual(["default/checkout", "default/search", "prod/fresh"]);
    expect(list.total).toBe(3);
  });

  it("an unknown rollout at a gateway that lists in pages: the first page's names and how many more", async () => {
    gw.pageSize = 2;
    const r = await cli("status", "default/nope", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.err).toContain("its rollouts: default/checkout, default/search and 1 more (routes rollout status lists them all)");
  });

  it("an unknown rollout: exit 1, the gateway's reason, and the names it does know", async () => {
    const r = await cli("status", "default/nope", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain(`no rollout "default/nope" at ${url}: no rollout named "default/nope" in the active table`);
    expect(r.err).toContain("its rollouts: default/checkout, default/search, prod/fresh");
  });
});

describe("routes rollout promote|pause|resume|abort", () => {
  it("pause then resume: POSTs the action, prints the new state, and the change is what status shows next", async () => {
    const p = await cli("pause", "default/checkout", "--gateway", url);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toBe("pause: default/checkout is paused at step 3 of 3 (50%), primary 50%, canary 50% (operator: pause at 50%)");
    expect(gw.requests.at(-1)).toEqual({ method: "POST", url: "/__gateway/rollouts/default%2Fcheckout/pause", auth: `Bearer ${TOKEN}` });
    expect((await cli("status", "--gateway", url)).out).toMatch(/default\/checkout\s+paused at step 3 of 3 \(50%\)/);
    const r = await cli("resume", "default/checkout", "--gateway", url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("is progressing, step 3 of 3 (50%)");
  });

  it("abort: canary weight 0 at once; promote: 100", async () => {
    const a = await cli("abort", "checkout", "--gateway", url);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toBe("abort: default/checkout is aborted, primary 100%, canary 0% (operator: abort, canary weight 0)");
    const p = await cli("promote", "default/checkout", "--gateway", url, "--json");
    expect(p.code, p.err).toBe(0);
    expect(JSON.parse(p.out)).toMatchObject({ weights: { primary: 0, canary: 100 }, state: { phase: "promoted" } });
  });

  it("an action that does not apply to the phase (resume an aborted rollout): exit 1 with the gateway's reason", async () => {
    const r = await cli("resume", "default/search", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.err).toBe("cannot resume default/search now: resume does not apply to a aborted rollout");
  });

  it("no state plane: exit 1 and what it needs", async () => {
    gw.statePlane = false;
    const r = await cli("abort", "default/checkout", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`gateway ${url} cannot run rollouts: no state plane: the STATE binding is not configured (rollouts need the STATE Durable Object binding; see docs/operations.md)`);
  });

  it("an unknown rollout: exit 1, nothing changed", async () => {
    const r = await cli("abort", "default/nope", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no rollout "default/nope"');
    expect([...gw.states.values()].map((s) => s.state.phase)).toEqual(["progressing", "aborted", "progressing"]);
  });
});

describe("routes rollout: the gateway cannot be asked", () => {
  it("unreachable (nothing listens on the port): exit 1 and why", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await cli("status", "--gateway", `http://127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^gateway http://127.0.0.1:${port} unreachable: fetch failed \\(ECONNREFUSED\\)$`));
  });

  it("a wrong token: exit 1, says which variable to fix", async () => {
    process.env.GATEWAY_ADMIN_TOKEN = "wrong";
    try {
      const r = await cli("status", "--gateway", url);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`gateway ${url} refused GATEWAY_ADMIN_TOKEN (401): set it to the Worker's ADMIN_TOKEN`);
    } finally {
      process.env.GATEWAY_ADMIN_TOKEN = TOKEN;
    }
  });

  it("admin surface off (a bare 404, not the API's JSON): says so rather than 'no such rollout'", async () => {
    gw.adminOn = false;
    const r = await cli("status", "default/checkout", "--gateway", url);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`gateway ${url} has no rollout API at /__gateway/rollouts (404): is ADMIN_TOKEN set on the Worker, and is it a gateway version with canaries?`);
  });
});

describe("routes rollout: the command line", () => {
  it.each([
    [["pause", "--gateway", "http://127.0.0.1:1"], "pause needs the rollout's NAME"],
    [["restart", "x", "--gateway", "http://127.0.0.1:1"], 'unknown subcommand "restart": expected one of status, promote, pause, resume, abort'],
    [["status"], "rollout needs --gateway URL"],
    [["status", "a", "--gateway", "http://127.0.0.1:1", "--last", "0"], "--last: expected a positive whole number"],
    [["status", "--gateway", "http://127.0.0.1:1", "--last", "3"], "--last applies to `status NAME` only"],
    [["abort", "a", "b", "c", "--gateway", "http://127.0.0.1:1"], "too many arguments"],
    [[], "missing SUBCOMMAND [NAME]"],
  ])("%j is a usage error (exit 2), nothing sent", async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("usage: npm run routes -- rollout status [NAME] | promote|pause|resume|abort NAME");
    expect(gw.requests).toEqual([]);
  });

  it("without GATEWAY_ADMIN_TOKEN: a usage error naming it", async () => {
    delete process.env.GATEWAY_ADMIN_TOKEN;
    try {
      const r = await cli("status", "--gateway", url);
      expect(r.code).toBe(2);
      expect(r.err).toContain("GATEWAY_ADMIN_TOKEN");
    } finally {
      process.env.GATEWAY_ADMIN_TOKEN = TOKEN;
    }
  });

  it("--help lists the subcommands", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const s of ["status [NAME]", "promote NAME", "pause NAME", "resume NAME", "abort NAME"]) expect(r.out).toContain(s);
  });
});
