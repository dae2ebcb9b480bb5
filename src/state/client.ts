/**
 * The isolate's side of the state plane (DESIGN.md §11): how a Worker talks to the GatewayState
 * objects, under the three rules — never on the request path, load independent of the number of
 * isolates, every object may be slow or gone.
 *
 *  - `call(name, path, init)`: one bounded request to the object named `name` (timeout ⇒ throws;
 *    callers run it in `waitUntil` and keep what they last knew);
 *  - `cachedRead(name, path)`: a read through this location's Cache API copy (location-cache.ts):
 *    at most ~one object read per location per `cacheSeconds`;
 *  - the pointer source (pointer.ts) the table store consults before KV's pointer.
 *
 * Roles reuse this plumbing: an object name (names.ts), a route in object.ts, reads with
 * `cachedRead`, batched reports with `call` in waitUntil (health-client.ts, rollout-client.ts).
 *
 * One StatePlane per isolate and binding (planeFor): created on the first request that sees the
 * `STATE` binding; absent binding ⇒ null ⇒ the gateway behaves exactly as without a state plane.
 */
import type { Env, Settings, StateSettings } from "../env.ts";
import type { ActivePointer } from "../store/keys.ts";
import { cachedJson, defaultCache, storeJson, type CacheLike } from "./location-cache.ts";
import { createPointerSource, OBJECT_BACKOFF_MS, OBJECT_TIMEOUT_MS, type StatePointerSource } from "./pointer.ts";
import { POINTER_OBJECT } from "./names.ts";
import { HealthClient } from "./health-client.ts";
import { RolloutClient } from "./rollout-client.ts";

/** What the Worker needs of a Durable Object namespace (a fake in unit tests). */
export interface StateNamespace {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** KV's pointer is re-read at least this rarely while the object answers (unless CONFIG_REFRESH_SECONDS is 0). */
export const KV_RECHECK_FLOOR_MS = 30_000;

export class StateTimeout extends Error {}

export interface StatePlaneDeps {
  now?: () => number;
  cache?: CacheLike | null;
  log?: (entry: Record<string, unknown>) => void;
}

export class StatePlane {
  readonly ns: StateNamespace;
  readonly cache: CacheLike | null;
  readonly now: () => number;
  readonly log: (entry: Record<string, unknown>) => void;
  #settings: StateSettings;
  #pointer: StatePointerSource;
  /** Shared endpoint health (health-client.ts). */
  readonly health: HealthClient;
  /** Canary rollouts: weights for decide, per-variant counters (rollout-client.ts). */
  readonly rollouts: RolloutClient;

  constructor(ns: StateNamespace, settings: StateSettings, kvRecheckMs: number, deps: StatePlaneDeps = {}) {
    this.ns = ns;
    this.#settings = settings;
    this.now = deps.now ?? Date.now;
    this.cache = deps.cache === undefined ? defaultCache() : deps.cache;
    this.log = deps.log ?? ((e) => console.log(JSON.stringify(e)));
    this.#pointer = createPointerSource({
      readObject: ({ timeoutMs }) => this.cachedRead<{ pointer: ActivePointer | null }>(POINTER_OBJECT, "/pointer", timeoutMs).then((r) => r.pointer),
      now: this.now,
      kvRecheckMs,
      objectTimeoutMs: OBJECT_TIMEOUT_MS,
      objectBackoffMs: OBJECT_BACKOFF_MS,
      log: this.log,
    });
    this.health = new HealthClient(this);
    this.rollouts = new RolloutClient(this);
  }

  get settings(): StateSettings {
    return this.#settings;
  }

  get pointerSource() {
    return this.#pointer.source;
  }

  pointerStatus() {
    return this.#pointer.status();
  }

  /** One bounded request to an object; non-2xx and timeouts throw. */
  async call<T>(name: string, path: string, init: RequestInit = {}, timeoutMs = OBJECT_TIMEOUT_MS): Promise<T> {
    const stub = this.ns.get(this.ns.idFromName(name) as never);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StateTimeout(`state object ${name} did not answer ${path} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const res = await Promise.race([stub.fetch(`https://state${path}`, init), timeout]);
      const body = (await Promise.race([res.json(), timeout])) as T & { error?: string };
      if (!res.ok) throw new Error(`state object ${name} ${path}: ${res.status} ${body?.error ?? ""}`.trim());
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A read through this location's copy (at most ~one object read per location per TTL). */
  cachedRead<T>(name: string, path: string, timeoutMs = OBJECT_TIMEOUT_MS): Promise<T> {
    return cachedJson(this.cache, `${name}${path}`, this.#settings.cacheSeconds, () => this.call<T>(name, path, {}, timeoutMs));
  }

  /** After a write: refresh this location's copy so it is visible here at once. */
  async storeCopy(name: string, path: string, value: unknown): Promise<void> {
    await storeJson(this.cache, `${name}${path}`, this.#settings.cacheSeconds, value);
  }
}

const planes = new WeakMap<object, StatePlane>();

/**
 * This isolate's plane for `env.STATE` with `s` = settings(env), or null without the binding.
 * KV's pointer is re-read every max(CONFIG_REFRESH_SECONDS, 30 s), or on every refresh when 0.
 */
export function planeFor(env: Env, s: Pick<Settings, "refreshMs" | "state">, deps?: StatePlaneDeps): StatePlane | null {
  const ns = env.STATE as unknown as StateNamespace | undefined;
  if (!ns) return null;
  let p = planes.get(ns);
  if (!p) {
    const kvRecheckMs = s.refreshMs === 0 ? 0 : Math.max(s.refreshMs, KV_RECHECK_FLOOR_MS);
    planes.set(ns, (p = new StatePlane(ns, s.state, kvRecheckMs, deps)));
  }
  return p;
}
