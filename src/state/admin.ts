/**
 * The state plane's admin endpoints (mounted by the admin app under `/__gateway/`, behind the
 * ADMIN_TOKEN check):
 *   GET  /__gateway/state          pointer (object, KV, this isolate); per cluster (with
 *                                  outlierDetection or a health check): endpoints, ejections,
 *                                  health-check verdicts and last probe results
 *   PUT  /__gateway/state/pointer  make a stored version active now (the CLI's `--gateway`)
 * Without the STATE binding both answer 404 with a JSON reason.
 */
import type { Env } from "../env.ts";
import { readActiveTable, readKvPointer } from "../store/read.ts";
import type { ActivePointer } from "../store/keys.ts";
import type { StoreStatus } from "../store/table-store.ts";
import { planeFor, type StatePlane } from "./client.ts";
import { POINTER_OBJECT, healthObject } from "./names.ts";
import type { Cluster } from "../table/types.ts";
import type { HealthView } from "./health-object.ts";
import { viewPath } from "./health-client.ts";

/** Clusters whose health the admin report asks for, at most (one object request each). */
const MAX_ADMIN_CLUSTERS = 50;

/** Each cluster with outlierDetection or a health check: the object's view, uncached. */
async function healthReport(plane: StatePlane, clusters: Record<string, Cluster>) {
  const keys = Object.keys(clusters).filter((k) => clusters[k]!.trafficPolicy?.outlierDetection || clusters[k]!.healthCheck);
  const views = await Promise.all(
    keys.slice(0, MAX_ADMIN_CLUSTERS).map(async (key) => {
      try {
        const v = await plane.call<HealthView>(healthObject(key), viewPath(key));
        return { cluster: key, outlierDetection: !!clusters[key]!.trafficPolicy?.outlierDetection, healthCheck: clusters[key]!.healthCheck ?? null, endpoints: v.endpoints, at: v.at };
      } catch (err) {
        return { cluster: key, error: err instanceof Error ? err.message : String(err), endpoints: [] };
      }
    }),
  );
  const e = plane.health.lastError;
  return { clusters: views, omitted: Math.max(0, keys.length - MAX_ADMIN_CLUSTERS), lastError: e && { ...e, at: iso(e.at) } };
}
import { asPointer } from "./object.ts";
import { settings } from "../env.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function reply(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

const NO_PLANE = { error: "no state plane: the STATE Durable Object binding is not configured (wrangler.toml)" };

export function statePlaneOf(env: Env): StatePlane | null {
  return planeFor(env, settings(env));
}

/** What the object holds right now (uncached), or why it could not say. */
async function objectPointer(plane: StatePlane): Promise<{ pointer: ActivePointer | null } | { error: string }> {
  try {
    return await plane.call<{ pointer: ActivePointer | null }>(POINTER_OBJECT, "/pointer");
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

export async function stateReport(env: Env, served: StoreStatus, clusters: Record<string, Cluster> = {}): Promise<Response> {
  const plane = statePlaneOf(env);
  if (!plane) return reply(NO_PLANE, 404);
  const [object, kv, health] = await Promise.all([objectPointer(plane), readKvPointer(env.ROUTES), healthReport(plane, clusters)]);
  const s = plane.pointerStatus();
  return reply({
    pointer: {
      object,
      kv: kv.kind === "pointer" ? { pointer: kv.pointer } : { error: `${kv.reason}: ${kv.detail}` },
      isolate: {
        version: served.version,
        activatedAt: served.activatedAt,
        loadedAt: iso(served.loadedAt),
        lastCheckAt: iso(served.lastCheckAt),
        lastError: served.lastError && { ...served.lastError, at: iso(served.lastError.at) },
        objectCopy: s.object,
        objectReadAt: iso(s.objectReadAt),
        objectError: s.objectError && { ...s.objectError, at: iso(s.objectError.at) },
        kvCopy: s.kv,
        kvReadAt: iso(s.kvReadAt),
      },
    },
    health,
    settings: { refreshSeconds: plane.settings.refreshMs / 1000, cacheSeconds: plane.settings.cacheSeconds },
  });
}

/**
 * Sets the object's pointer after checking that the version is stored and loadable (an invalid
 * version never becomes active), then refreshes this location's copy.
 */
export async function putPointer(env: Env, body: unknown): Promise<Response> {
  const plane = statePlaneOf(env);
  if (!plane) return reply(NO_PLANE, 404);
  const p = asPointer(body);
  if (typeof p === "string") return reply({ error: p }, 400);
  const check = await readActiveTable(env.ROUTES, undefined, undefined, async () => ({ kind: "pointer", pointer: p }));
  if (check.kind === "failed") return reply({ error: `version ${p.version} cannot become active: ${check.reason}: ${check.detail}` }, 409);
  let result: { pointer: ActivePointer; previous: ActivePointer | null };
  try {
    result = await plane.call(POINTER_OBJECT, "/pointer", { method: "PUT", body: JSON.stringify(p), headers: { "content-type": "application/json" } });
  } catch (err) {
    return reply({ error: `state object unreachable: ${err instanceof Error ? err.message : String(err)}` }, 503);
  }
  await plane.storeCopy(POINTER_OBJECT, "/pointer", { pointer: result.pointer });
  return reply(result);
}
