/**
 * The admin surface, `/__gateway/*` (DESIGN.md §2, §12): a JSON API for scripts and the console
 * for browsers, in one Hono app that worker.ts mounts. Nothing here is on the data path.
 *
 * - ADMIN_TOKEN absent ⇒ every admin path answers 404: the surface is off and says nothing. The
 *   same on a host ADMIN_HOSTS does not list (a console on a site's own origin shares it with that
 *   site's pages, docs/security.md).
 * - Open without credentials: the login form and the console's static assets (no data in either).
 * - Everything else needs `Authorization: Bearer <ADMIN_TOKEN>` or a console session cookie
 *   (auth.ts). Without: the API answers 401 + `WWW-Authenticate: Bearer` (RFC 6750 §3), a
 *   console page redirects to the login form.
 * - A POST authorised by the session cookie must come from our own origin and carry the form's
 *   CSRF token (auth.ts); a Bearer request cannot be forged by a browser, so it needs neither.
 */
import { Hono } from "hono";
import { SERVER_HEADER } from "../respond.ts";
import { putPointer, stateReport } from "../state/admin.ts";
import { actOnRollout, listRollouts, showRollout } from "../state/rollout-admin.ts";
import { ROLLOUT_ACTIONS, rolloutPageOf, ROLLOUTS_PATH, type RolloutAction } from "../rollout/status.ts";
import { bearerAuthorized, cookieValue, csrfValid, sameOrigin, sessionCookieName, sessionValid } from "./auth.ts";
import { consoleRoutes } from "./console.tsx";
import type { AdminAuth, AdminDeps, AdminEnv } from "./context.ts";
import { adminHostAllowed, settings, type Env } from "../env.ts";
import { configReport } from "./report.ts";

export const ADMIN_PREFIX = "/__gateway";
export const CONSOLE_PREFIX = `${ADMIN_PREFIX}/ui`;

export const notFound = () => new Response(null, { status: 404, headers: { server: SERVER_HEADER } });

function unauthorized(): Response {
  return new Response("unauthorized\n", {
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="edge-gateway admin"', "content-type": "text/plain", server: SERVER_HEADER },
  });
}

/** The login form and the stylesheet/script: reachable without a session, hold no data. */
function isPublic(method: string, path: string): boolean {
  if (path === `${CONSOLE_PREFIX}/login`) return method === "GET" || method === "HEAD" || method === "POST";
  return (method === "GET" || method === "HEAD") && path.startsWith(`${CONSOLE_PREFIX}/assets/`);
}

const isHttps = (url: string) => url.startsWith("https:");

export function createAdminApp(deps: AdminDeps): Hono<AdminEnv> {
  const now = deps.now ?? Date.now;
  const app = new Hono<AdminEnv>();

  app.use(`${ADMIN_PREFIX}/*`, async (c, next) => {
    const token = c.env.ADMIN_TOKEN;
    // Off, or not on this host (ADMIN_HOSTS): the same bare 404, so the surface says nothing.
    if (!token || !adminHostAllowed(settings(c.env).adminHosts, new URL(c.req.url).hostname)) return notFound();
    c.set("now", now());
    if (isPublic(c.req.method, c.req.path)) return next();

    let auth: AdminAuth | null = null;
    if (c.req.header("authorization") !== undefined) {
      // A request that presents a token is judged by that token alone (a wrong one is not rescued by a cookie).
      if (await bearerAuthorized(c.req.header("authorization"), token)) auth = { kind: "bearer" };
    } else {
      const session = cookieValue(c.req.header("cookie"), sessionCookieName(isHttps(c.req.url)));
      if (session && (await sessionValid(session, token, c.get("now")))) auth = { kind: "session", session };
    }
    const isConsole = c.req.path === CONSOLE_PREFIX || c.req.path.startsWith(`${CONSOLE_PREFIX}/`);
    if (!auth) {
      if (isConsole && (c.req.method === "GET" || c.req.method === "HEAD") && c.req.header("authorization") === undefined) {
        return c.redirect(`${CONSOLE_PREFIX}/login`, 303);
      }
      return unauthorized();
    }
    if (auth.kind === "session" && c.req.method !== "GET" && c.req.method !== "HEAD") {
      const form = await c.req.parseBody();
      const given = typeof form._csrf === "string" ? form._csrf : undefined;
      if (!sameOrigin(c.req.raw.headers, c.req.url) || !(await csrfValid(given, token, auth.session))) {
        return new Response("forbidden: this form is stale or did not come from the console; reload the page\n", {
          status: 403,
          headers: { "content-type": "text/plain", server: SERVER_HEADER },
        });
      }
    }
    c.set("auth", auth);
    await next();
  });

  /** What this isolate serves: active version, when it was loaded, the last refresh error, a summary. */
  app.get(`${ADMIN_PREFIX}/config`, async (c) => {
    // A cold isolate loads first, so the answer reflects what a request would be served with; a
    // warm one answers at once and, when its refresh is due, starts one in the background (so
    // `routes push --wait` polling this endpoint sees the isolate converge).
    await deps.loadTable(c.env, c.executionCtx as ExecutionContext);
    return c.json(configReport(deps.store, c.env.CONFIG_REFRESH_SECONDS), 200, {
      "cache-control": "no-store",
      server: SERVER_HEADER,
    });
  });

  /** State plane (src/state/admin.ts): pointer copies, and setting the pointer object's. */
  app.get(`${ADMIN_PREFIX}/state`, async (c) => {
    const whole = await deps.wholeTable(c.env, c.executionCtx as ExecutionContext);
    return stateReport(c.env, deps.store.status(), whole && "table" in whole ? whole.table.clusters : undefined);
  });
  app.put(`${ADMIN_PREFIX}/state/pointer`, async (c) => putPointer(c.env, await c.req.json().catch(() => null)));

  /**
   * Canary rollouts (src/rollout/status.ts has the contract): list, one, and operator actions.
   * NAME is `namespace/name` (its slash as is or as %2F) or a bare name.
   */
  const rolloutName = (path: string): string[] =>
    path
      .slice(ROLLOUTS_PATH.length + 1)
      .split("/")
      .filter((seg) => seg !== "")
      .map((seg) => {
        try {
          return decodeURIComponent(seg);
        } catch {
          return seg;
        }
      });
  /** The whole served table (a sharded version assembled for the request), or null. */
  const whole = async (c: { env: Env; executionCtx: unknown }) => {
    const w = await deps.wholeTable(c.env, c.executionCtx as ExecutionContext);
    return w && "table" in w ? w : null;
  };
  app.get(ROLLOUTS_PATH, async (c) => {
    const page = rolloutPageOf(c.req.query("offset"), c.req.query("limit"));
    if (typeof page === "string") return c.json({ error: page }, 400, { "cache-control": "no-store" });
    return listRollouts(c.env, await whole(c), c.get("now"), page);
  });
  app.get(`${ROLLOUTS_PATH}/*`, async (c) => showRollout(c.env, await whole(c), rolloutName(c.req.path).join("/"), c.get("now")));
  app.post(`${ROLLOUTS_PATH}/*`, async (c) => {
    const segs = rolloutName(c.req.path);
    const action = segs.pop();
    if (!action || !(ROLLOUT_ACTIONS as readonly string[]).includes(action) || segs.length === 0) {
      return c.json({ error: `expected POST ${ROLLOUTS_PATH}/NAME/ACTION with ACTION one of ${ROLLOUT_ACTIONS.join(", ")}` }, 404, { "cache-control": "no-store" });
    }
    return actOnRollout(c.env, await whole(c), segs.join("/"), action as RolloutAction, c.get("now"));
  });

  app.route("/", consoleRoutes(deps));

  app.all(`${ADMIN_PREFIX}/*`, () => notFound());
  return app;
}
