/**
 * CorsPolicy → table CorsPolicy (istio:route TranslateCORSPolicy, ISTIO-SEMANTICS §2.12).
 */
import type { CorsPolicy, StringMatch } from "../table/types.ts";
import type { IstioCorsPolicy } from "./input.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { parseDuration } from "../config/duration.ts";
import { stringMatch } from "./match.ts";
import { at, type Where } from "./regex.ts";

export function corsPolicy(c: IstioCorsPolicy | undefined, where: Where, diags: Diagnostics): CorsPolicy | undefined {
  if (!c) return undefined;
  const allowOrigins: StringMatch[] = [];
  if (c.allowOrigins !== undefined) {
    c.allowOrigins.forEach((m, i) => {
      const sm = stringMatch(m, at(where, "allowOrigins", i), diags);
      if (sm) allowOrigins.push(sm);
    });
  } else {
    // Deprecated `allowOrigin` (exact strings) is used only when `allowOrigins` is absent, as Istio does.
    for (const o of c.allowOrigin ?? []) allowOrigins.push({ exact: o });
  }
  const out: CorsPolicy = {
    allowOrigins,
    allowMethods: [...(c.allowMethods ?? [])],
    allowHeaders: [...(c.allowHeaders ?? [])],
    exposeHeaders: [...(c.exposeHeaders ?? [])],
    // UNSPECIFIED behaves as FORWARD: a disallowed preflight reaches the upstream.
    unmatchedPreflights: c.unmatchedPreflights === "IGNORE" ? "IGNORE" : "FORWARD",
  };
  if (c.maxAge !== undefined) {
    const ms = parseDuration(c.maxAge);
    // Istio renders max_age as whole seconds.
    if (ms !== null) out.maxAgeSeconds = Math.floor(ms / 1000);
  }
  if (c.allowCredentials !== undefined) out.allowCredentials = c.allowCredentials;
  return out;
}
