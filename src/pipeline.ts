/**
 * handle(request, env, ctx): the whole per-request flow (DESIGN.md §2):
 *   settings → table → facts → decide → respond (a local reply) or forward → stamp → one log line.
 *
 * Everything an isolate keeps between requests (table cache, load-balancer/outlier state) and the
 * I/O it uses (fetch, clock, dice, log sink) is one Runtime, built once by createPipeline with its
 * defaults applied there; tests pass their own fetcher, clock, dice, log or table store.
 */
import { wantsAccessLog } from "./access-log.ts";
import { decide } from "./decide.ts";
import type { Decision, SelectState } from "./decision.ts";
import { settings, type Env, type Settings } from "./env.ts";
import type { Fetcher, ForwardIo } from "./forward/attempt.ts";
import { execute, type Executed } from "./forward/execute.ts";
import { RequestId } from "./forward/proxy-headers.ts";
import { realClock } from "./forward/timeouts.ts";
import { factsFromRequest } from "./match/facts.ts";
import { prepare, type PreparedTable } from "./prepare.ts";
import * as respond from "./respond.ts";
import { abOutcome, analyticsDataPoint } from "./select/ab-analytics.ts";
import { planeFor } from "./state/client.ts";
import { OBJECT_TIMEOUT_MS } from "./state/pointer.ts";
import type { Outcome } from "./rollout/counters.ts";
import { destinationLabel } from "./table/types.ts";
import type { RolloutTable } from "./state/rollout-client.ts";
import { TableStore, type LoadedTable, type ServedVersion } from "./store/table-store.ts";

/** One isolate's state and I/O, handed down as is (forward/ receives it as its ForwardIo). */
export interface Runtime extends ForwardIo {
  store: TableStore<PreparedTable>;
  state: SelectState;
  newVisitorId: () => string;
  log: (line: Record<string, unknown>) => void;
}

/** What a test may replace; everything else gets the production default. */
export interface RuntimeOptions {
  fetcher?: Fetcher;
  now?: () => number;
  rand?: () => number;
  newVisitorId?: () => string;
  log?: (line: Record<string, unknown>) => void;
  store?: TableStore<PreparedTable>;
}

export interface Pipeline {
  /**
   * `url` / `method` are `request.url` / `request.method` when the caller already read them (each
   * read is a call into workerd that makes a new string).
   */
  handle(request: Request, env: Env, ctx: ExecutionContext, url?: string, method?: string): Promise<Response>;
  runtime: Runtime;
  /** The version a request would be served with (a cold isolate loads; a warm one may start a refresh). */
  loadTable(env: Env, ctx: ExecutionContext): Promise<ServedVersion<PreparedTable> | null>;
  /**
   * The whole table of the served version (admin pages): a sharded version is read shard by
   * shard and assembled, outside the data path's shard cache.
   */
  wholeTable(env: Env, ctx: ExecutionContext): Promise<LoadedTable<PreparedTable> | { failed: string } | null>;
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
  faultDelayMs?: number;
}

function matchFields(d: Decision): LogFields {
  const f: LogFields = { kind: d.kind };
  if ("match" in d) {
    f.route = d.match.route.name;
    f.virtualService = d.match.route.virtualService;
    f.vhost = d.match.vhost;
  } else if ("vhost" in d && d.vhost !== undefined) f.vhost = d.vhost;
  if (d.kind === "forward") {
    f.destination = destinationLabel(d.target.destination);
    if (d.variant !== undefined) f.variant = d.variant;
  } else if (d.kind === "clusterNotFound" || d.kind === "noHealthyUpstream") {
    f.destination = destinationLabel(d.destination);
  } else if (d.kind === "badRequest") f.failure = d.reason;
  return f;
}

/** What decideAndAct hands back to handle(). */
interface Acted {
  response: Response;
  fields: LogFields;
  host?: string;
  path?: string;
  decision?: Decision;
  /** How a forwarded request ended (canary counters, src/rollout/counters.ts). */
  outcome?: Outcome;
  /** The version that decided (a host whose new shard cannot be read may keep the previous one). */
  version?: string;
  /** What decided, as the rollout client reads it (the host's shard, or the whole table). */
  decided?: RolloutTable;
}

function outcomeOf(e: Executed): Outcome {
  if (e.failure?.kind === "timeout") return { kind: "timeout" };
  if (e.failure) return { kind: "gatewayError" };
  return { kind: "response", status: e.upstreamStatus ?? e.response.status };
}

function createRuntime(o: RuntimeOptions): Runtime {
  const now = o.now ?? Date.now;
  const log = o.log ?? ((line) => console.log(JSON.stringify(line)));
  return {
    fetcher: o.fetcher ?? fetch,
    now,
    rand: o.rand ?? Math.random,
    clock: realClock,
    state: {},
    newVisitorId: o.newVisitorId ?? (() => crypto.randomUUID()),
    log,
    store: o.store ?? new TableStore<PreparedTable>({ prepare, now, log }),
  };
}

export function createPipeline(options: RuntimeOptions = {}): Pipeline {
  const rt = createRuntime(options);
  /** Settings warnings already logged by this isolate (each once, whichever env object brings it). */
  const warned = new Set<string>();

  function settingsOf(env: Env): Settings {
    const s = settings(env);
    for (const w of s.warnings) {
      if (warned.has(w)) continue;
      warned.add(w);
      rt.log({ ts: new Date(rt.now()).toISOString(), level: "warn", msg: w });
    }
    return s;
  }

  async function decideAndAct(
    served: ServedVersion<PreparedTable>,
    request: Request,
    url: string,
    method: string,
    headers: Headers,
    requestId: RequestId,
    startTime: number,
    env: Env,
    waitUntil: (p: Promise<unknown>) => void,
    s: Settings,
    plane: ReturnType<typeof planeFor>,
  ): Promise<Acted> {
    const facts = factsFromRequest(request, { pathNormalization: s.pathNormalization, url, method, headers });
    if ("error" in facts) {
      if (facts.error === 405) return { response: respond.toResponse(respond.methodNotAllowed(facts.reason)), fields: { kind: "methodNotAllowed", failure: facts.reason } };
      return { response: respond.toResponse(respond.badRequest(facts.reason)), fields: { kind: "badRequest", failure: facts.reason } };
    }
    // What decides for this host: the whole table, or the host's shard (read on first use, one
    // shared read; synchronous when cached). A shard that cannot be read fails only its hosts.
    const found = rt.store.forHost(env.ROUTES, served, facts.scheme, facts.port, facts.host, waitUntil);
    const host = found instanceof Promise ? await found : found;
    if (!host.ok) {
      return {
        response: respond.toResponse(respond.shardUnavailable()),
        fields: { kind: "shardUnavailable", failure: `${host.reason}: ${host.detail}` },
        host: facts.host,
        path: facts.path,
        version: host.version,
      };
    }
    // Canary weights from the state plane (src/state/rollout-client.ts): a table (shard) with
    // Canaries whose views this isolate has not read yet waits for them once, at most the state
    // plane's bound; every later request takes the weights as known, without waiting.
    let rolloutWeights: ReadonlyMap<string, number> | undefined;
    let decided: RolloutTable | undefined;
    if (plane) {
      decided = served.activatedAt !== undefined ? { table: host.table, activatedAt: served.activatedAt } : { table: host.table };
      const wait = plane.rollouts.ready(decided, OBJECT_TIMEOUT_MS);
      if (wait) await wait;
      rolloutWeights = plane.rollouts.weightsFor(host.table);
    }
    const options: Parameters<typeof decide>[2] = { rand: rt.rand, now: startTime, state: rt.state, newVisitorId: rt.newVisitorId };
    if (rolloutWeights) options.rolloutWeights = rolloutWeights;
    const decision = decide(host.prepared, facts, options);
    const fields = matchFields(decision);
    const vars = respond.headerVars(facts, headers, startTime, () => (request.cf?.httpProtocol as string | undefined) ?? "HTTP/1.1");
    // What handle() gets back: one object, its response filled in below.
    const acted: Acted = { response: undefined as unknown as Response, fields, host: facts.host, path: facts.path, decision, version: host.version };
    if (decided) acted.decided = decided;
    // Fault delay runs in the fault filter, before CORS and the router (ISTIO-SEMANTICS §2.1, §2.6).
    if ("delayMs" in decision && decision.delayMs > 0) {
      fields.faultDelayMs = decision.delayMs;
      await sleep(decision.delayMs);
    }
    switch (decision.kind) {
      case "forward": {
        const exchange = { request, headers, method, facts, requestId, vars, waitUntil, settings: s.resilience };
        const executed: Executed = await execute(decision, exchange, rt);
        fields.attempts = executed.attempts;
        fields.upstreamHost = executed.upstreamHost;
        if (executed.upstreamStatus !== undefined) fields.upstreamStatus = executed.upstreamStatus;
        if (executed.failure) fields.failure = executed.failure.detail ?? executed.failure.kind;
        // Retry trail, abandoned retries ("request body streamed once"), mirrors, subrequests.
        if (executed.notes) Object.assign(fields, executed.notes);
        acted.response = executed.response;
        acted.outcome = outcomeOf(executed);
        return acted;
      }
      default:
        acted.response = respond.toResponse(respond.localReply(decision, vars));
        return acted;
    }
  }

  /**
   * The table for this request. With the state plane (env.STATE) the pointer comes from its
   * object first and is re-checked every STATE_REFRESH_SECONDS (src/state/pointer.ts); without
   * it, from KV every CONFIG_REFRESH_SECONDS, as always.
   */
  async function loadTable(env: Env, ctx: ExecutionContext): Promise<ServedVersion<PreparedTable> | null> {
    const s = settingsOf(env);
    return lookupTable(env, (p) => ctx.waitUntil(p), s, planeFor(env, s));
  }

  /** loadTable(), synchronous on a warm isolate (TableStore.lookup): no promise, no await per request. */
  function lookupTable(
    env: Env,
    waitUntil: (p: Promise<unknown>) => void,
    s: Settings,
    plane: ReturnType<typeof planeFor>,
  ): ServedVersion<PreparedTable> | null | Promise<ServedVersion<PreparedTable> | null> {
    const kvRefresh = s.refreshMs;
    if (!plane) return rt.store.lookup(env.ROUTES, kvRefresh, waitUntil, { shardCacheBytes: s.shardCacheBytes });
    return rt.store.lookup(env.ROUTES, Math.min(kvRefresh, plane.settings.refreshMs), waitUntil, { pointerSource: plane.pointerSource, shardCacheBytes: s.shardCacheBytes });
  }

  async function wholeTable(env: Env, ctx: ExecutionContext): Promise<LoadedTable<PreparedTable> | { failed: string } | null> {
    const served = await loadTable(env, ctx);
    return served ? rt.store.whole(env.ROUTES, served) : null;
  }

  async function handle(request: Request, env: Env, ctx: ExecutionContext, url: string = request.url, method: string = request.method): Promise<Response> {
    const startTime = rt.now();
    // Read once: every getter on a workerd Request is a call into the runtime.
    const headers = request.headers;
    // Resolved when first needed: by the forward's header scan, or by a log line.
    const requestId = new RequestId(headers);
    const s = settingsOf(env);
    const plane = planeFor(env, s);
    // One closure per request for every background task it starts.
    const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
    const found = lookupTable(env, waitUntil, s, plane);
    const served = found instanceof Promise ? await found : found;
    let result: Acted;
    if (!served) result = { response: respond.toResponse(respond.noRouteTable()), fields: { kind: "noRouteTable" } };
    else {
      // State plane: shared ejections and health verdicts join load balancing (src/state/health-client.ts).
      if (plane) plane.health.attach(rt.state);
      result = await decideAndAct(served, request, url, method, headers, requestId, startTime, env, waitUntil, s, plane);
      // Batched reports / view refreshes when due: background only, never awaited here.
      if (plane) {
        plane.health.tick(rt.state, (key) => rt.store.clusterOf(served, key), waitUntil);
        // Canary counters (fixed-size, per variant) and weight refreshes (src/state/rollout-client.ts).
        const decided = result.decided;
        if (decided) {
          if (result.decision) plane.rollouts.record(decided, result.decision, result.outcome ?? { kind: "response", status: result.response.status }, rt.now() - startTime);
          plane.rollouts.tick(decided, waitUntil);
        }
      }
    }

    const { response, fields } = result;
    const version = result.version ?? served?.version;
    respond.stamp(response.headers, version !== undefined && s.exposeConfigVersion ? version : undefined);

    // A/B analytics: one data point per request through a sticky split, when the optional
    // Analytics Engine binding exists (writeDataPoint is fire-and-forget; never awaited).
    if (env.AB_ANALYTICS && result.decision) {
      const o = abOutcome(result.decision, {
        status: response.status,
        latencyMs: rt.now() - startTime,
        attempts: fields.attempts ?? 0,
        ...(version !== undefined ? { tableVersion: version } : {}),
      });
      if (o) {
        try {
          env.AB_ANALYTICS.writeDataPoint(analyticsDataPoint(o));
        } catch (e) {
          rt.log({ ts: new Date(startTime).toISOString(), requestId: requestId.value, analyticsError: String(e) });
        }
      }
    }

    // The access line for Workers Logs / `wrangler tail`, as ACCESS_LOG asks (src/access-log.ts).
    // Path without query (queries carry tokens); no header or cookie values. durationMs = until
    // response headers (bodies stream on).
    if (!wantsAccessLog(s.accessLog, fields, response.status, rt.rand)) return response;
    rt.log({
      ts: new Date(startTime).toISOString(),
      requestId: requestId.value,
      method,
      host: result.host ?? null,
      path: result.path ?? null,
      ...fields,
      status: response.status,
      durationMs: rt.now() - startTime,
      configVersion: version ?? null,
    });
    return response;
  }

  return { handle, runtime: rt, loadTable: (env, ctx) => loadTable(env, ctx), wholeTable };
}
