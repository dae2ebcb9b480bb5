/**
 * The Worker: a thin shell (DESIGN.md §2) with one door and one error boundary.
 * - `fetch`: a path (as sent) of `/__gateway` or under `/__gateway/` goes to the admin API and
 *   console (src/admin, a Hono app; only for the ADMIN_TOKEN holder, 404 when the secret is
 *   absent); every other request goes straight to pipeline.handle. Hono's dispatch (Context,
 *   router, middleware matching) cost ~100 k instructions per request, 15 % of the gateway's
 *   overhead over a bare pass-through (bench/ANALYSIS.md), so the data path pays for a string
 *   check on the URL only. A percent-encoded unreserved character is the character itself
 *   (RFC 3986 §6.2.2.2): `/%5F%5Fgateway/…` is the admin surface too.
 * - `scheduled` (Cron Trigger): active health checks, published through the state plane.
 * - around both: `unhandled` turns anything unexpected into a logged plain 500 (the admin app
 *   rethrows to it), and a HEAD response loses its body (the pipeline and the admin app see the
 *   HEAD request as it came).
 * Exports: the default handler and GatewayState, the state plane's Durable Object class (workerd
 * finds a Durable Object class among the entry module's named exports, by the class_name of
 * wrangler.toml's binding). Nothing else: workerd treats every named export as an entrypoint.
 */
import { settings, type Env } from "./env.ts";
import { createPipeline } from "./pipeline.ts";
import { internalError, SERVER_HEADER, toResponse } from "./respond.ts";
import { ADMIN_PREFIX, createAdminApp } from "./admin/app.ts";
import { scheduledHealthChecks } from "./state/probe.ts";
import { statePlaneOf } from "./state/admin.ts";

export { GatewayState } from "./state/object.ts";

/** Per isolate: one pipeline, one runtime (table cache, load-balancer state, I/O). */
const pipeline = createPipeline();

/** The admin API and console (src/admin): they read this isolate's own table cache. */
const admin = createAdminApp({ store: pipeline.runtime.store, loadTable: pipeline.loadTable, wholeTable: pipeline.wholeTable });
// Its errors go to the one boundary below, like the data path's.
admin.onError((err) => {
  throw err;
});

/** The one catch-all: log what happened (never to the client), answer a plain 500. */
function unhandled(err: unknown, method: string): Response {
  pipeline.runtime.log({
    ts: new Date().toISOString(),
    level: "error",
    msg: "unhandled error",
    method,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  const res = internalError();
  res.headers.set("server", SERVER_HEADER);
  return toResponse(res);
}

/** RFC 3986 §2.3: percent-encoding an unreserved character does not change the URI (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : m;
  });
}

/**
 * Is the request's path the admin prefix or under it? The path as sent (from the first `/` after
 * the authority, up to `?`), with percent-encoded unreserved characters read as themselves, so
 * `/%5F%5Fgateway/config` is the admin surface too (never a data path an origin would see);
 * `%2F` is reserved and stays a byte of one segment. No `%` in the URL: one string comparison.
 */
function isAdminPath(url: string): boolean {
  const start = url.indexOf("/", url.indexOf(":") + 3);
  if (start < 0) return false;
  let path: string;
  if (url.startsWith(ADMIN_PREFIX, start)) path = url.slice(start, start + ADMIN_PREFIX.length + 1);
  else {
    const pct = url.indexOf("%", start);
    if (pct < 0) return false;
    const query = url.indexOf("?", start);
    if (query >= 0 && query < pct) return false;
    path = decodeUnreserved(url.slice(start, query < 0 ? undefined : query));
    if (!path.startsWith(ADMIN_PREFIX)) return false;
  }
  const next = path.charAt(ADMIN_PREFIX.length);
  return next === "" || next === "/" || next === "?" || next === "#";
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    let response: Response;
    // Read once: each Request getter is a call into workerd that makes a new string.
    const method = request.method;
    try {
      const url = request.url;
      response = isAdminPath(url) ? await admin.fetch(request, env, ctx) : await pipeline.handle(request, env, ctx, url, method);
    } catch (err) {
      response = unhandled(err, method);
    }
    // A HEAD answer carries the GET answer's status and headers, no body.
    return method === "HEAD" ? new Response(null, response) : response;
  },
  /** Cron Trigger (wrangler.toml [triggers]): active health checks through the state plane (src/state/probe.ts). */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    try {
      await scheduledHealthChecks(
        statePlaneOf(env),
        // A sharded version's index lists its health-checked clusters: no shard is read for them.
        async () => {
          const served = await pipeline.loadTable(env, ctx);
          if (!served) return null;
          return served.whole ? served.whole.table.clusters : (served.index!.healthChecked ?? {});
        },
        settings(env).state.healthCheckWindowMs,
        (url, init) => fetch(url, init as RequestInit),
        pipeline.runtime.log,
      );
    } catch (err) {
      unhandled(err, "SCHEDULED");
    }
  },
} satisfies ExportedHandler<Env>;
