/**
 * Route and per-try timeouts as AbortSignals (ISTIO-SEMANTICS §2.4).
 *
 * - The route `timeout` (Deadline) starts when the first attempt is about to be sent — after a
 *   replayable body was read, as Envoy starts it once the downstream request is complete — and
 *   covers every attempt and back-off. It stays armed after response headers: if it fires while
 *   the body is still streaming, the upstream fetch is aborted and the client's response is cut
 *   (Envoy resets the stream). Without a route timeout nothing is armed (Istio default: none).
 * - A per-try timeout (AttemptSignal) bounds one attempt until its response headers arrive;
 *   the loop disarms it then. It is linked to the Deadline, so a route timeout also aborts the
 *   attempt in flight.
 */

export type TimerFn = (fn: () => void, ms: number) => unknown;
export type ClearTimerFn = (handle: unknown) => void;

export interface Clock {
  setTimer: TimerFn;
  clearTimer: ClearTimerFn;
}

export const realClock: Clock = {
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * The route timeout of one request. Without a timeout nothing is allocated (no AbortController,
 * no timer): `armed` is false and the retry loop then runs its attempts without signals.
 */
export class Deadline {
  #controller: AbortController | undefined;
  readonly #clock: Clock;
  #handle: unknown;
  #expired = false;
  readonly armed: boolean;

  constructor(timeoutMs: number | undefined, clock: Clock = realClock) {
    this.#clock = clock;
    this.armed = timeoutMs !== undefined && timeoutMs > 0;
    if (this.armed) {
      const controller = (this.#controller = new AbortController());
      this.#handle = clock.setTimer(() => {
        this.#expired = true;
        controller.abort(new DOMException("route timeout", "TimeoutError"));
      }, timeoutMs!);
    }
  }

  /** Aborts when the route timeout fires (never, without a timeout). */
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** true once the route timeout fired. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Disarm (response complete, or the request ended another way). */
  clear(): void {
    if (this.#handle !== undefined) this.#clock.clearTimer(this.#handle);
    this.#handle = undefined;
  }
}

/** One attempt's signal: aborts on its per-try timeout (until disarmed) or on the Deadline. */
export class AttemptSignal {
  readonly #controller = new AbortController();
  readonly #clock: Clock;
  #handle: unknown;
  #perTryFired = false;
  readonly #onRoute: () => void;
  readonly #route: AbortSignal;

  constructor(perTryTimeoutMs: number | undefined, route: AbortSignal, clock: Clock = realClock) {
    this.#clock = clock;
    this.#route = route;
    this.#onRoute = () => this.#controller.abort(route.reason);
    if (route.aborted) this.#controller.abort(route.reason);
    else route.addEventListener("abort", this.#onRoute, { once: true });
    if (perTryTimeoutMs !== undefined && perTryTimeoutMs > 0 && !route.aborted) {
      this.#handle = clock.setTimer(() => {
        this.#perTryFired = true;
        this.#controller.abort(new DOMException("per-try timeout", "TimeoutError"));
      }, perTryTimeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** true when this attempt was ended by its per-try timeout (not the route timeout). */
  get perTryTimedOut(): boolean {
    return this.#perTryFired;
  }

  /** Response headers arrived: the per-try timeout no longer applies (the route one still does). */
  disarmPerTry(): void {
    if (this.#handle !== undefined) this.#clock.clearTimer(this.#handle);
    this.#handle = undefined;
  }

  /** The attempt is finished with (discarded or failed): drop the link to the route signal. */
  release(): void {
    this.disarmPerTry();
    this.#route.removeEventListener("abort", this.#onRoute);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (back-off must not outlive the route timeout). */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = realClock): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimer(handle);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const handle = clock.setTimer(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export const ABORTED: unique symbol = Symbol("aborted");

/**
 * Settles with `p`, or with ABORTED as soon as `signal` aborts — so a hung origin cannot hold
 * the loop even if a fetch implementation ignored the signal.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * The route timeout covers the whole response (Envoy: until the upstream response is complete;
 * after headers a timeout resets the stream). workerd does not abort a response body when the
 * fetch signal fires after the response was returned, so the body is relayed through a stream
 * that errors at the deadline (the client sees a cut-off body) and cancels the upstream body.
 * Only routes with a `timeout` pay for this JS relay; the Deadline is cleared when the body ends.
 */
export function boundBody(response: Response, deadline: Deadline): Response {
  if (response.body === null) {
    deadline.clear();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await raceAbort(reader.read(), deadline.signal);
        if (r === ABORTED) {
          void reader.cancel("route timeout").catch(() => undefined);
          controller.error(new DOMException("upstream request timeout", "TimeoutError"));
        } else if (r.done) {
          deadline.clear();
          controller.close();
        } else {
          controller.enqueue(r.value);
        }
      } catch (err) {
        deadline.clear();
        controller.error(err);
      }
    },
    cancel(reason) {
      deadline.clear();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
