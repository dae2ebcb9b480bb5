/**
 * The CLI's side of the state plane (issue #13.2): talking to a running gateway's admin API.
 *   --gateway URL   after a push/rollback, set the pointer object's copy (PUT
 *                   /__gateway/state/pointer) so every location serves it within seconds;
 *   --wait          return only once the gateway at URL serves the version (GET
 *                   /__gateway/config), bounded by --wait-timeout; non-zero exit on timeout.
 * The admin token comes from GATEWAY_ADMIN_TOKEN (never a flag: flags end up in shell history).
 * fetch, sleep and the environment are injectable for tests.
 */
import type { ActivePointer } from "../../src/store/keys.ts";
import { boolFlag, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from "./args.ts";
import type { Io } from "./io.ts";

export const GATEWAY_FLAGS: FlagSpec[] = [
  { name: "gateway", type: "string", value: "URL", description: "a running gateway (admin API, token from GATEWAY_ADMIN_TOKEN): activate through its state plane at once" },
  { name: "wait", type: "boolean", description: "with --gateway: return only once the gateway at URL serves the version (exit 1 on timeout)" },
  { name: "wait-timeout", type: "string", value: "SECONDS", description: "bound of --wait (default 60)" },
];

export const DEFAULT_WAIT_SECONDS = 60;
const POLL_MS = 500;

export interface GatewayTarget {
  base: URL;
  token: string;
  wait: boolean;
  waitMs: number;
}

export interface GatewayDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  env?: Record<string, string | undefined>;
  /** Monotonic ms clock for the wait bound. */
  clock?: () => number;
}

/** Parses --gateway/--wait/--wait-timeout; null when --gateway is absent (then --wait is an error). */
export function gatewayTarget(args: ParsedArgs, env: Record<string, string | undefined> = process.env): GatewayTarget | null {
  const url = stringFlag(args, "gateway");
  const wait = boolFlag(args, "wait");
  const timeoutRaw = stringFlag(args, "wait-timeout");
  if (url === undefined) {
    if (wait || timeoutRaw !== undefined) throw new UsageError("--wait needs --gateway URL (the gateway whose serving version to wait for)");
    return null;
  }
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--gateway: expected a URL like https://gateway.example.com, got ${JSON.stringify(url)}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new UsageError(`--gateway: expected an http(s) URL, got ${url}`);
  const token = env.GATEWAY_ADMIN_TOKEN;
  if (!token) throw new UsageError("--gateway needs the admin token in GATEWAY_ADMIN_TOKEN (the Worker's ADMIN_TOKEN secret)");
  let waitMs = DEFAULT_WAIT_SECONDS * 1000;
  if (timeoutRaw !== undefined) {
    const n = Number(timeoutRaw);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--wait-timeout: expected a positive number of seconds, got ${JSON.stringify(timeoutRaw)}`);
    waitMs = n * 1000;
  }
  return { base, token, wait, waitMs };
}

function adminUrl(base: URL, path: string): string {
  return new URL(path, base).toString();
}

/**
 * One admin API call: the status and the JSON body (a non-JSON body becomes `{ error: text }`,
 * and `json` false: an answer that is not the admin API's, e.g. the bare 404 of a gateway whose
 * admin surface is off).
 */
export async function adminJson(g: GatewayTarget, path: string, init: RequestInit, deps: GatewayDeps): Promise<{ status: number; body: Record<string, unknown>; json: boolean }> {
  const f = deps.fetch ?? fetch;
  const res = await f(adminUrl(g.base, path), {
    ...init,
    headers: { authorization: `Bearer ${g.token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  let json = false;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object") {
      body = parsed as Record<string, unknown>;
      json = true;
    } else body = { error: text.trim() };
  } catch {
    body = { error: text.trim() || `HTTP ${res.status}` };
  }
  return { status: res.status, body, json };
}

/**
 * Sets the gateway's pointer object. Returns false (after saying why) when the gateway refused;
 * a gateway without a state plane (404) is not an error: KV's pointer carries the change, slower.
 */
export async function activateOnGateway(g: GatewayTarget, pointer: ActivePointer, io: Io, deps: GatewayDeps = {}): Promise<boolean> {
  let r: { status: number; body: Record<string, unknown> };
  try {
    r = await adminJson(g, "/__gateway/state/pointer", { method: "PUT", body: JSON.stringify(pointer) }, deps);
  } catch (e) {
    io.err(`gateway ${g.base.origin} unreachable: ${(e as Error).message}; KV's pointer will carry the change (up to a minute or more)`);
    return false;
  }
  if (r.status === 200) {
    io.out(`state plane at ${g.base.origin}: ${pointer.version.slice(0, 12)} is active (every location within STATE_REFRESH_SECONDS + STATE_CACHE_SECONDS)`);
    return true;
  }
  if (r.status === 401) io.err(`gateway ${g.base.origin} refused GATEWAY_ADMIN_TOKEN (401)`);
  else if (r.status === 404) io.err(`gateway ${g.base.origin} has no state plane (${String(r.body.error ?? "404")}); KV's pointer will carry the change`);
  else io.err(`gateway ${g.base.origin} refused the pointer (${r.status}): ${String(r.body.error ?? "")}`);
  return false;
}

/** Polls until the gateway serves `version`; false on timeout (after saying what it served). */
export async function waitUntilServed(g: GatewayTarget, version: string, io: Io, deps: GatewayDeps = {}): Promise<boolean> {
  const clock = deps.clock ?? (() => performance.now());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = clock();
  let last = "nothing";
  for (;;) {
    try {
      const r = await adminJson(g, "/__gateway/config", { method: "GET" }, deps);
      if (r.status === 200) {
        last = String(r.body.version ?? "no table");
        if (r.body.version === version) {
          io.out(`served: ${g.base.origin} serves ${version.slice(0, 12)} (after ${((clock() - start) / 1000).toFixed(1)} s)`);
          return true;
        }
      } else last = `HTTP ${r.status} ${String(r.body.error ?? "")}`.trim();
    } catch (e) {
      last = `unreachable (${(e as Error).message})`;
    }
    if (clock() - start >= g.waitMs) {
      io.err(`timed out after ${g.waitMs / 1000} s: ${g.base.origin} still serves ${last === version ? version : last.slice(0, 40)}, not ${version.slice(0, 12)}`);
      return false;
    }
    await sleep(POLL_MS);
  }
}

/** The `status` command's report: the gateway's view of the pointer, what it serves, the state plane. */
export async function gatewayStatus(g: GatewayTarget, deps: GatewayDeps = {}): Promise<{ config: Record<string, unknown> | null; state: Record<string, unknown> | null; errors: string[] }> {
  const errors: string[] = [];
  const get = async (path: string) => {
    try {
      const r = await adminJson(g, path, { method: "GET" }, deps);
      if (r.status === 200) return r.body;
      errors.push(`${path}: HTTP ${r.status} ${String(r.body.error ?? "")}`.trim());
    } catch (e) {
      errors.push(`${path}: unreachable (${(e as Error).message})`);
    }
    return null;
  };
  const [config, state] = await Promise.all([get("/__gateway/config"), get("/__gateway/state")]);
  return { config, state, errors };
}
