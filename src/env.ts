/**
 * Bindings and vars of the gateway Worker (wrangler.toml). Vars arrive as strings; the helpers
 * below turn them into typed settings once per request (cheap: no parsing libraries).
 */
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
  /**
   * Optional state plane (src/state, DESIGN.md §11): the GatewayState Durable Object namespace.
   * Absent ⇒ the gateway runs on KV alone, exactly as without it.
   */
  STATE?: DurableObjectNamespace;
  /** With STATE: seconds between re-reads of the pointer object's copy. Default 5. */
  STATE_REFRESH_SECONDS?: string;
  /** With STATE: seconds a location keeps its Cache API copy of a state document; 0 = none. Default 2. */
  STATE_CACHE_SECONDS?: string;
  /** Secret (`wrangler secret put ADMIN_TOKEN`). Absent ⇒ the /__gateway/* admin endpoints answer 404. */
  ADMIN_TOKEN?: string;
  // Resilience vars, parsed by src/forward/resilience.ts (resilienceSettings):
  /** Max bytes of a request body buffered so it can be retried/mirrored; larger bodies stream once. Default 1048576. */
  RETRY_BUFFER_LIMIT_BYTES?: string;
  /** Max upstream fetches (attempts + mirrors) per request. Default 50 (Free plan limit). */
  SUBREQUEST_BUDGET?: string;
  /** Appended to the host in mirrored copies' x-forwarded-host: "" (default, Istio ≥ 1.28) or "-shadow". */
  MIRROR_SHADOW_HOST_SUFFIX?: string;
}

/** Default pointer re-check interval when the var is missing or not a number. */
export const DEFAULT_CONFIG_REFRESH_SECONDS = 30;

export function configRefreshMs(env: Pick<Env, "CONFIG_REFRESH_SECONDS">): number {
  const raw = env.CONFIG_REFRESH_SECONDS;
  const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return (Number.isFinite(n) && n >= 0 ? n : DEFAULT_CONFIG_REFRESH_SECONDS) * 1000;
}

export function exposeConfigVersion(env: Pick<Env, "EXPOSE_CONFIG_VERSION">): boolean {
  const raw = env.EXPOSE_CONFIG_VERSION?.trim().toLowerCase();
  return !(raw === "0" || raw === "false" || raw === "off" || raw === "no");
}
