/**
 * handle(request, env, ctx): the whole per-request flow (DESIGN.md §2):
 *   loadTable → facts → decide → execute (or a local reply) → stamp → one log line.
 *
 * Dependencies are injected (createPipeline) so the workerd tests can drive the executor with
 * hand-built Decisions and fake clocks/fetchers; worker.ts wires the real ones.
 */
import type { RouteTable } from "./compile/table.ts";
import type { DecideOptions, Decision, RequestFacts, SelectState } from "./decision.ts";
import { configRefreshMs, exposeConfigVersion, type Env } from "./env.ts";
import type { Fetcher } from "./forward/attempt.ts";
import { execute, type Executed } from "./forward/execute.ts";
import { requestIdOf } from "./forward/proxy-headers.ts";
import { resilienceSettings } from "./forward/resilience.ts";
import * as respond from "./respond.ts";
import { TableStore, type LoadedTable } from "./store/table-store.ts";
import { planeFor } from "./state/client.ts";
import { abOutcome, analyticsDataPoint } from "./select/ab-analytics.ts";

/** Request (and the vars, e.g. PATH_NORMALIZATION) → facts, or a 4xx reason. */
export type FactsFn = (request: Request, env: Env) => RequestFacts | { error: number; reason: string };

export interface PipelineDeps<P> {
  prepare: (table: RouteTable) => P;
  facts: FactsFn;
  decide: (prepared: P, facts: RequestFacts, opts: DecideOptions) => Decision;
  fetcher?: Fetcher;
  now?: () => number;
  rand?: () => number;
  newVisitorId?: () => string;
  log?: (line: Record<string, unknown>) => void;
  store?: TableStore<P>;
}

export interface Pipeline<P> {
  handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
  store: TableStore<P>;
  log: (line: Record<string, unknown>) => void;
  /** The table a request would be served with (a cold isolate loads; a warm one may start a refresh). */
  loadTable(env: Env, ctx: ExecutionContext): Promise<LoadedTable<P> | null>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the log line says about the decision (never header or cookie values). */
interface LogFields {
  kind: string;
  route?: string;
  virtualService?: string;
  vhost?: string;
  destination?: string;
  variant?: string;
  upstreamStatus?: number;
  attempts?: number;
  upstreamHost?: string;
  failure?: string;
}

function matchFields(d: Decision): LogFields {
  const f: LogFields = { kind: d.kind };
  if ("match" in d) {
    f.route = d.match.route.name;
    f.virtualService = d.match.route.virtualService;
    f.vhost = d.match.vhost;
  } else if ("vhost" in d && d.vhost !== undefined) f.vhost = d.vhost;
  if (d.kind === "forward") {
    const dest = d.target.destination;
    f.destination = dest.subset ? `${dest.host}/${dest.subset}` : dest.host;
    if (d.variant !== undefined) f.variant = d.variant;
  } else if (d.kind === "clusterNotFound" || d.kind === "noHealthyUpstream") {
    f.destination = d.destination.subset ? `${d.destination.host}/${d.destination.subset}` : d.destination.host;
  } else if (d.kind === "badRequest") f.failure = d.reason;
  return f;
}

export function createPipeline<P>(deps: PipelineDeps<P>): Pipeline<P> {
  const now = deps.now ?? Date.now;
  const rand = deps.rand ?? Math.random;
  const newVisitorId = deps.newVisitorId ?? (() => crypto.randomUUID());
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
  const store = deps.store ?? new TableStore<P>({ prepare: deps.prepare, now, log });
  /** Per-isolate load-balancer / outlier state (src/select owns its contents). */
  const state: SelectState = {};

  async function decideAndAct(
    loaded: LoadedTable<P>,
    request: Request,
    requestId: string,
    startTime: number,
    ctx: ExecutionContext,
    env: Env,
  ): Promise<{ response: Response; fields: LogFields; host?: string; path?: string; decision?: Decision }> {
    const facts = deps.facts(request, env);
    if ("error" in facts) {
      if (facts.error === 405) return { response: respond.toResponse(respond.methodNotAllowed(facts.reason)), fields: { kind: "methodNotAllowed", failure: facts.reason } };
      return { response: respond.toResponse(respond.badRequest(facts.reason)), fields: { kind: "badRequest", failure: facts.reason } };
    }
    const decision = deps.decide(loaded.prepared, facts, { rand, now: startTime, state, newVisitorId });
    const fields = matchFields(decision);
    const vars = respond.headerVars(facts, request.headers, startTime, () => (request.cf?.httpProtocol as string | undefined) ?? "HTTP/1.1");
    const out = (response: Response) => ({ response, fields, host: facts.host, path: facts.path, decision });
    // Fault delay runs in the fault filter, before CORS and the router (ISTIO-SEMANTICS §2.1, §2.6).
    if ("delayMs" in decision && decision.delayMs > 0) await sleep(decision.delayMs);
    switch (decision.kind) {
      case "forward": {
        const executed: Executed = await execute(decision, {
          request,
          facts,
          requestId,
          vars,
          waitUntil: (p) => ctx.waitUntil(p),
          fetcher: deps.fetcher,
          now,
          // Resilience: back-off/reselection dice, the isolate's LB/outlier state, env vars.
          rand,
          state,
          settings: resilienceSettings(env),
          log,
        });
        fields.attempts = executed.attempts;
        fields.upstreamHost = executed.upstreamHost;
        if (executed.upstreamStatus !== undefined) fields.upstreamStatus = executed.upstreamStatus;
        if (executed.failure) fields.failure = executed.failure.detail ?? executed.failure.kind;
        // Retry trail, abandoned retries ("request body streamed once"), mirrors, subrequests.
        if (executed.notes) Object.assign(fields, executed.notes);
        return out(executed.response);
      }
      default:
        return out(respond.toResponse(respond.localReply(decision, vars)));
    }
  }

  /**
   * The table for this request. With the state plane (env.STATE) the pointer comes from its
   * object first and is re-checked every STATE_REFRESH_SECONDS (src/state/pointer.ts); without
   * it, from KV every CONFIG_REFRESH_SECONDS, as always.
   */
  function loadTable(env: Env, ctx: ExecutionContext): Promise<LoadedTable<P> | null> {
    const kvRefresh = configRefreshMs(env);
    const plane = planeFor(env, kvRefresh);
    const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
    if (!plane) return store.get(env.ROUTES, kvRefresh, waitUntil);
    return store.get(env.ROUTES, Math.min(kvRefresh, plane.settings.refreshMs), waitUntil, plane.pointerSource);
  }

  async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const startTime = now();
    const requestId = requestIdOf(request.headers);
    const loaded = await loadTable(env, ctx);
    let result: { response: Response; fields: LogFields; host?: string; path?: string; decision?: Decision };
    if (!loaded) result = { response: respond.toResponse(respond.noRouteTable()), fields: { kind: "noRouteTable" } };
    else result = await decideAndAct(loaded, request, requestId, startTime, ctx, env);

    const { response, fields } = result;
    respond.stamp(response.headers, loaded && exposeConfigVersion(env) ? loaded.version : undefined);

    // A/B analytics: one data point per request through a sticky split, when the optional
    // Analytics Engine binding exists (writeDataPoint is fire-and-forget; never awaited).
    if (env.AB_ANALYTICS && result.decision) {
      const o = abOutcome(result.decision, {
        status: response.status,
        latencyMs: now() - startTime,
        attempts: fields.attempts ?? 0,
        ...(loaded ? { tableVersion: loaded.version } : {}),
      });
      if (o) {
        try {
          env.AB_ANALYTICS.writeDataPoint(analyticsDataPoint(o));
        } catch (e) {
          log({ ts: new Date(startTime).toISOString(), requestId, analyticsError: String(e) });
        }
      }
    }

    // One line per request for Workers Logs / `wrangler tail`. Path without query (queries carry
    // tokens); no header or cookie values. durationMs = until response headers (bodies stream on).
    log({
      ts: new Date(startTime).toISOString(),
      requestId,
      method: request.method,
      host: result.host ?? null,
      path: result.path ?? null,
      ...fields,
      status: response.status,
      durationMs: now() - startTime,
      configVersion: loaded?.version ?? null,
    });
    return response;
  }

  return { handle, store, log, loadTable };
}
