/**
 * `routes rollout status [NAME]` and `routes rollout promote|pause|resume|abort NAME` (issue
 * #14.3): a running gateway's rollouts through its admin API (src/rollout/status.ts is the
 * contract), with the admin token from GATEWAY_ADMIN_TOKEN as `routes status --gateway` reads it.
 *
 * Exit codes: 0 done; 1 the gateway could not do it (unreachable, refused the token, no such
 * rollout, action not applicable in the rollout's phase, no state plane); 2 a bad command line.
 */
import type { Command, Io } from "../lib/io.ts";
import { boolFlag, EXIT_FAILURE, EXIT_OK, stringFlag, UsageError } from "../lib/args.ts";
import { adminJson, GATEWAY_FLAGS, gatewayTarget, type GatewayDeps, type GatewayTarget } from "../lib/gateway.ts";
import { DEFAULT_LAST, formatActed, formatList, formatStatus } from "../lib/rollout-format.ts";
import { ROLLOUT_ACTIONS, ROLLOUTS_PAGE_MAX, ROLLOUTS_PATH, type RolloutAction, type RolloutList, type RolloutStatus } from "../../src/rollout/status.ts";

/** An admin call is a few KV/object reads: a gateway that says nothing for this long is not answering. */
export const ROLLOUT_REQUEST_TIMEOUT_MS = 15_000;

const SUBCOMMANDS = ["status", ...ROLLOUT_ACTIONS] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Why fetch failed, in words: Node's fetch says "fetch failed" and keeps the reason in `cause`. */
function unreachable(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer within ${ROLLOUT_REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/**
 * One call, and every way it can fail as a sentence on stderr. Returns the body of a 200, or null
 * after saying why (the caller exits 1).
 */
async function call(g: GatewayTarget, method: "GET" | "POST", path: string, what: { name?: string; action?: string }, io: Io, deps: GatewayDeps): Promise<Record<string, unknown> | null> {
  const at = g.base.origin;
  let r;
  try {
    r = await adminJson(g, path, { method, signal: AbortSignal.timeout(ROLLOUT_REQUEST_TIMEOUT_MS) }, deps);
  } catch (e) {
    io.err(`gateway ${at} unreachable: ${unreachable(e)}`);
    return null;
  }
  const error = typeof r.body.error === "string" ? r.body.error : "";
  if (r.status === 200 && r.json) return r.body;
  if (r.status === 401) io.err(`gateway ${at} refused GATEWAY_ADMIN_TOKEN (401): set it to the Worker's ADMIN_TOKEN`);
  else if (r.status === 404 && !r.json) {
    // A bare 404 is not the rollout API's (its errors are JSON): the admin surface is off
    // (ADMIN_TOKEN unset) or the gateway predates rollouts.
    io.err(`gateway ${at} has no rollout API at ${ROLLOUTS_PATH} (404): is ADMIN_TOKEN set on the Worker, and is it a gateway version with canaries?`);
  } else if (r.status === 404) {
    io.err(`no rollout ${JSON.stringify(what.name ?? "")} at ${at}: ${error || "not found"}`);
    await suggest(g, io, deps);
  } else if (r.status === 409) io.err(`cannot ${what.action} ${what.name} now: ${error || "not applicable in its current phase"}`);
  else if (r.status === 503) io.err(`gateway ${at} cannot run rollouts: ${error || "no state plane"} (rollouts need the STATE Durable Object binding; see docs/operations.md)`);
  else io.err(`gateway ${at} answered HTTP ${r.status}${error ? `: ${error}` : ""}`);
  return null;
}

/** After an unknown NAME: the names the gateway does know, when it says. */
async function suggest(g: GatewayTarget, io: Io, deps: GatewayDeps): Promise<void> {
  try {
    const r = await adminJson(g, ROLLOUTS_PATH, { method: "GET", signal: AbortSignal.timeout(ROLLOUT_REQUEST_TIMEOUT_MS) }, deps);
    const list = (r.body as Partial<RolloutList>).rollouts;
    if (r.status !== 200 || !Array.isArray(list)) return;
    const said = (r.body as Partial<RolloutList>).total;
    const total = typeof said === "number" ? said : list.length;
    const more = total > list.length ? ` and ${total - list.length} more (routes rollout status lists them all)` : "";
    io.err(list.length ? `its rollouts: ${list.map((s) => s.name).join(", ")}${more}` : "it has no rollouts: the active route table has no Canary document");
  } catch {
    // The first answer already said what matters.
  }
}

/**
 * Every rollout: the list API answers a page at a time (a page asks each rollout's object), so
 * follow `next` until the last page. A gateway without paging answers everything at once, no `next`.
 */
async function everyRollout(g: GatewayTarget, io: Io): Promise<RolloutStatus[] | null> {
  const out: RolloutStatus[] = [];
  let offset = 0;
  for (;;) {
    const body = await call(g, "GET", offset === 0 ? ROLLOUTS_PATH : `${ROLLOUTS_PATH}?offset=${offset}&limit=${ROLLOUTS_PAGE_MAX}`, {}, io, deps);
    if (!body) return null;
    const page = body as unknown as Partial<RolloutList>;
    out.push(...(page.rollouts ?? []));
    // `next` must move forward, or a confused gateway would keep the CLI asking forever.
    if (typeof page.next !== "number" || page.next <= offset) return out;
    offset = page.next;
  }
}

const rolloutPath = (name: string) => `${ROLLOUTS_PATH}/${encodeURIComponent(name)}`;

/** fetch is the real one: tests run the command against real HTTP servers on 127.0.0.1. */
const deps: GatewayDeps = {};

export const rolloutCommand: Command = {
  spec: {
    name: "rollout",
    summary: "Show a running gateway's canary rollouts, or promote, pause, resume or abort one.",
    usage: "status [NAME] | promote|pause|resume|abort NAME  --gateway URL [--json]",
    flags: [
      ...GATEWAY_FLAGS.filter((f) => f.name === "gateway"),
      { name: "json", type: "boolean", description: "print the admin API's JSON (RolloutStatus) instead of text" },
      { name: "last", type: "string", value: "N", description: `status NAME: how many history entries to show (default ${DEFAULT_LAST})` },
    ],
    positionals: { min: 1, max: 2, name: "SUBCOMMAND [NAME]" },
    notes: [
      "subcommands:",
      "  status [NAME]   every rollout (phase, step, weights, last decision); with NAME: its analysis,",
      "                  last decision and why, and each interval's metrics per variant",
      "  promote NAME    canary weight 100 now, analysis ends",
      "  pause NAME      hold the current weight; intervals are not judged until resume",
      "  resume NAME     judge again from the current step",
      "  abort NAME      canary weight 0 now: every visitor back on the primary",
      "NAME is the Canary's namespace/name (a bare name when only one namespace has it).",
      "The admin token is read from GATEWAY_ADMIN_TOKEN. Exit 1 when the gateway is unreachable, refuses the",
      "token, has no such rollout or no state plane, or the action does not apply to the rollout's phase.",
    ],
  },
  async run(args, io) {
    const [sub, name] = args.positionals as [string, string | undefined];
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: expected one of ${SUBCOMMANDS.join(", ")}`);
    const subcommand = sub as Subcommand;
    if (subcommand !== "status" && name === undefined) throw new UsageError(`${subcommand} needs the rollout's NAME (see \`routes rollout status\`)`);
    const lastRaw = stringFlag(args, "last");
    let last = DEFAULT_LAST;
    if (lastRaw !== undefined) {
      if (subcommand !== "status" || name === undefined) throw new UsageError("--last applies to `status NAME` only");
      last = Number(lastRaw);
      if (!Number.isInteger(last) || last < 1) throw new UsageError(`--last: expected a positive whole number, got ${JSON.stringify(lastRaw)}`);
    }
    const g = gatewayTarget(args);
    if (!g) throw new UsageError("rollout needs --gateway URL (the running gateway whose rollouts to show or change)");
    const json = boolFlag(args, "json");

    if (subcommand === "status" && name === undefined) {
      const rollouts = await everyRollout(g, io);
      if (!rollouts) return EXIT_FAILURE;
      if (json) io.out(JSON.stringify({ rollouts, total: rollouts.length }, null, 2));
      else for (const l of formatList(rollouts)) io.out(l);
      return EXIT_OK;
    }
    if (subcommand === "status") {
      const body = await call(g, "GET", rolloutPath(name!), { name }, io, deps);
      if (!body) return EXIT_FAILURE;
      if (json) io.out(JSON.stringify(body, null, 2));
      else for (const l of formatStatus(body as unknown as RolloutStatus, last)) io.out(l);
      return EXIT_OK;
    }
    const action: RolloutAction = subcommand;
    const body = await call(g, "POST", `${rolloutPath(name!)}/${action}`, { name, action }, io, deps);
    if (!body) return EXIT_FAILURE;
    io.out(json ? JSON.stringify(body, null, 2) : formatActed(action, body as unknown as RolloutStatus));
    return EXIT_OK;
  },
};
