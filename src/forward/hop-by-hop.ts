/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy removes them in
 * both directions: `Connection` and every header it lists, plus the well-known ones below.
 *
 * Decisions:
 * - `Upgrade` (and `Connection: upgrade`) survive only on a WebSocket upgrade request and its 101
 *   answer (Istio enables `upgrade_configs: websocket` on gateways); other upgrades (h2c) are dropped.
 * - `Proxy-Authorization` / `Proxy-Authenticate` are credentials for *this* proxy hop: a gateway
 *   that does not authenticate proxies must not leak them to the origin or the client.
 * - `TE: trailers` is also dropped: Workers' fetch negotiates its own transfer with the origin.
 */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "http2-settings",
] as const;

/** The same names as a set, for a one-pass scan of a header list (upstream-request.ts). */
export const HOP_BY_HOP_NAMES: ReadonlySet<string> = new Set(HOP_BY_HOP);

/**
 * Hop-by-hop names that workerd never sends to the client on a Worker's response, whatever the
 * Response object holds: its HTTP layer writes its own `Connection` / `Transfer-Encoding` framing
 * and drops `Keep-Alive`, `TE`, `Trailer` and `Upgrade` (measured with a real origin sending each
 * of them; test/e2e/hop-by-hop-response.test.ts keeps checking it). The `fetch()` response the
 * Worker reads still carries them, so only the other names need a delete there.
 */
export const RUNTIME_DROPPED_RESPONSE: ReadonlySet<string> = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

/** The hop-by-hop names workerd would pass through to the client: `Proxy-Connection`, `Proxy-Authenticate`, … */
const RESPONSE_DELETES = HOP_BY_HOP.filter((name) => !RUNTIME_DROPPED_RESPONSE.has(name));

/** A `Connection` header's tokens that name headers to remove (never `host` or `content-length`). */
export function connectionListed(connection: string): string[] {
  const out: string[] = [];
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    // Never let `Connection` name an end-to-end header we rely on.
    if (name && name !== "host" && name !== "content-length") out.push(name);
  }
  return out;
}

/** A WebSocket opening handshake (RFC 6455 §4.1): GET with `Upgrade: websocket` (`upgrade`: that header's value, null when absent). */
export function isWebSocketUpgrade(method: string, upgrade: string | null): boolean {
  return method === "GET" && upgrade !== null && upgrade.toLowerCase() === "websocket";
}

/**
 * Removes hop-by-hop headers in place. With `keepWebSocketUpgrade` the `Upgrade: websocket` and
 * `Connection: Upgrade` pair is re-added so the origin (or client) sees a valid handshake.
 */
export function stripHopByHop(headers: Headers, keepWebSocketUpgrade: boolean): void {
  // Only a kept WebSocket upgrade needs the value (each Headers call crosses into the runtime).
  const upgrade = keepWebSocketUpgrade ? headers.get("upgrade") : null;
  const connection = headers.get("connection");
  // A listed name that is itself hop-by-hop (`Connection: keep-alive`, the usual case) goes in
  // the loop below: one delete, not two (each is a call into the runtime).
  if (connection) for (const name of connectionListed(connection)) if (!HOP_BY_HOP_NAMES.has(name)) headers.delete(name);
  for (const name of HOP_BY_HOP) headers.delete(name);
  if (keepWebSocketUpgrade && upgrade && upgrade.toLowerCase() === "websocket") {
    headers.set("upgrade", upgrade);
    headers.set("connection", "Upgrade");
  }
}

/**
 * The downstream side of stripHopByHop for a proxied (non-101) response. What the client receives
 * is the same; the calls into the runtime are fewer (each ~2.5 k instructions):
 * - `Connection` is read (its tokens name headers to remove) and, being known present, deleted:
 *   a header left on the Response is still copied into the send and only dropped there, which
 *   costs more than its delete;
 * - the names it lists are deleted, except those the runtime drops anyway;
 * - `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade` are left to workerd's HTTP
 *   layer (RUNTIME_DROPPED_RESPONSE): five blind deletes of names an origin seldom sends;
 * - the hop-by-hop names workerd would pass through are deleted blindly.
 */
export function stripResponseHopByHop(headers: Headers): void {
  const connection = headers.get("connection");
  if (connection !== null) {
    headers.delete("connection");
    // A listed hop-by-hop name is deleted by the loop below or dropped by the runtime.
    for (const name of connectionListed(connection)) if (!HOP_BY_HOP_NAMES.has(name)) headers.delete(name);
  }
  for (const name of RESPONSE_DELETES) headers.delete(name);
}
