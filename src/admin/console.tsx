/** @jsxImportSource hono/jsx */
/**
 * The console at /__gateway/ui (DESIGN.md §12): server-rendered pages over the same functions the
 * CLI uses. app.ts has already authenticated every request that reaches a page here (and checked
 * the CSRF token of every session POST); the login form and the assets are the open exceptions.
 *
 * Every response carries a strict Content-Security-Policy (only this origin's stylesheet and
 * script, no inline code, no framing, forms post only here), no-store caching and no referrer.
 */
import { Hono } from "hono";
import { explainRows } from "../cases/explain.ts";
import { decideCase } from "../cases/run.ts";
import { summarize } from "../cases/summary.ts";
import { settings } from "../env.ts";
import { SERVER_HEADER } from "../respond.ts";
import { ACTIVE_KEY, type ActivePointer } from "../store/keys.ts";
import { readActive, readHistory, readVersion, ReleaseError, rollback, short } from "../store/release.ts";
import { putPointer, statePlaneOf, stateReport } from "../state/admin.ts";
import { actOnRollout, listRollouts, showRollout } from "../state/rollout-admin.ts";
import { ROLLOUT_ACTIONS, rolloutPageOf, ROLLOUTS_PAGE_DEFAULT, type RolloutAction, type RolloutList, type RolloutStatus } from "../rollout/status.ts";
import { fmtState } from "../rollout/describe.ts";
import { diffTables, formatDiff } from "../table/diff.ts";
import type { AdminContext, AdminDeps, AdminEnv } from "./context.ts";
import { clearedSessionCookie, csrfToken, issueSession, sameOrigin, sessionCookie, tokensEqual } from "./auth.ts";
import { explainInput, type ExplainForm } from "./explain-input.ts";
import { configReport } from "./report.ts";
import { CSS, JS } from "./ui/assets.ts";
import { ExplainPage, type ExplainResult } from "./ui/explain.tsx";
import { LoginPage, UI, type Viewer } from "./ui/layout.tsx";
import { OverviewPage, type KvProbe, type StatePlaneReport } from "./ui/overview.tsx";
import { HealthPage, type HealthReport } from "./ui/health.tsx";
import { RoutesPage } from "./ui/routes.tsx";
import { RollbackConfirmPage, VersionsPage, type DiffView } from "./ui/versions.tsx";
import { CanariesPage, RolloutConfirmPage, RolloutPage } from "./ui/canaries.tsx";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** A login form is a token of at most a few hundred bytes. */
const LOGIN_FORM_MAX_BYTES = 8 * 1024;

/** The `token` field of an urlencoded login form, or null when the body is larger than the bound or not a form. */
async function loginToken(request: Request): Promise<string | null> {
  if (!(request.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) return null;
  const reader = request.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > LOGIN_FORM_MAX_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    bytes.set(ch, at);
    at += ch.byteLength;
  }
  return new URLSearchParams(new TextDecoder().decode(bytes)).get("token") ?? "";
}

/** A KV probe must not hang the overview: the same bound as a table read. */
const KV_PROBE_TIMEOUT_MS = 2_000;

const isHttps = (url: string) => url.startsWith("https:");

async function viewerOf(c: AdminContext): Promise<Viewer> {
  const auth = c.get("auth");
  if (auth.kind === "bearer") return { kind: "bearer" };
  return { kind: "session", csrf: await csrfToken(c.env.ADMIN_TOKEN!, auth.session) };
}

async function probeKv(kv: KVNamespace): Promise<KvProbe> {
  const start = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const text = await Promise.race([
      kv.get(ACTIVE_KEY, "text"),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${KV_PROBE_TIMEOUT_MS} ms`)), KV_PROBE_TIMEOUT_MS);
      }),
    ]);
    type Pointer = { version?: unknown; activatedAt?: unknown } | null;
    let pointer: Pointer;
    try {
      pointer = text === null ? null : (JSON.parse(text) as Pointer);
    } catch {
      return { ok: false, ms: Date.now() - start, error: `${ACTIVE_KEY} is not JSON` };
    }
    return {
      ok: true,
      ms: Date.now() - start,
      pointerVersion: typeof pointer?.version === "string" ? pointer.version : null,
      pointerActivatedAt: typeof pointer?.activatedAt === "string" ? pointer.activatedAt : null,
    };
  } catch (err) {
    return { ok: false, ms: Date.now() - start, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function consoleRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const ui = new Hono<AdminEnv>();

  /**
   * The whole table this isolate serves; a cold isolate loads it first, as a request would (a
   * sharded version is assembled from its shards for the page: null when one cannot be read).
   */
  const loaded = async (c: AdminContext) => {
    const whole = await deps.wholeTable(c.env, c.executionCtx as ExecutionContext);
    return whole && "table" in whole ? whole : null;
  };

  ui.use(`${UI}/*`, async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("content-security-policy", CONTENT_SECURITY_POLICY);
    h.set("x-content-type-options", "nosniff");
    // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on our own form
    // posts, and the same-origin check of a POST needs the real Origin. Nothing leaves for other sites.
    h.set("referrer-policy", "same-origin");
    h.set("x-frame-options", "DENY");
    h.set("cross-origin-opener-policy", "same-origin");
    if (!h.has("cache-control")) h.set("cache-control", "no-store");
    h.set("server", SERVER_HEADER);
  });

  ui.get(`${UI}/assets/app.css`, (c) => c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }));
  ui.get(`${UI}/assets/app.js`, (c) => c.body(JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }));

  ui.get(`${UI}/login`, (c) => c.html(<LoginPage />));
  ui.post(`${UI}/login`, async (c) => {
    // The one form anyone may post: read at most LOGIN_FORM_MAX_BYTES of it, never a whole upload.
    const given = await loginToken(c.req.raw);
    if (given === null) return c.html(<LoginPage error="That form is too large or not a login form." />, 413);
    // A login form posted from another site is refused before the token is even compared.
    if (!sameOrigin(c.req.raw.headers, c.req.url) || !(await tokensEqual(given, c.env.ADMIN_TOKEN!))) {
      return c.html(<LoginPage error="That is not the admin token." />, 401);
    }
    const https = isHttps(c.req.url);
    c.header("set-cookie", sessionCookie(await issueSession(c.env.ADMIN_TOKEN!, c.get("now")), https));
    return c.redirect(`${UI}/`, 303);
  });
  ui.post(`${UI}/logout`, (c) => {
    c.header("set-cookie", clearedSessionCookie(isHttps(c.req.url)));
    return c.redirect(`${UI}/login`, 303);
  });

  ui.get(UI, (c) => c.redirect(`${UI}/`, 301));
  ui.get(`${UI}/`, async (c) => {
    const [, kv] = await Promise.all([deps.loadTable(c.env, c.executionCtx as ExecutionContext), probeKv(c.env.ROUTES)]);
    const report = configReport(deps.store, c.env.CONFIG_REFRESH_SECONDS);
    // The state plane's card is the /__gateway/state report itself (no second reading of it).
    const state = statePlaneOf(c.env) ? ((await (await stateReport(c.env, deps.store.status())).json()) as StatePlaneReport) : null;
    return c.html(<OverviewPage viewer={await viewerOf(c)} report={report} kv={kv} state={state} refreshSeconds={settings(c.env).refreshMs / 1000} />);
  });

  ui.get(`${UI}/health`, async (c) => {
    const t = await loaded(c);
    // The page is the /__gateway/state report's health part, rendered (no second reading of it).
    const health = statePlaneOf(c.env)
      ? ((await (await stateReport(c.env, deps.store.status(), t?.table.clusters)).json()) as { health: HealthReport }).health
      : null;
    return c.html(<HealthPage viewer={await viewerOf(c)} health={health} />);
  });

  ui.get(`${UI}/routes`, async (c) => {
    const t = await loaded(c);
    return c.html(<RoutesPage viewer={await viewerOf(c)} table={t?.table ?? null} version={t?.version ?? null} filter={c.req.query("host") ?? ""} />);
  });

  ui.get(`${UI}/explain`, async (c) => {
    const t = await loaded(c);
    const q = c.req.query();
    const form: ExplainForm = { method: q.method, url: q.url, headers: q.headers, cookies: q.cookies, visitor: q.visitor, random: q.random };
    const normalization = settings(c.env).pathNormalization;
    let result: ExplainResult | null = null;
    if (q.url !== undefined) {
      const input = explainInput(form, normalization);
      if (!input.ok) result = { kind: "error", error: input.error };
      else if (!t) result = { kind: "error", error: "no route table is loaded in this isolate" };
      else {
        const decided = decideCase(t.prepared, input.request);
        result = decided.decision
          ? { kind: "rows", rows: explainRows(input.request.method, input.request.url, summarize(decided.decision, decided.facts, decided.headers), decided.decision) }
          : { kind: "badRequest", reason: decided.reason };
      }
    }
    const status = result?.kind === "error" ? 400 : 200;
    return c.html(<ExplainPage viewer={await viewerOf(c)} form={form} result={result} version={t?.version ?? null} pathNormalization={normalization} />, status);
  });

  /** `routes diff` between two stored versions: the CLI's diffTables + formatDiff. */
  async function diffView(kv: KVNamespace, from: string, to: string): Promise<DiffView> {
    try {
      const [a, b] = await Promise.all([readVersion(kv, from), readVersion(kv, to)]);
      if (!a) return { from, to, error: `version ${short(from)} is no longer stored in KV` };
      if (!b) return { from, to, error: `version ${short(to)} is no longer stored in KV` };
      return { from, to, lines: formatDiff(diffTables(a, b)) };
    } catch (err) {
      return { from, to, error: err instanceof Error ? err.message : String(err) };
    }
  }

  async function versionsPage(c: AdminContext, extra: { notice?: string; error?: string } = {}, status: 200 | 400 | 409 | 503 = 200) {
    const t = deps.store.loaded();
    let history, active: ActivePointer | null;
    try {
      [history, active] = await Promise.all([readHistory(c.env.ROUTES), readActive(c.env.ROUTES)]);
    } catch (err) {
      return c.html(
        <VersionsPage viewer={await viewerOf(c)} history={[]} active={null} served={t?.version ?? null} diff={null} error={`KV: ${err instanceof Error ? err.message : String(err)}`} />,
        503,
      );
    }
    const from = c.req.query("from");
    const to = c.req.query("to");
    const diff = from && to ? await diffView(c.env.ROUTES, from, to) : null;
    return c.html(<VersionsPage viewer={await viewerOf(c)} history={history} active={active} served={t?.version ?? null} diff={diff} {...extra} />, status);
  }

  ui.get(`${UI}/versions`, (c) => versionsPage(c));

  ui.get(`${UI}/versions/rollback`, async (c) => {
    const to = c.req.query("to") ?? "";
    const [history, active] = await Promise.all([readHistory(c.env.ROUTES), readActive(c.env.ROUTES)]);
    const target = history.find((e) => e.version === to);
    if (!target) return versionsPage(c, { error: `no version ${JSON.stringify(to)} in the history` }, 400);
    const diff = active ? await diffView(c.env.ROUTES, active.version, target.version) : { from: "", to: target.version, error: "nothing is active: the whole table becomes new" };
    const viewer = await viewerOf(c);
    return c.html(<RollbackConfirmPage viewer={viewer} target={target} active={active} diff={diff} csrf={viewer.kind === "session" ? viewer.csrf : null} />);
  });

  /**
   * The rollback itself: release.ts's rollback (only KV's pointer is written, after checking the
   * version is stored and readable), then, when the state plane is bound, its pointer too, as
   * `routes rollback --gateway` does, so isolates switch without waiting for KV.
   */
  ui.post(`${UI}/versions/rollback`, async (c) => {
    const form = await c.req.parseBody();
    const to = typeof form.to === "string" ? form.to : "";
    if (to === "" || to.length > 128) return versionsPage(c, { error: "rollback: no version named" }, 400);
    const now = new Date(c.get("now"));
    let outcome;
    try {
      outcome = await rollback(c.env.ROUTES, to, now);
    } catch (err) {
      if (err instanceof ReleaseError) return versionsPage(c, { error: `rollback refused: ${err.message}` }, 409);
      throw err;
    }
    if (outcome.kind === "already-active") return versionsPage(c, { notice: `${short(outcome.version)} is already active: nothing to do` });
    let plane = "";
    if (statePlaneOf(c.env)) {
      const res = await putPointer(c.env, { version: outcome.version, activatedAt: now.toISOString(), reason: "rollback" });
      plane = res.ok ? " The state plane's pointer is set too." : ` The state plane refused its pointer (${res.status}); isolates switch when they re-read KV.`;
    }
    return versionsPage(c, { notice: `Rolled back: ${short(outcome.version)} is active (was ${outcome.previous ? short(outcome.previous) : "none"}).${plane}` });
  });

  /**
   * Canaries (issue #14): the rollouts API's own functions (src/state/rollout-admin.ts), read as
   * the JSON it answers, so the page shows exactly what `routes rollout status` prints.
   */
  async function canariesPage(c: AdminContext, extra: { notice?: string; error?: string } = {}, status: 200 | 400 | 404 | 409 | 503 = 200) {
    const t = await loaded(c);
    // A bad ?offset is the first page (a link typed by hand), not an error page.
    const asked = rolloutPageOf(c.req.query("offset"), undefined);
    const page = typeof asked === "string" ? { offset: 0, limit: ROLLOUTS_PAGE_DEFAULT } : asked;
    const list = (await (await listRollouts(c.env, t ?? null, c.get("now"), page)).json()) as RolloutList;
    return c.html(<CanariesPage viewer={await viewerOf(c)} list={list} offset={page.offset} statePlane={statePlaneOf(c.env) !== null} {...extra} />, status);
  }

  /** One rollout's page; an unknown name is the list with a 404. */
  async function rolloutPage(c: AdminContext, name: string, extra: { notice?: string; error?: string } = {}, status: 200 | 409 | 503 = 200) {
    const t = await loaded(c);
    const res = await showRollout(c.env, t ?? null, name, c.get("now"));
    if (res.status !== 200) return canariesPage(c, { error: ((await res.json()) as { error: string }).error }, 404);
    const rollout = (await res.json()) as RolloutStatus;
    return c.html(<RolloutPage viewer={await viewerOf(c)} rollout={rollout} statePlane={statePlaneOf(c.env) !== null} {...extra} />, status);
  }

  const actionOf = (v: unknown): RolloutAction | null => (typeof v === "string" && (ROLLOUT_ACTIONS as readonly string[]).includes(v) ? (v as RolloutAction) : null);
  /** A Canary's namespace/name: DNS labels and one slash, far below this bound. */
  const NAME_MAX = 512;

  ui.get(`${UI}/canaries`, (c) => canariesPage(c));
  ui.get(`${UI}/canaries/rollout`, (c) => rolloutPage(c, (c.req.query("name") ?? "").slice(0, NAME_MAX)));

  /** The confirmation page: what the action does, then a form that does it (session: with the CSRF token). */
  ui.get(`${UI}/canaries/confirm`, async (c) => {
    const name = (c.req.query("name") ?? "").slice(0, NAME_MAX);
    const action = actionOf(c.req.query("action"));
    if (!action) return canariesPage(c, { error: `no such action ${JSON.stringify(c.req.query("action") ?? "")}: promote, pause, resume or abort` }, 400);
    const t = await loaded(c);
    const res = await showRollout(c.env, t ?? null, name, c.get("now"));
    if (res.status !== 200) return canariesPage(c, { error: ((await res.json()) as { error: string }).error }, 404);
    const rollout = (await res.json()) as RolloutStatus;
    const viewer = await viewerOf(c);
    return c.html(<RolloutConfirmPage viewer={viewer} rollout={rollout} action={action} csrf={viewer.kind === "session" ? viewer.csrf : null} />);
  });

  /** The action itself: POST /__gateway/rollouts/NAME/ACTION's function; its 404/409/503 become the page's error. */
  ui.post(`${UI}/canaries/act`, async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === "string" ? form.name.slice(0, NAME_MAX) : "";
    const action = actionOf(form.action);
    if (name === "" || !action) return canariesPage(c, { error: "no rollout or action named" }, 400);
    const t = await loaded(c);
    const res = await actOnRollout(c.env, t ?? null, name, action, c.get("now"));
    const body = (await res.json()) as RolloutStatus | { error: string };
    if (res.status === 200) {
      const s = body as RolloutStatus;
      return c.html(<RolloutPage viewer={await viewerOf(c)} rollout={s} statePlane notice={`${action}: ${s.name} is ${fmtState(s)}, primary ${s.weights.primary}%, canary ${s.weights.canary}%.`} />);
    }
    const error = `${action} ${name}: ${(body as { error: string }).error}`;
    if (res.status === 404) return canariesPage(c, { error }, 404);
    return rolloutPage(c, name, { error }, res.status === 409 ? 409 : 503);
  });

  return ui;
}
