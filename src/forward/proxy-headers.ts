/**
 * Headers the gateway itself adds to an upstream request (ISTIO-SEMANTICS §2.3), and the
 * client-supplied ones it must not trust.
 */

/** Envoy control headers (`x-envoy-retry-on`, `x-envoy-max-retries`, `x-envoy-upstream-rq-timeout-ms`, …)
 * are honoured only from trusted peers; from the Internet none of them may reach the router or the
 * origin, so every `x-envoy-*` request header from the client is dropped. */
export function stripEnvoyControlHeaders(headers: Headers): void {
  const doomed: string[] = [];
  for (const [name] of headers) if (name.startsWith("x-envoy-")) doomed.push(name);
  for (const name of doomed) headers.delete(name);
}

/** A client x-request-id is kept only when it looks like an id (printable ASCII, bounded). */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Keeps an incoming `x-request-id` (so a trace started by the client or an outer proxy continues),
 * else generates one. Envoy replaces ids from external clients; we keep them by design (DESIGN §6).
 */
export function requestIdOf(headers: Headers, generate: () => string = () => crypto.randomUUID()): string {
  const incoming = headers.get("x-request-id");
  return incoming !== null && REQUEST_ID.test(incoming) ? incoming : generate();
}

/**
 * A request's id (requestIdOf), resolved once, when first needed. A forwarded request's one scan
 * of the header names (upstream-request.ts) already says whether the client sent `x-request-id`;
 * when it did not (the usual case) the id is generated without a lookup, which is a call into the
 * runtime (~4 k instructions in workerd). A request that is neither forwarded nor logged never
 * resolves it. Either way the id is the one requestIdOf gives, and the same wherever it is used.
 */
export class RequestId {
  #value: string | undefined;
  readonly #headers: Headers;
  readonly #generate: () => string;

  constructor(headers: Headers, generate: () => string = () => crypto.randomUUID()) {
    this.#headers = headers;
    this.#generate = generate;
  }

  /** The id (looks up `x-request-id` on first use). */
  get value(): string {
    return (this.#value ??= requestIdOf(this.#headers, this.#generate));
  }

  /** The id, when the caller knows whether the headers hold an `x-request-id` (`present`). */
  known(present: boolean): string {
    return (this.#value ??= present ? requestIdOf(this.#headers, this.#generate) : this.#generate());
  }
}

export interface ProxyHeaderFacts {
  clientIp?: string;
  scheme: "http" | "https";
  /** Host header exactly as the client sent it. */
  originalAuthority: string;
  requestId: string;
}

/**
 * x-forwarded-for: the client address is appended (Envoy `use_remote_address`, 0 trusted hops),
 * unless it is already the last entry (Cloudflare may have appended it before the Worker runs).
 * x-forwarded-proto: overwritten from the downstream scheme (nothing from the client is trusted).
 * x-forwarded-host: the client's Host, always — the origin sees its own host by default (authority.ts).
 */
export function setForwardingHeaders(headers: Headers, f: ProxyHeaderFacts, xffPresent = true): void {
  if (f.clientIp) {
    // `xffPresent: false` (the caller saw no x-forwarded-for) spares a lookup: each Headers call
    // crosses into the runtime (~3 k instructions in workerd).
    const xff = xffPresent ? headers.get("x-forwarded-for") : null;
    const last = xff?.split(",").pop()?.trim();
    if (!xff) headers.set("x-forwarded-for", f.clientIp);
    else if (last !== f.clientIp) headers.set("x-forwarded-for", `${xff}, ${f.clientIp}`);
  }
  headers.set("x-forwarded-proto", f.scheme);
  headers.set("x-forwarded-host", f.originalAuthority);
  headers.set("x-request-id", f.requestId);
}
