/**
 * The Worker: a thin Hono shell (DESIGN.md §2).
 * - `/__gateway/*`: admin endpoints, only with `Authorization: Bearer <ADMIN_TOKEN>`; when the
 *   ADMIN_TOKEN secret is absent the prefix answers 404 (admin disabled, nothing revealed).
 * - everything else: pipeline.handle (no middleware on the per-request path).
 * - one error boundary (onError): anything unexpected is logged and becomes a plain 500.
 * Only the default export: workerd treats named exports of the entry module as entrypoints.
 */
import { Hono } from "hono";
import { decide } from "./decide.ts";
import type { Env } from "./env.ts";
import { internalError } from "./forward/local-reply.ts";
import { factsFromRequest } from "./match/facts.ts";
import { prepare, type PreparedTable } from "./match/prepare.ts";
import { createPipeline, SERVER_HEADER } from "./pipeline.ts";
import { adminAuthorized, configReport } from "./store/admin.ts";

/** Per isolate: one pipeline, one table cache, one load-balancer state. */
const pipeline = createPipeline<PreparedTable>({
  prepare,
  facts: (request) => factsFromRequest(request),
  decide,
});

const app = new Hono<{ Bindings: Env }>();

const notFound = () => new Response(null, { status: 404, headers: { server: SERVER_HEADER } });

app.use("/__gateway/*", async (c, next) => {
  if (!c.env.ADMIN_TOKEN) return notFound();
  if (!(await adminAuthorized(c.req.header("authorization"), c.env.ADMIN_TOKEN))) {
    return new Response("unauthorized\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="edge-gateway admin"', "content-type": "text/plain", server: SERVER_HEADER },
    });
  }
  await next();
});

/** What this isolate serves: active version, when it was loaded, the last refresh error, a summary. */
app.get("/__gateway/config", async (c) => {
  // A cold isolate loads first, so the answer reflects what a request would be served with;
  // a warm one reports without touching KV.
  await pipeline.store.get(c.env.ROUTES, Number.POSITIVE_INFINITY, (p) => c.executionCtx.waitUntil(p));
  return c.json(configReport(pipeline.store, c.env.CONFIG_REFRESH_SECONDS), 200, {
    "cache-control": "no-store",
    server: SERVER_HEADER,
  });
});

app.all("/__gateway/*", () => notFound());

app.all("*", (c) => pipeline.handle(c.req.raw, c.env, c.executionCtx as ExecutionContext));

app.onError((err, c) => {
  pipeline.log({
    ts: new Date().toISOString(),
    level: "error",
    msg: "unhandled error",
    method: c.req.method,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  const res = internalError();
  res.headers.set("server", SERVER_HEADER);
  return res;
});

export default app;
