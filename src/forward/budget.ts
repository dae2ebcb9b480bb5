/**
 * Subrequest budget: every upstream attempt, retry and mirror is a Workers subrequest, and a
 * Worker invocation may make only so many (Free plan: 50 per request; Paid: 10,000 in current Cloudflare limits).
 * Going over makes `fetch()` throw "Too many subrequests" — which would surface as a confusing
 * 503 — so the gateway counts its own fetches per request and never starts one past the budget
 * (DESIGN.md §6). A retry that does not fit is simply not made (like Envoy's `max_retries`
 * circuit breaker overflow: the last outcome is returned); a mirror that does not fit is skipped.
 *
 * Mirrors never eat into what the primary may still need: `takeSpare(reserve)` only grants a
 * subrequest when `reserve` more remain afterwards (the retries the primary could still make).
 */

/** Default when SUBREQUEST_BUDGET is unset: the Free plan's per-request subrequest limit. */
export const DEFAULT_SUBREQUEST_BUDGET = 50;

/** Parse the SUBREQUEST_BUDGET var: a positive integer, else the default. */
export function subrequestBudgetFromVar(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_SUBREQUEST_BUDGET;
  const n = Number(raw.trim());
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_SUBREQUEST_BUDGET;
}

export type SubrequestKind = "attempt" | "mirror" | "redirect";

export class SubrequestBudget {
  readonly limit: number;
  #used = 0;
  readonly #byKind: Record<SubrequestKind, number> = { attempt: 0, mirror: 0, redirect: 0 };
  #denied = 0;

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  get used(): number {
    return this.#used;
  }

  get remaining(): number {
    return this.limit - this.#used;
  }

  /** Subrequests refused so far (for the request log). */
  get denied(): number {
    return this.#denied;
  }

  usedBy(kind: SubrequestKind): number {
    return this.#byKind[kind];
  }

  /** Take one subrequest for the primary path (attempts, retries). false ⇒ do not fetch. */
  take(kind: SubrequestKind = "attempt"): boolean {
    return this.takeSpare(0, kind);
  }

  /**
   * Take one subrequest only if at least `reserve` remain afterwards (mirrors reserve the
   * primary's remaining attempts). false ⇒ do not fetch.
   */
  takeSpare(reserve: number, kind: SubrequestKind = "mirror"): boolean {
    if (this.remaining - 1 < Math.max(0, reserve)) {
      this.#denied++;
      return false;
    }
    this.#used++;
    this.#byKind[kind]++;
    return true;
  }
}
