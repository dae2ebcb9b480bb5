/**
 * Istio `Headers` ({request, response} × {set, add, remove}) with Istio's validation
 * (ISTIO-SEMANTICS §1.2 Headers; istio:val validateHeaderOperations / header_value_validator):
 * - request set/add may not name pseudo-headers except `:authority` (host/:authority become an
 *   authority rewrite);
 * - response ops and any `remove` may not name `host` or a pseudo-header;
 * - values have no control characters (tab allowed) and use Envoy's `%VAR%` syntax: a lone `%`
 *   is an error, `%%` is a literal percent.
 */
import { z } from "zod";
import { obj, str } from "./common.ts";
import { describe } from "../duration.ts";

const NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB (RFC 9110 §5.5 field-value).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Problem with an Envoy header value template, or null. */
export function headerValueProblem(v: string): string | null {
  if (CONTROL.test(v)) return `header value contains a control character (only tab is allowed)`;
  // Header values are bytes (RFC 9110 §5.5; fetch's ByteString): a character above U+00FF cannot
  // be sent at all, and `Headers.set` would throw on every request — a 500 at run time.
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== "%") continue;
    if (v[i + 1] === "%") {
      i++;
      continue;
    }
    // %VAR%, %VAR:N% or %VAR(args)% — the arguments may hold "%" themselves (%START_TIME(%s)%).
    const m = /^[A-Z_][A-Z0-9_]*(\([^)]*\))?(:\d+)?%/.exec(v.slice(i + 1));
    if (!m) return `header value has a lone "%" at position ${i}: write "%%" for a literal percent or %VARIABLE% for an Envoy substitution`;
    i += m[0].length;
  }
  return headerValueEdgeProblem(v);
}

/**
 * Header values are bytes (RFC 9110 §5.5; fetch's ByteString): a character above U+00FF cannot be
 * sent at all, and `Headers.set` would throw on every request — a 500 at run time. Istio accepts
 * such values, so this is an edge error (DESIGN.md §9).
 */
export function headerValueEdgeProblem(v: string): string | null {
  const wide = /[^\u0000-\u00ff]/.exec(v);
  if (wide) return `header value contains ${JSON.stringify(wide[0])} (U+${wide[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}): header values are bytes; use ASCII (percent-encode other text)`;
  return null;
}

const headerName = (side: "request" | "response", op: "set" | "add" | "remove") =>
  str("a header name").superRefine((n, ctx) => {
    if (!NAME.test(n)) {
      ctx.addIssue({ code: "custom", message: `header name must be an HTTP token (RFC 7230 §3.2.6), got ${describe(n)}` });
      return;
    }
    const lower = n.toLowerCase();
    if (side === "request" && op !== "remove") {
      if (lower.startsWith(":") && lower !== ":authority")
        ctx.addIssue({ code: "custom", message: `pseudo-header ${JSON.stringify(n)} cannot be ${op}; only ":authority" (or "host") may be set on requests` });
      return;
    }
    if (lower === "host" || lower.startsWith(":"))
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(n)} cannot be ${op === "remove" ? "removed" : op} on the ${side}; host and pseudo-headers are not editable here`,
      });
  });

const headerValue = () =>
  str("a header value").superRefine((v, ctx) => {
    const p = headerValueProblem(v);
    if (p) ctx.addIssue({ code: "custom", message: p, ...(p === headerValueEdgeProblem(v) ? { params: { kind: "edge" } } : {}) });
  });

const operations = (side: "request" | "response") =>
  obj({
    set: z.record(headerName(side, "set"), headerValue()).optional(),
    add: z.record(headerName(side, "add"), headerValue()).optional(),
    remove: z.array(headerName(side, "remove")).optional(),
  });

export const HeaderOperations = operations("request");
export const Headers = obj({
  request: operations("request").optional(),
  response: operations("response").optional(),
});

export type HeaderOperations = z.infer<typeof HeaderOperations>;
export type Headers = z.infer<typeof Headers>;
