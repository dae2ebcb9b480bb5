/**
 * The rollouts admin API (issue #14), mounted by src/admin under `/__gateway/rollouts`; the
 * contract (routes, statuses, RolloutStatus) is src/rollout/status.ts.
 *
 * Statuses come from each rollout's object, uncached (an operator sees the object's own state,
 * not a location's copy). Without the state plane every Canary shows its initial state and the
 * pushed weights (what the Worker serves then), and actions answer 503. After an action this
 * location's copy of the view is refreshed, so the Worker here serves the new weight at once and
 * everywhere else within STATE_REFRESH_SECONDS + STATE_CACHE_SECONDS.
 */
import type { Env } from "../env.ts";
import type { RouteTable } from "../table/types.ts";
import {
  canariesOf,
  findCanary,
  ROLLOUTS_LIST_CONCURRENCY,
  rolloutStatus,
  type RolloutAction,
  type RolloutList,
  type RolloutPage,
  type RolloutStatus,
  type TableCanary,
} from "../rollout/status.ts";
import type { StatePlane } from "./client.ts";
import { statePlaneOf } from "./admin.ts";
import { rolloutObject } from "./names.ts";
import { rolloutPath, syncOf } from "./rollout-client.ts";
import { viewOf, type RolloutRecord } from "./rollout-object.ts";

function reply(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The active table as the admin app has it loaded (null: nothing pushed yet). */
export interface AdminTable {
  table: RouteTable;
  activatedAt?: string;
}

async function statusOf(plane: StatePlane | null, c: TableCanary, now: number): Promise<RolloutStatus> {
  if (!plane) return rolloutStatus(c, null, "initial", now);
  try {
    const { record } = await plane.call<{ record: RolloutRecord | null }>(rolloutObject(c.rollout.name), rolloutPath("status", c.rollout.name));
    // An object running another spec (a push not yet seen here, or not yet there): this table's
    // rollout has not started.
    if (!record || record.spec.specHash !== c.rollout.specHash) return rolloutStatus(c, null, "initial", now);
    return rolloutStatus(c, record.state, "object", now);
  } catch (err) {
    // What the Worker serves without the object: the weights it last knew, else the pushed ones.
    const known = plane.rollouts.viewOf(c.rollout.name);
    const s = rolloutStatus(c, null, "unreachable", now, message(err));
    if (known && known.specHash === c.rollout.specHash && known.canaryWeight !== null) s.weights = { primary: 100 - known.canaryWeight, canary: known.canaryWeight };
    return s;
  }
}

/** `f` over `items`, at most `limit` at a time, results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** GET /__gateway/rollouts: one page of the active table's Canaries in name order (src/rollout/status.ts). */
export async function listRollouts(env: Env, loaded: AdminTable | null, now: number, page: RolloutPage): Promise<Response> {
  const plane = statePlaneOf(env);
  const canaries = loaded ? canariesOf(loaded.table).sort((a, b) => (a.rollout.name < b.rollout.name ? -1 : a.rollout.name > b.rollout.name ? 1 : 0)) : [];
  const slice = canaries.slice(page.offset, page.offset + page.limit);
  const list: RolloutList = { rollouts: await mapBounded(slice, ROLLOUTS_LIST_CONCURRENCY, (c) => statusOf(plane, c, now)), total: canaries.length };
  if (page.offset + slice.length < canaries.length) list.next = page.offset + slice.length;
  return reply(list);
}

const notFound = (name: string) => reply({ error: `no Canary named ${name} in the active route table` }, 404);

/** GET /__gateway/rollouts/NAME */
export async function showRollout(env: Env, loaded: AdminTable | null, name: string, now: number): Promise<Response> {
  const c = loaded ? findCanary(canariesOf(loaded.table), name) : undefined;
  if (!c) return notFound(name);
  return reply(await statusOf(statePlaneOf(env), c, now));
}

/** POST /__gateway/rollouts/NAME/ACTION */
export async function actOnRollout(env: Env, loaded: AdminTable | null, name: string, action: RolloutAction, now: number): Promise<Response> {
  const c = loaded ? findCanary(canariesOf(loaded.table), name) : undefined;
  if (!c) return notFound(name);
  const plane = statePlaneOf(env);
  if (!plane) return reply({ error: "no state plane: the STATE Durable Object binding is not configured (wrangler.toml); rollouts need it" }, 503);
  const objectName = rolloutObject(c.rollout.name);
  let res: Response;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // Not `call`: a 409 is an answer to pass on, not a failure.
    const stub = plane.ns.get(plane.ns.idFromName(objectName) as never);
    res = await Promise.race([
      stub.fetch(`https://state${rolloutPath("action", c.rollout.name)}`, {
        method: "POST",
        body: JSON.stringify({ action, sync: syncOf(c, loaded!.activatedAt) }),
        headers: { "content-type": "application/json" },
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`state object ${objectName} did not answer within ${ACTION_TIMEOUT_MS} ms`)), ACTION_TIMEOUT_MS))),
    ]);
  } catch (err) {
    return reply({ error: `state object unreachable: ${message(err)}` }, 503);
  } finally {
    clearTimeout(timer);
  }
  const body = (await res.json().catch(() => null)) as { record?: RolloutRecord; error?: string } | null;
  if (res.status === 409) return reply({ error: body?.error ?? `cannot ${action} rollout ${c.rollout.name} now` }, 409);
  if (!res.ok || !body?.record) return reply({ error: `state object ${objectName}: ${res.status} ${body?.error ?? ""}`.trim() }, 503);
  await plane.rollouts.adopt(viewOf(c.rollout.name, body.record));
  return reply(rolloutStatus(c, body.record.state, "object", now));
}

/** An operator action may wait a little longer than a data-path read (it writes storage). */
export const ACTION_TIMEOUT_MS = 5_000;
