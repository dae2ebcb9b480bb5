/**
 * HTTPRoute `sessionPersistence` (GEP-1619, GATEWAY-API-SEMANTICS §9) → the project's sticky,
 * monotone split (DESIGN.md §4, select/sticky.ts): the gateway mints a session id on the first
 * request, the weighted rendezvous hash of (id, rule) picks the backendRef, and later requests that
 * carry the id reach the same backendRef.
 *
 * Both YAML shapes are read (v1.6.1: `sessionName`, `cookieConfig.lifetimeType`; main:
 * `cookie: {name, path, lifetimeType}`, `header: {name}`):
 *  - Cookie (default): the cookie name is `sessionName` / `cookie.name`, else one generated per
 *    rule (`gw-session.<namespace>.<route>.<rule name or index>`), so two rules never share a
 *    session (the GEP's per-rule scoping); Path `cookie.path` or `/`;
 *    lifetimeType Session (default) → a session cookie (no Max-Age); Permanent → Max-Age =
 *    absoluteTimeout.
 *  - Header: the client sends the id back in the named request header (`header.name`, v1.6.1
 *    `sessionName`); the gateway returns it in that response header.
 * What the edge does not do is reported where it is written (warnings): an absoluteTimeout on a
 * Session cookie is not enforced (the id carries no issue time: the session ends with the browser
 * session); sessions follow the monotone assignment, so lowering a backendRef's weight moves that
 * share of its sessions (weight 0 moves them all) where the GEP keeps established sessions.
 * A rule with a single backendRef needs no session: nothing is set.
 */
import type { StickySplit, WeightedDestination } from "../../table/types.ts";
import type { Diagnostics } from "../diagnostics.ts";
import type { Located } from "../input.ts";
import type { HTTPRoute, HTTPRouteRule } from "../../config/gateway-api/index.ts";
import { parseGatewayDuration } from "../../config/gateway-api/index.ts";

/** RFC 6265 §4.1.1 cookie-name = RFC 7230 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/;
/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5). */
const MAX_AGE_CAP = 400 * 24 * 3600;

export function sessionSplit(
  route: Located<HTTPRoute>,
  rule: HTTPRouteRule,
  ruleIndex: number,
  destinations: readonly WeightedDestination[],
  diags: Diagnostics,
): StickySplit | undefined {
  const sp = rule.sessionPersistence;
  if (!sp) return undefined;
  const at = ["spec", "rules", ruleIndex, "sessionPersistence"];
  const { namespace, name } = route.value.metadata;
  const ruleId = rule.name ?? String(ruleIndex);
  const splitId = `${namespace}/${name}/${rule.name ?? `rules[${ruleIndex}]`}`;
  if (destinations.length < 2) return undefined;

  if ((sp.type ?? "Cookie") === "Header") {
    const header = (sp.header?.name ?? sp.sessionName)?.toLowerCase();
    if (header === undefined || !TOKEN.test(header)) {
      diags.warn(route, at, "a Header session needs header.name (or sessionName): requests to this rule are not kept on one backend", "session-persistence");
      return undefined;
    }
    if (sp.absoluteTimeout !== undefined)
      diags.warn(route, [...at, "absoluteTimeout"], "absoluteTimeout is not enforced at the edge for a Header session (the session id carries no issue time)", "session-persistence");
    return { cookie: header, header, ttlSeconds: 0, path: "/", splitId };
  }

  const cookie = sp.cookie?.name ?? sp.sessionName ?? `gw-session.${namespace}.${name}.${ruleId}`;
  if (!TOKEN.test(cookie)) {
    diags.warn(route, [...at, sp.cookie?.name !== undefined ? "cookie" : "sessionName"], `session cookie name ${JSON.stringify(cookie)} is not an RFC 6265 token: requests to this rule are not kept on one backend`, "session-persistence");
    return undefined;
  }
  const path = sp.cookie?.path ?? "/";
  if (!COOKIE_PATH.test(path)) {
    diags.warn(route, [...at, "cookie", "path"], `cookie path must start with "/" and hold no ";" or control characters: requests to this rule are not kept on one backend`, "session-persistence");
    return undefined;
  }
  const lifetime = sp.cookie?.lifetimeType ?? sp.cookieConfig?.lifetimeType ?? "Session";
  const timeoutMs = sp.absoluteTimeout !== undefined ? parseGatewayDuration(sp.absoluteTimeout) : null;
  let ttlSeconds = 0;
  if (lifetime === "Permanent") {
    if (timeoutMs === null || timeoutMs < 1000) {
      diags.warn(route, at, "a Permanent session cookie needs an absoluteTimeout of at least 1s (its Max-Age): a session cookie is set instead", "session-persistence");
    } else {
      ttlSeconds = Math.floor(timeoutMs / 1000);
      if (ttlSeconds > MAX_AGE_CAP) diags.warn(route, [...at, "absoluteTimeout"], `absoluteTimeout exceeds 400 days; browsers cap cookie lifetimes at 400 days`, "session-persistence");
    }
  } else if (timeoutMs !== null) {
    diags.warn(
      route,
      [...at, "absoluteTimeout"],
      "absoluteTimeout is not enforced for a Session cookie at the edge (the session id carries no issue time): the session lasts as long as the browser session; use lifetimeType: Permanent to bound it with Max-Age",
      "session-persistence",
    );
  }
  return { cookie, ttlSeconds, path, splitId };
}
