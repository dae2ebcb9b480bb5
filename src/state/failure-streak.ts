/**
 * The last failure of one state-plane client (health views, rollout weights), for the admin report,
 * logged once at the start of each streak: a dead object fails every call, and one line per call
 * would flood the logs. A streak ends after a minute without a failure.
 */
export interface Failure {
  at: number;
  detail: string;
}

export const STREAK_GAP_MS = 60_000;

export class FailureStreak {
  #last: Failure | null = null;
  readonly #msg: string;

  /** `msg` is the log line's message: what failed and what the gateway does instead. */
  constructor(msg: string) {
    this.#msg = msg;
  }

  get last(): Failure | null {
    return this.#last;
  }

  record(err: unknown, now: number, log: (entry: Record<string, unknown>) => void): void {
    const detail = err instanceof Error ? err.message : String(err);
    if (!this.#last || now - this.#last.at > STREAK_GAP_MS) {
      log({ ts: new Date(now).toISOString(), level: "warn", msg: this.#msg, detail });
    }
    this.#last = { at: now, detail };
  }
}
