/**
 * The Worker: a thin shell (DESIGN.md §2).
 * - `/__gateway/*`: the admin API and console (src/admin), only for the ADMIN_TOKEN holder;
 *   when the ADMIN_TOKEN secret is absent the prefix answers 404 (admin disabled, nothing revealed).
 * - everything else: straight to pipeline.handle. Hono's dispatch (Context, router, middleware
 *   matching) cost ~100 k instructions per request, 15 % of the gateway's overhead over a bare
 *   pass-through (bench/ANALYSIS.md), so the data path only pays for a string check on the URL.
 * - one error boundary (`unhandled`): anything unexpected is logged and becomes a plain 500,
 *   on both paths (Hono's onError for admin).
 * Exports: the default handler and GatewayState, the state plane's Durable Object class (workerd
 * finds a Durable Object class among the entry module's named exports, by the class_name of
 * wrangler.toml's binding). Nothing else: workerd treats every named export as an entrypoint.
 */
import { Hono } from "hono";
import type { Env } from "./env.ts";
import { createPipeline } from "./pipeline.ts";
import { internalError, SERVER_HEADER, toResponse } from "./respond.ts";
import { ADMIN_PREFIX, createAdminApp } from "./admin/app.ts";

export { GatewayState } from "./state/object.ts";

/** Per isolate: one pipeline, one runtime (table cache, load-balancer state, I/O). */
const pipeline = createPipeline();

const app = new Hono<{ Bindings: Env }>();

// The admin API and console (src/admin): they read this isolate's own table cache.
app.route("/", createAdminApp({ store: pipeline.runtime.store, loadTable: pipeline.loadTable }));

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

app.onError((err, c) => unhandled(err, c.req.method));

/**
 * Does this request belong to the admin app? The path starts where Hono's getPath starts it
 * (first `/` after the scheme). A path with a `%` goes to Hono too: Hono percent-decodes before
 * routing (`/%5F_gateway/config` is an admin path to it), so it decides those as it always did;
 * whatever its router does not claim falls through to the pipeline there.
 */
function forAdminApp(url: string): boolean {
  const start = url.indexOf("/", url.indexOf(":") + 4);
  if (start < 0) return false;
  if (url.startsWith(ADMIN_PREFIX, start)) return true;
  const pct = url.indexOf("%", start);
  if (pct < 0) return false;
  const query = url.indexOf("?", start);
  return query < 0 || pct < query;
}

app.all("*", (c) => pipeline.handle(c.req.raw, c.env, c.executionCtx as ExecutionContext));

async function handleData(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  let response: Response;
  try {
    response = await pipeline.handle(request, env, ctx);
  } catch (err) {
    response = unhandled(err, request.method);
  }
  // Hono answered HEAD by dispatching GET and re-wrapping the response without a body; the data
  // path keeps that exact shape (the pipeline itself sees the HEAD request either way).
  return request.method === "HEAD" ? new Response(null, response) : response;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    if (forAdminApp(request.url)) return app.fetch(request, env, ctx);
    return handleData(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
