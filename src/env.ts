/**
 * Bindings and vars of the gateway Worker (wrangler.toml), and `settings(env)`: every var parsed
 * in one place, once per env object (cached by object identity: an env seen again costs a map
 * lookup), into the typed Settings the pipeline passes down. A var with an unusable value keeps
 * its default and says so in `warnings` (logged once per isolate by the pipeline), rather than
 * refusing traffic.
 */
import { retryBufferLimitFromVar } from "./forward/body-buffer.ts";
import { subrequestBudgetFromVar } from "./forward/budget.ts";
import type { ResilienceSettings } from "./forward/resilience.ts";
import { PATH_NORMALIZATIONS, pathNormalizationOf, type PathNormalization } from "./match/path.ts";
import { DEFAULT_SHARD_CACHE_BYTES } from "./store/shard-loader.ts";

export interface Env {
  /** Compiled route tables and the active-version pointer (src/store/keys.ts). */
  ROUTES: KVNamespace;
  /** Seconds between re-checks of the active pointer; "0" = every request (never blocks). Default 30. */
  CONFIG_REFRESH_SECONDS?: string;
  /** "0"/"false"/"off" hides the `x-gateway-config-version` response header. Default on. */
  EXPOSE_CONFIG_VERSION?: string;
  /**
   * Istio pathNormalization: "BASE" (default, Istio's), "MERGE_SLASHES" or
   * "DECODE_AND_MERGE_SLASHES" (src/match/path.ts). What routes match is what origins receive.
   */
  PATH_NORMALIZATION?: string;
  /** Optional Analytics Engine dataset: one data point per request through a sticky A/B split. */
  AB_ANALYTICS?: AnalyticsEngineDataset;
  /** Optional Analytics Engine dataset: one data point per canary rollout event (src/rollout/events.ts). */
  ROLLOUT_ANALYTICS?: AnalyticsEngineDataset;
  /**
   * Optional state plane (src/state, DESIGN.md §11): the GatewayState Durable Object namespace.
   * Absent ⇒ the gateway runs on KV alone, exactly as without it.
   */
  STATE?: DurableObjectNamespace;
  /** With STATE: seconds between re-reads of the pointer object's copy. Default 5. */
  STATE_REFRESH_SECONDS?: string;
  /** Seconds one Cron Trigger run keeps probing in rounds (health checks; 0 = one round). Default 55. */
  HEALTH_CHECK_WINDOW_SECONDS?: string;
  /** With STATE: seconds a location keeps its Cache API copy of a state document; 0 = none. Default 2. */
  STATE_CACHE_SECONDS?: string;
  /**
   * The per-request access log line: "all", "errors" (default: gateway-originated error replies,
   * 5xx, failed or retried upstream exchanges, injected faults) or "off".
   */
  ACCESS_LOG?: string;
  /** With ACCESS_LOG=all: the fraction of other requests logged, 0–1. Default 1. Errors are always logged. */
  ACCESS_LOG_SAMPLE?: string;
  /**
   * Bytes of route-table shards (their stored JSON) an isolate keeps in its LRU (src/store/byte-lru.ts).
   * Default 8388608 (8 MiB). Bounds the isolate's table memory whatever the size of the config.
   */
  SHARD_CACHE_BYTES?: string;
  /** Secret (`wrangler secret put ADMIN_TOKEN`). Absent ⇒ the /__gateway/* admin endpoints answer 404. */
  ADMIN_TOKEN?: string;
  /**
   * Hostnames the admin API and console answer on, comma or space separated (`admin.example.com`,
   * `*.ops.example.com` for any name below it). Empty (default) ⇒ every host routed to the Worker.
   * On any other host `/__gateway/*` answers 404 as if the surface were off.
   */
  ADMIN_HOSTS?: string;
  // Resilience vars (src/forward/resilience.ts), parsed by settings() below:
  /** Max bytes of a request body buffered so it can be retried/mirrored; larger bodies stream once. Default 1048576. */
  RETRY_BUFFER_LIMIT_BYTES?: string;
  /** Max upstream fetches (attempts + mirrors) per request. Default 50 (Free plan limit). */
  SUBREQUEST_BUDGET?: string;
  /** Appended to the host in mirrored copies' x-forwarded-host: "" (default, Istio ≥ 1.28) or "-shadow". */
  MIRROR_SHADOW_HOST_SUFFIX?: string;
}

/** Default pointer re-check interval when the var is missing or not a number. */
export const DEFAULT_CONFIG_REFRESH_SECONDS = 30;

function configRefreshMs(env: Pick<Env, "CONFIG_REFRESH_SECONDS">): number {
  return seconds(env.CONFIG_REFRESH_SECONDS, DEFAULT_CONFIG_REFRESH_SECONDS) * 1000;
}

function exposeConfigVersion(env: Pick<Env, "EXPOSE_CONFIG_VERSION">): boolean {
  const raw = env.EXPOSE_CONFIG_VERSION?.trim().toLowerCase();
  return !(raw === "0" || raw === "false" || raw === "off" || raw === "no");
}

export const ACCESS_LOG_MODES = ["all", "errors", "off"] as const;
export type AccessLogMode = (typeof ACCESS_LOG_MODES)[number];
/**
 * Istio logs no access line by default and Workers Logs already records every invocation (URL,
 * status, duration), so by default the gateway adds a line only where it has something to say.
 */
export const DEFAULT_ACCESS_LOG: AccessLogMode = "errors";

export interface AccessLogSettings {
  mode: AccessLogMode;
  /** Fraction of non-error requests logged when mode is "all" (errors are always logged). */
  sample: number;
}

function accessLog(env: Partial<Env>, warnings: string[]): AccessLogSettings {
  const raw = env.ACCESS_LOG?.trim().toLowerCase();
  let mode = DEFAULT_ACCESS_LOG;
  if (raw !== undefined && raw !== "") {
    if ((ACCESS_LOG_MODES as readonly string[]).includes(raw)) mode = raw as AccessLogMode;
    else warnings.push(`ACCESS_LOG=${JSON.stringify(env.ACCESS_LOG)} is not one of ${ACCESS_LOG_MODES.join(", ")}; using ${DEFAULT_ACCESS_LOG}`);
  }
  const rawSample = env.ACCESS_LOG_SAMPLE?.trim();
  let sample = 1;
  if (rawSample !== undefined && rawSample !== "") {
    const n = Number(rawSample);
    if (Number.isFinite(n) && n >= 0 && n <= 1) sample = n;
    else warnings.push(`ACCESS_LOG_SAMPLE=${JSON.stringify(env.ACCESS_LOG_SAMPLE)} is not a fraction between 0 and 1; using 1`);
  }
  return { mode, sample };
}

/** Default STATE_REFRESH_SECONDS: how often an isolate re-reads the pointer object's copy. */
export const DEFAULT_STATE_REFRESH_SECONDS = 5;
/** Default STATE_CACHE_SECONDS, the per-location TTL of state documents: the "+ 2 s" of the propagation bound. */
export const DEFAULT_STATE_CACHE_SECONDS = 2;
/** Default HEALTH_CHECK_WINDOW_SECONDS: rounds within one Cron minute, ending before the next run. */
export const DEFAULT_HEALTH_CHECK_WINDOW_SECONDS = 55;

/** The state plane's vars (src/state). */
export interface StateSettings {
  /** Pointer re-check period with the state plane (STATE_REFRESH_SECONDS). */
  refreshMs: number;
  /** Per-location copy TTL (STATE_CACHE_SECONDS; 0 = no copy). */
  cacheSeconds: number;
  /** How long one Cron Trigger run keeps probing in rounds (HEALTH_CHECK_WINDOW_SECONDS). */
  healthCheckWindowMs: number;
}

/** A non-negative number of seconds, or `fallback` when the var is missing or not one. */
function seconds(raw: string | undefined, fallback: number): number {
  const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function stateSettings(env: Partial<Env>): StateSettings {
  return {
    refreshMs: seconds(env.STATE_REFRESH_SECONDS, DEFAULT_STATE_REFRESH_SECONDS) * 1000,
    cacheSeconds: seconds(env.STATE_CACHE_SECONDS, DEFAULT_STATE_CACHE_SECONDS),
    healthCheckWindowMs: seconds(env.HEALTH_CHECK_WINDOW_SECONDS, DEFAULT_HEALTH_CHECK_WINDOW_SECONDS) * 1000,
  };
}

/** Below this the cache could not hold one typical shard; a smaller value is a typo. */
const MIN_SHARD_CACHE_BYTES = 64 * 1024;

function shardCacheBytes(env: Partial<Env>, warnings: string[]): number {
  const raw = env.SHARD_CACHE_BYTES?.trim();
  if (raw === undefined || raw === "") return DEFAULT_SHARD_CACHE_BYTES;
  const n = Number(raw);
  if (Number.isSafeInteger(n) && n >= MIN_SHARD_CACHE_BYTES) return n;
  warnings.push(`SHARD_CACHE_BYTES=${JSON.stringify(env.SHARD_CACHE_BYTES)} is not a whole number of bytes ≥ ${MIN_SHARD_CACHE_BYTES}; using ${DEFAULT_SHARD_CACHE_BYTES}`);
  return DEFAULT_SHARD_CACHE_BYTES;
}

/** ADMIN_HOSTS parsed: exact names and `*.` suffixes (each with its leading dot), lower case. */
export interface AdminHosts {
  exact: ReadonlySet<string>;
  suffixes: readonly string[];
}

/** A DNS name as a Host header can carry it: labels of letters, digits, hyphens (and `_`, seen in the wild). */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function adminHosts(env: Partial<Env>, warnings: string[]): AdminHosts | null {
  const raw = env.ADMIN_HOSTS?.trim();
  if (raw === undefined || raw === "") return null;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of raw.toLowerCase().split(/[\s,]+/)) {
    if (entry === "") continue;
    const wildcard = entry.startsWith("*.");
    const name = wildcard ? entry.slice(2) : entry.replace(/\.$/, "");
    if (!HOSTNAME.test(name)) {
      // Fail closed: a typo narrows the surface, never widens it (with no valid entry it answers nowhere).
      warnings.push(`ADMIN_HOSTS entry ${JSON.stringify(entry)} is not a hostname or *.hostname; ignored`);
      continue;
    }
    if (wildcard) suffixes.push(`.${name}`);
    else exact.add(name);
  }
  if (exact.size === 0 && suffixes.length === 0) warnings.push(`ADMIN_HOSTS=${JSON.stringify(env.ADMIN_HOSTS)} names no valid host; the admin surface answers on none`);
  return { exact, suffixes };
}

/** May the admin surface answer a request for `host` (the URL's hostname)? */
export function adminHostAllowed(allowed: AdminHosts | null, host: string): boolean {
  if (allowed === null) return true;
  const name = host.toLowerCase().replace(/\.$/, "");
  return allowed.exact.has(name) || allowed.suffixes.some((s) => name.endsWith(s));
}

export interface Settings {
  /** CONFIG_REFRESH_SECONDS in ms. */
  refreshMs: number;
  exposeConfigVersion: boolean;
  pathNormalization: PathNormalization;
  resilience: ResilienceSettings;
  accessLog: AccessLogSettings;
  state: StateSettings;
  /** SHARD_CACHE_BYTES: bound of the in-isolate shard cache, in bytes of stored shard JSON. */
  shardCacheBytes: number;
  /** ADMIN_HOSTS: where the admin surface answers; null = every host. */
  adminHosts: AdminHosts | null;
  /** Vars whose value was not understood, each naming the default kept. */
  warnings: string[];
}

function parse(env: Partial<Env>): Settings {
  const warnings: string[] = [];
  const raw = env.PATH_NORMALIZATION;
  const pathNormalization = pathNormalizationOf(raw);
  // A typo in a security setting must not pass silently.
  if (raw !== undefined && raw.trim() !== "" && raw.trim().toUpperCase() !== pathNormalization) {
    warnings.push(`PATH_NORMALIZATION=${JSON.stringify(raw)} is not one of ${PATH_NORMALIZATIONS.join(", ")}; using BASE`);
  }
  return {
    refreshMs: configRefreshMs(env),
    exposeConfigVersion: exposeConfigVersion(env),
    pathNormalization,
    resilience: {
      retryBufferLimitBytes: retryBufferLimitFromVar(env.RETRY_BUFFER_LIMIT_BYTES),
      subrequestBudget: subrequestBudgetFromVar(env.SUBREQUEST_BUDGET),
      mirrorShadowHostSuffix: (env.MIRROR_SHADOW_HOST_SUFFIX ?? "").trim(),
    },
    accessLog: accessLog(env, warnings),
    state: stateSettings(env),
    shardCacheBytes: shardCacheBytes(env, warnings),
    adminHosts: adminHosts(env, warnings),
    warnings,
  };
}

const parsed = new WeakMap<object, Settings>();

/** The settings of `env`, parsed on first use (a cache keyed by the env object, not state). */
export function settings(env: Partial<Env>): Settings {
  let s = parsed.get(env);
  if (s === undefined) parsed.set(env, (s = parse(env)));
  return s;
}
