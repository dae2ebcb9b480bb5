/**
 * Traffic mirroring (VirtualService `mirror` / `mirrors`, ISTIO-SEMANTICS §2.7): fire and forget.
 *
 * decide() already rolled each mirror's percentage and chose its endpoint; here each one is sent
 * through `ctx.waitUntil`, so the client's response never waits for it, and its response is
 * discarded (body cancelled unread). The copy is the primary's first attempt as planned — after
 * route and destination header operations and rewrites — with `x-envoy-attempt-count: 1`.
 *
 * - Body: only a replayable (buffered, ≤ RETRY_BUFFER_LIMIT_BYTES) body is mirrored; a larger
 *   one is not (Envoy abandons shadowing past its buffer limit).
 * - Budget: each mirror is a subrequest; it is sent only if the primary's possible attempts still
 *   fit in the budget afterwards.
 * - Timeout: the route `timeout` bounds a mirror (Envoy uses the global timeout for shadows);
 *   without one, Workers bound `waitUntil` work (about 30 s after the response).
 * - Host: Istio ≥ 1.28 keeps the Host of the copy; Envoy before that appended `-shadow`
 *   (`foo:8080` → `foo-shadow:8080`). A Worker cannot choose the Host header, and at the edge the
 *   client's authority travels in `x-forwarded-host` (authority.ts), so MIRROR_SHADOW_HOST_SUFFIX
 *   (e.g. "-shadow") is appended to the host part of `x-forwarded-host` of mirrored copies.
 */
import type { ForwardDecision, UpstreamTarget } from "../decision.ts";
import type { Fetcher } from "./attempt.ts";
import { upstreamAddress } from "./authority.ts";
import type { RequestBody } from "./body-buffer.ts";
import type { SubrequestBudget } from "./budget.ts";
import { Deadline, realClock, type Clock } from "./timeouts.ts";
import { configuredAuthority, requestInit, type UpstreamPlan } from "./upstream-request.ts";

export interface MirrorDeps {
  fetcher?: Fetcher;
  budget: SubrequestBudget;
  /** Subrequests the primary may still need (its maximum attempts). */
  reserve: number;
  waitUntil: (p: Promise<unknown>) => void;
  /** "" = keep the host (Istio ≥ 1.28); "-shadow" = pre-1.28 behaviour. */
  shadowHostSuffix: string;
  routeTimeoutMs?: number;
  clock?: Clock;
  log?: (line: Record<string, unknown>) => void;
}

export type MirrorSkip = "request body over the buffer limit" | "subrequest budget exhausted";

export interface MirrorReport {
  sent: string[];
  skipped: Array<{ host: string; reason: MirrorSkip }>;
}

/** `foo` → `foo-shadow`, `foo:8080` → `foo-shadow:8080`, `[::1]:80` → `[::1]-shadow:80` (Envoy shadow host). */
export function shadowHost(authority: string, suffix: string): string {
  if (suffix === "") return authority;
  const close = authority.lastIndexOf("]");
  const colon = authority.lastIndexOf(":");
  if (colon > close && colon !== -1) return authority.slice(0, colon) + suffix + authority.slice(colon);
  return authority + suffix;
}

/** The request a mirror sends: the primary's plan aimed at the mirror endpoint. */
export function mirrorPlan(plan: UpstreamPlan, decision: ForwardDecision, target: UpstreamTarget, suffix: string): UpstreamPlan {
  const addr = upstreamAddress(target.url, configuredAuthority(decision));
  const headers = new Headers(plan.headers);
  const xfh = headers.get("x-forwarded-host");
  if (suffix !== "" && xfh !== null) headers.set("x-forwarded-host", shadowHost(xfh, suffix));
  const out: UpstreamPlan = { ...plan, url: addr.url, host: addr.host, headers, body: null };
  if (addr.resolveOverride) out.resolveOverride = addr.resolveOverride;
  else delete out.resolveOverride;
  return out;
}

export function sendMirrors(decision: ForwardDecision, plan: UpstreamPlan, body: RequestBody, deps: MirrorDeps): MirrorReport {
  const report: MirrorReport = { sent: [], skipped: [] };
  for (const target of decision.mirrors) {
    const mp = mirrorPlan(plan, decision, target, deps.shadowHostSuffix);
    if (!body.replayable) {
      report.skipped.push({ host: mp.host, reason: "request body over the buffer limit" });
      continue;
    }
    if (!deps.budget.takeSpare(deps.reserve, "mirror")) {
      report.skipped.push({ host: mp.host, reason: "subrequest budget exhausted" });
      continue;
    }
    report.sent.push(mp.host);
    deps.waitUntil(sendOne(mp, body, deps));
  }
  return report;
}

async function sendOne(plan: UpstreamPlan, body: RequestBody, deps: MirrorDeps): Promise<void> {
  const deadline = new Deadline(deps.routeTimeoutMs, deps.clock ?? realClock);
  const fetcher = deps.fetcher ?? fetch;
  try {
    const res = await fetcher(plan.url, requestInit(plan, { attempt: 1, body: body.forAttempt(), signal: deadline.signal }));
    // Discarded unread: cancelling frees the connection without downloading the body.
    await res.body?.cancel().catch(() => undefined);
  } catch (err) {
    deps.log?.({
      level: "warn",
      msg: "mirror request failed",
      host: plan.host,
      error: deadline.expired ? "route timeout" : err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
  } finally {
    deadline.clear();
  }
}
