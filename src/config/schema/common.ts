/**
 * Building blocks shared by the four kinds: strict objects, names, hosts, ports, durations,
 * percentages, StringMatch, Headers, and the helpers that reject or flag edge-meaningless fields.
 *
 * The zod schemas are the only definition of the config types (`z.infer`). Every object is strict
 * (unknown fields are errors, DESIGN.md §3), and every check carries a message that says what is
 * allowed and what was found; load.ts turns zod issues into located Issues.
 */
import { z } from "zod";
import { durationProblem, describe, type DurationRule } from "../duration.ts";
import { checkRegex } from "../regex.ts";

/** Strict object: unknown keys are reported by load.ts with the allowed list (taken from the shape). */
export const obj = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape);

/**
 * Istio's own verdict is the spec (DESIGN.md §9): the schemas accept what Istio's validation
 * accepts and reject what it rejects. A check that exists only because the edge cannot serve
 * something marks its issue with `EDGE` (load.ts reports it as an edge error); fields Istio accepts
 * that mean nothing at the edge are typed here and reported as ignored by edge-notes.ts.
 */
export const EDGE = { kind: "edge" } as const;

/** Istio's DNS-1123 label (istio:labels IsDNS1123Label): letters of either case, digits, "-". */
export const ISTIO_LABEL = /^(?=.{1,63}$)[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** Kubernetes label key/value syntax (istio:labels Instance.Validate). */
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^((?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export function labelsProblem(labels: Record<string, string>): string | null {
  for (const [k, v] of Object.entries(labels)) {
    const slash = k.lastIndexOf("/");
    const prefix = slash >= 0 ? k.slice(0, slash) : null;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if ((prefix !== null && fqdnProblem(prefix) !== null) || !LABEL_NAME.test(name)) return `invalid label key ${JSON.stringify(k)}`;
    if (!LABEL_VALUE.test(v)) return `invalid label value ${JSON.stringify(v)} for ${JSON.stringify(k)}`;
  }
  return null;
}

/** A label map validated as Kubernetes labels (subset labels, endpoint labels, sourceLabels). */
export const labelMap = () =>
  z.record(z.string(), str("a label value")).superRefine((m, ctx) => {
    const p = labelsProblem(m);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

/** Kubernetes DNS-1123 label (subset names, namespaces, gateway names). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Kubernetes DNS-1123 subdomain (metadata.name). */
export const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = (what: string) =>
  z.string().regex(DNS1123_LABEL, {
    error: (iss) =>
      `${what} must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters), got ${describe(iss.input)}`,
  });

/** RFC 7230 token: a valid HTTP header (or query parameter for Envoy) name. */
export const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const str = (what = "a string") => z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` });

/**
 * A value the gateway writes into a URL or a response header (redirect `Location`, rewritten
 * path, Set-Cookie): control characters (CR, LF, NUL, …) would split or truncate it, and a
 * character above U+00FF cannot be carried by a `Headers` object at all — either way every
 * matching request would be a 500 (issue #18 items 6 and 9). An edge error: Istio accepts the
 * value, the edge cannot serve it.
 */
export function wireValueProblem(v: string): string | null {
  const ctl = /[\u0000-\u001f\u007f]/.exec(v);
  if (ctl) return `contains the control character U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}, which cannot travel in a URL or header`;
  const wide = /[^\u0000-\u00ff]/u.exec(v);
  if (wide) {
    let enc: string;
    try {
      enc = ` (e.g. ${encodeURIComponent(wide[0])})`;
    } catch {
      enc = ""; // a lone surrogate has no UTF-8 form
    }
    return `contains ${JSON.stringify(wide[0])} (U+${wide[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}): URLs and header values the gateway writes are bytes; percent-encode it${enc}`;
  }
  return null;
}

/** A string the gateway writes into a URL or header (see wireValueProblem). */
export const wireStr = (what: string) =>
  z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }).superRefine((v, ctx) => {
    const p = wireValueProblem(v);
    if (p) ctx.addIssue({ code: "custom", params: EDGE, message: `${what} ${p}` });
  });

/**
 * An authority the gateway writes (redirect `Location`, the origin's host): `host[:port]` with a
 * DNS-style host or a bracketed IPv6 literal. No userinfo (`good.test@evil.test` would make the
 * Location point at evil.test for most clients), no path, query, fragment or spaces.
 */
export const authorityStr = (what: string) =>
  z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }).superRefine((v, ctx) => {
    if (v === "") return; // proto3: an empty string is unset (the redirect's own rule decides if anything is left)
    if (v.includes("@")) ctx.addIssue({ code: "custom", params: EDGE, message: `${what} ${JSON.stringify(v)} has userinfo ("@"): an authority here is host[:port] only` });
    else if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(:\d{1,5})?$/.test(v))
      ctx.addIssue({ code: "custom", params: EDGE, message: `${what} must be host[:port] (letters, digits, "-", ".", or a [IPv6] literal), got ${describe(v)}` });
  });

export const bool = () => z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` });

export const int = (min: number, max: number, what = "an integer") =>
  z
    .number({ error: (iss) => `expected ${what} from ${min} to ${max}, got ${describe(iss.input)}` })
    .superRefine((v, ctx) => {
      if (!Number.isInteger(v) || v < min || v > max)
        ctx.addIssue({ code: "custom", message: `expected ${what} from ${min} to ${max}, got ${v}` });
    });

export const uint32 = (what = "a non-negative integer") => int(0, 4_294_967_295, what);

export const port = () => int(1, 65535, "a port number");

export const stringMap = (what = "a string") => z.record(z.string(), str(what));

export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (iss) => `expected one of ${values.join(", ")}, got ${describe(iss.input)}`,
  });

/** A protobuf Duration string ("1.5s", "250ms"); Istio requires ≥ 1 ms and ms precision. */
export const duration = (rule: DurationRule = {}) =>
  z
    .string({ error: (iss) => durationProblem(iss.input, rule) ?? "expected a duration" })
    .superRefine((v, ctx) => {
      const problem = durationProblem(v, rule);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/** Istio `Percent` message: `{value: 0–100}` (a double). */
export const Percent = obj({
  value: z
    .number({ error: (iss) => `expected a percentage from 0 to 100, got ${describe(iss.input)}` })
    .superRefine((v, ctx) => {
      if (!(v >= 0 && v <= 100)) ctx.addIssue({ code: "custom", message: `expected a percentage from 0 to 100, got ${v}` });
    }),
});

/** A regex field: RE2 syntax, translatable to JS, no catastrophic backtracking (see regex.ts). */
export const regexSource = (mode: "match" | "search" = "match") =>
  str("an RE2 regular expression").superRefine((v, ctx) => {
    const r = checkRegex(v, mode);
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.message, ...(r.edge ? { params: EDGE } : {}) });
  });

/** Fault percentages (istio:val validatePercentage): 0, or from 0.0001 to 100. */
export const FaultPercent = obj({
  value: z
    .number({ error: (iss) => `expected a percentage from 0 to 100, got ${describe(iss.input)}` })
    .superRefine((v, ctx) => {
      if (!(v >= 0 && v <= 100) || (v > 0 && v < 0.0001)) ctx.addIssue({ code: "custom", message: `expected 0 or a percentage from 0.0001 to 100, got ${v}` });
    }),
});

const StringMatchShape = {
  exact: str().optional(),
  prefix: str().optional(),
  regex: str("an RE2 regular expression").optional(),
};


/**
 * istio:val validHeaderNameRegex: an RFC 7230 token (tchar), the header names Istio accepts in
 * matches and CORS lists (validation_test.go TestValidateHTTPHeaderName "funky!$#_").
 */
export const ISTIO_HEADER_NAME = HEADER_TOKEN;
/** istio:val pseudoHeaders: accepted as match names (TestValidateHTTPHeaderName ":authority"). */
export const PSEUDO_HEADERS: ReadonlySet<string> = new Set([":method", ":scheme", ":authority", ":path", ":status"]);
/** JWT claim routing (`@request.auth.claims.<name>`), gateways only (istio:val ValidateHTTPHeaderNameOrJwtClaimRoute). */
export const JWT_CLAIM = /^@request\.auth\.claims(\.[^.]+|\[[^\]]+\])+$/;

/** Map keyed by a header name Istio accepts in a match. */
export const headerMap = <V extends z.ZodType>(value: V) =>
  z.record(
    z.string().superRefine((n, ctx) => {
      if (n === "") ctx.addIssue({ code: "custom", message: "header name cannot be empty" });
      else if (!ISTIO_HEADER_NAME.test(n) && !PSEUDO_HEADERS.has(n) && !JWT_CLAIM.test(n))
        ctx.addIssue({ code: "custom", message: `header name ${describe(n)} is not valid: Istio accepts an RFC 7230 token (letters, digits and !#$%&'*+-.^_\`|~), a pseudo-header (:authority, :method, :path, :scheme) or @request.auth.claims.<claim>` });
    }),
    value,
  );

/**
 * Istio hostnames (istio:agent ValidateWildcardDomain / ValidateFQDN): at most 255 characters;
 * every label a DNS-1123 label (either case); the top-level label not all digits; a trailing dot
 * allowed; only the first label may carry a wildcard: `*`, `*foo`, `*-foo` or a plain label.
 */
const LABEL = "[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?";
export const FQDN = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*\\.?$`);
const WILDCARD_FIRST = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

function labelsProblemOf(domain: string, rest: string): string | null {
  const parts = rest.split(".");
  const tld = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(tld)) return `invalid host ${JSON.stringify(domain)}: the top-level label ${JSON.stringify(tld)} cannot be all digits`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === "") return null;
    if (!ISTIO_LABEL.test(parts[i]!)) return `invalid host ${JSON.stringify(domain)}: label ${JSON.stringify(parts[i])} is not a DNS-1123 label`;
  }
  return null;
}

/** istio:agent ValidateFQDN (no wildcard). */
export function fqdnProblem(domain: string): string | null {
  if (domain.length === 0) return "an empty host name is not allowed";
  if (domain.length > 255) return `host ${JSON.stringify(domain.slice(0, 40))}… is longer than 255 characters`;
  return labelsProblemOf(domain, domain);
}

/** istio:agent ValidateWildcardDomain. */
export function wildcardDomainProblem(domain: string): string | null {
  if (domain.length === 0) return "an empty host name is not allowed";
  if (domain.length > 255) return `host ${JSON.stringify(domain.slice(0, 40))}… is longer than 255 characters`;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!WILDCARD_FIRST.test(first)) return `invalid host ${JSON.stringify(domain)}: label ${JSON.stringify(first)} is not a DNS-1123 label (a wildcard may only start the first label: "*", "*.example.com", "*foo.example.com")`;
  return dot < 0 ? null : labelsProblemOf(domain, domain.slice(dot + 1));
}

/** Is it an IPv4 or IPv6 address (istio:netutil IsValidIPAddress)? */
export function isIpAddress(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  if (!s.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== "";
  } catch {
    return false;
  }
}

export type HostRule = { wildcard: "none" | "suffix" | "partial"; star: boolean };

/**
 * Why `host` is not a valid hostname under `rule`, or null. Istio's rule is
 * `wildcardDomainProblem`; `rule` narrows it where Istio narrows it (`star: false`: "*" rejected).
 */
export function hostProblem(host: string, rule: HostRule): string | null {
  if (host === "*") return rule.star ? null : `"*" is not allowed here; name a host`;
  if (rule.wildcard === "none" && host.startsWith("*")) return `wildcard host ${JSON.stringify(host)} is not allowed here; name one host`;
  return wildcardDomainProblem(host);
}

export const host = (rule: HostRule) =>
  str("a hostname").superRefine((h, ctx) => {
    const p = hostProblem(h, rule);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

export const Metadata = obj({
  name: z.string({ error: (iss) => (iss.input === undefined ? "metadata.name is required" : `expected a name, got ${describe(iss.input)}`) }).regex(
    DNS1123_SUBDOMAIN,
    { error: (iss) => `metadata.name must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), got ${describe(iss.input)}` },
  ),
  namespace: dnsLabel("metadata.namespace").default("default"),
  creationTimestamp: str("an RFC 3339 timestamp")
    .superRefine((v, ctx) => {
      if (!RFC3339.test(v) || Number.isNaN(Date.parse(v)))
        ctx.addIssue({ code: "custom", message: `expected an RFC 3339 timestamp like "2024-05-01T12:00:00Z", got ${JSON.stringify(v)}` });
    })
    .optional(),
  annotations: stringMap().optional(),
  labels: stringMap().optional(),
  // Harmless Kubernetes bookkeeping that `kubectl get -o yaml` emits; accepted and ignored.
  uid: str().optional(),
  resourceVersion: str().optional(),
  generation: z.number().optional(),
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const API_VERSIONS = ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"] as const;
export const apiVersion = () => enumOf(API_VERSIONS);

/** istio:val validateExportTo: ".", "*", a namespace (and "~" for ServiceEntry); no duplicates; "*" alone. */
export const exportTo = (serviceEntry = false) =>
  z
    .array(str())
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((e, i) => {
        const key = e === "." ? "\u0000self" : e;
        if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `duplicate exportTo entry ${JSON.stringify(e)}` });
        seen.add(key);
        if (e !== "." && e !== "*" && !(serviceEntry && e === "~") && !ISTIO_LABEL.test(e))
          ctx.addIssue({ code: "custom", path: [i], message: `exportTo entry ${JSON.stringify(e)} must be ".", "*"${serviceEntry ? ', "~"' : ""} or a namespace name` });
      });
      if (list.includes("*") && list.length > 1) ctx.addIssue({ code: "custom", message: `exportTo cannot have both public (*) and other entries` });
      if (serviceEntry && list.includes("~") && list.length > 1) ctx.addIssue({ code: "custom", message: `exportTo cannot export to no one (~) and someone` });
    })
    .optional();

/** istio:val validateWorkloadSelector: `{matchLabels}` without empty keys or wildcards. */
export const workloadSelector = () =>
  obj({ matchLabels: z.record(z.string(), str()).optional() }).superRefine((w, ctx) => selectorRules(w.matchLabels, "matchLabels", ctx));

/** ServiceEntry's (networking) WorkloadSelector spells it `labels` (istio:val ValidateAlphaWorkloadSelector). */
export const alphaWorkloadSelector = () =>
  obj({ labels: z.record(z.string(), str()).optional() }).superRefine((w, ctx) => selectorRules(w.labels, "labels", ctx));

function selectorRules(labels: Record<string, string> | undefined, field: string, ctx: z.RefinementCtx): void {
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (k === "") ctx.addIssue({ code: "custom", path: [field], message: "an empty key is not supported in a selector" });
      if (k.includes("*") || v.includes("*")) ctx.addIssue({ code: "custom", path: [field, k], message: `wildcards are not supported in a selector (${k}=${v})` });
    }
}

/**
 * istio:val validateStringMatch / validateStringMatchRegexp. `field`:
 * - "uri": an empty prefix is allowed (Envoy's path prefix ""),
 * - "withoutHeaders": `regex: "*"` means "present",
 * - "other": scheme, method, authority, headers, queryParams.
 * An empty `{}` is accepted everywhere (no condition / presence); `regex: ""` never is.
 */
export const stringMatch = (field: "uri" | "withoutHeaders" | "other" = "other") =>
  obj(StringMatchShape).superRefine((m, ctx) => {
    const set = (["exact", "prefix", "regex"] as const).filter((k) => m[k] !== undefined);
    if (set.length > 1) {
      ctx.addIssue({ code: "custom", path: [set[1]!], message: `a StringMatch takes exactly one of exact, prefix, regex; found ${set.join(" and ")}` });
      return;
    }
    if (m.prefix === "" && field !== "uri")
      ctx.addIssue({ code: "custom", path: ["prefix"], message: `an empty prefix is not allowed here (Istio: "prefix string match should not be empty"); use {} to match any value` });
    if (m.regex === undefined || (field === "withoutHeaders" && m.regex === "*")) return;
    if (m.regex === "") {
      ctx.addIssue({ code: "custom", path: ["regex"], message: `an empty regex is not allowed (Istio: "regex string match should not be empty")` });
      return;
    }
    const r = checkRegex(m.regex);
    if (!r.ok) ctx.addIssue({ code: "custom", path: ["regex"], message: r.message, ...(r.edge ? { params: EDGE } : {}) });
  });

export const StringMatch = stringMatch();

export type StringMatch = z.infer<typeof StringMatch>;
export type Percent = z.infer<typeof Percent>;
export type Metadata = z.infer<typeof Metadata>;
