/**
 * GatewayState: the state plane's Durable Object class (DESIGN.md §11), bound as `STATE`.
 *
 * One class, several roles by object name (src/state/names.ts):
 *  - `pointer`            the active-version pointer (fast activation, issue #13.1);
 *  - `health/<cluster>`   one cluster's shared endpoint health: outlier detection across
 *                         isolates and active health-check verdicts (#13.3, #13.4; health-object.ts).
 *  - `rollout/<ns/name>`  one Canary's rollout (#14; rollout-object.ts): its state, the counters
 *                         isolates flush, the alarm that judges each interval. Its events go to
 *                         the log and, when bound, the ROLLOUT_ANALYTICS dataset.
 * The plumbing (binding, location-cached reads, batched reports) is shared.
 *
 * The protocol is JSON over the stub's fetch (`https://state/<route>`), not RPC: a plain class
 * needs no `cloudflare:workers` import, so the entry module stays importable in Node (the unit
 * tier imports worker.ts) and the object's logic is unit-testable with a fake storage.
 * Every request is one billed Durable Object request; the callers batch and cache (client.ts).
 */
import type { ActivePointer } from "../store/keys.ts";
import { ClusterHealth, handleHealth, type HealthStorage } from "./health-object.ts";
import { eventDataPoint, eventLogLine } from "../rollout/events.ts";
import { RolloutRunner, handleRollout, type RolloutRecord } from "./rollout-object.ts";
import type { RolloutState } from "../rollout/judge.ts";

/** The part of DurableObjectState this class uses (a fake in unit tests). */
export interface StateStorage extends HealthStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** What the object uses of its env: the optional rollout-events dataset. */
export interface StateEnv {
  ROLLOUT_ANALYTICS?: { writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void };
}

const POINTER_KEY = "pointer";

export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

/** A pointer as the admin API and the CLI send it: checked field by field (no zod in the Worker). */
export function asPointer(v: unknown): ActivePointer | string {
  if (!v || typeof v !== "object") return "expected a JSON object";
  const p = v as Record<string, unknown>;
  if (typeof p.version !== "string" || !/^[A-Za-z0-9._-]{1,128}$/.test(p.version)) return "version: expected the content hash of a pushed version";
  if (typeof p.activatedAt !== "string" || !Number.isFinite(Date.parse(p.activatedAt))) return "activatedAt: expected an ISO date";
  if (p.reason !== "push" && p.reason !== "rollback") return 'reason: expected "push" or "rollback"';
  return { version: p.version, activatedAt: p.activatedAt, reason: p.reason };
}

export class GatewayState {
  readonly #storage: StateStorage;
  /** The pointer, kept in memory once read (the object is its only writer). */
  #pointer: ActivePointer | null | undefined;
  #health: ClusterHealth | undefined;
  #rollout: RolloutRunner | undefined;
  readonly #env: StateEnv;
  /** Requests served per route since this instance started (admin/bench: the object's load). */
  readonly #served: Record<string, number> = {};

  constructor(state: { storage: StateStorage }, env?: StateEnv) {
    this.#storage = state.storage;
    this.#env = env ?? {};
  }

  #rolloutRunner(): RolloutRunner {
    this.#rollout ??= new RolloutRunner(this.#storage, (s, r) => this.#rolloutEvent(s, r));
    return this.#rollout;
  }

  /** Each rollout event: one JSON log line, and a data point when ROLLOUT_ANALYTICS is bound. */
  #rolloutEvent(state: RolloutState, r: RolloutRecord): void {
    const ctx = { specHash: r.spec.specHash, virtualService: r.target.virtualService, rule: r.target.rule };
    console.log(JSON.stringify(eventLogLine(state, ctx)));
    try {
      this.#env.ROLLOUT_ANALYTICS?.writeDataPoint(eventDataPoint(state, ctx));
    } catch (err) {
      console.log(JSON.stringify({ ts: new Date().toISOString(), level: "warn", msg: "rollout event: analytics write failed", error: String(err) }));
    }
  }

  /** Durable Object alarm: only rollouts set one (the end of an interval). */
  async alarm(): Promise<void> {
    await this.#rolloutRunner().alarm(Date.now());
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.#served[url.pathname] = (this.#served[url.pathname] ?? 0) + 1;
    try {
      if (url.pathname === "/pointer") return await this.#pointerRoute(request);
      if (url.pathname.startsWith("/health/")) {
        this.#health ??= new ClusterHealth(this.#storage);
        return await handleHealth(this.#health, url.pathname.slice("/health/".length), request, Date.now());
      }
      if (url.pathname.startsWith("/rollout/")) {
        return await handleRollout(this.#rolloutRunner(), url.searchParams.get("name") ?? "", url.pathname.slice("/rollout/".length), request, Date.now());
      }
      if (url.pathname === "/stats") return json({ served: this.#served });
      return json({ error: `no state route ${url.pathname}` }, 404);
    } catch (err) {
      return json({ error: err instanceof Error ? err.message : String(err) }, 500);
    }
  }

  async #pointerRoute(request: Request): Promise<Response> {
    if (this.#pointer === undefined) this.#pointer = (await this.#storage.get<ActivePointer>(POINTER_KEY)) ?? null;
    switch (request.method) {
      case "GET":
        return json({ pointer: this.#pointer });
      case "PUT": {
        const p = asPointer(await request.json().catch(() => null));
        if (typeof p === "string") return json({ error: p }, 400);
        const previous = this.#pointer;
        await this.#storage.put(POINTER_KEY, p);
        this.#pointer = p;
        return json({ pointer: p, previous });
      }
      case "DELETE": {
        await this.#storage.delete(POINTER_KEY);
        const previous = this.#pointer;
        this.#pointer = null;
        return json({ pointer: null, previous });
      }
      default:
        return json({ error: "method not allowed" }, 405);
    }
  }
}
