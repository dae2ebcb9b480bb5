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
 * A field Istio defines but that has no meaning at an HTTP edge: present ⇒ error with the reason.
 * Typed `never` so the compiler cannot read it by accident.
 */
export const rejected = (field: string, reason: string) =>
  z.never({ error: `\`${field}\` is not supported at the edge: ${reason}` }).optional();

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
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
  });

const StringMatchShape = {
  exact: str().optional(),
  prefix: str().optional(),
  regex: str("an RE2 regular expression").optional(),
};

/**
 * Istio StringMatch: `oneof exact | prefix | regex` (ISTIO-SEMANTICS §1.2 StringMatch).
 * `presence`: headers/queryParams/withoutHeaders accept `{}` and `regex: "*"` meaning "present".
 * `emptyPrefix`: `prefix: ""` is legal only for `uri`.
 */
export const stringMatch = (opts: { presence?: boolean; emptyPrefix?: boolean } = {}) =>
  obj(StringMatchShape).superRefine((m, ctx) => {
    const set = (["exact", "prefix", "regex"] as const).filter((k) => m[k] !== undefined);
    if (set.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [set[1]!],
        message: `a StringMatch takes exactly one of exact, prefix, regex; found ${set.join(" and ")}`,
      });
      return;
    }
    if (set.length === 0 && !opts.presence) {
      ctx.addIssue({ code: "custom", message: "expected one of exact, prefix, regex; found an empty match" });
      return;
    }
    if (m.prefix === "" && !opts.emptyPrefix)
      ctx.addIssue({ code: "custom", path: ["prefix"], message: `an empty prefix is only allowed for uri; use {} to match presence` });
    if (m.regex !== undefined && !(opts.presence && m.regex === "*")) {
      const r = checkRegex(m.regex);
      if (!r.ok) ctx.addIssue({ code: "custom", path: ["regex"], message: r.message });
    }
  });

export const StringMatch = stringMatch();

/** Map keyed by header name (RFC 7230 token). */
export const headerMap = <V extends z.ZodType>(value: V) =>
  z.record(
    z.string().regex(HEADER_TOKEN, {
      error: (iss) => `header name must be an HTTP token (RFC 7230 §3.2.6), got ${describe(iss.input)}`,
    }),
    value,
  );

/**
 * Istio hostnames (VS hosts, DR/SE hosts, destination host, Gateway server hosts):
 * an FQDN, `*`, or a wildcard first label (`*.foo.com`; VirtualService also allows `*foo.com`).
 */
const LABEL = "[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?";
export const FQDN = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*\\.?$`);
export const WILDCARD_SUFFIX = new RegExp(`^\\*\\.${LABEL}(\\.${LABEL})*$`);
export const PARTIAL_WILDCARD = new RegExp(`^\\*[-a-zA-Z0-9]+(\\.${LABEL})*$`);

export type HostRule = { wildcard: "none" | "suffix" | "partial"; star: boolean };

/** Why `host` is not a valid hostname under `rule`, or null. */
export function hostProblem(host: string, rule: HostRule): string | null {
  if (host === "*") return rule.star ? null : `"*" is not allowed here; name a host`;
  if (host.startsWith("*")) {
    if (rule.wildcard === "none") return `wildcard host ${JSON.stringify(host)} is not allowed here; name one host`;
    if (WILDCARD_SUFFIX.test(host)) return null;
    if (rule.wildcard === "partial" && PARTIAL_WILDCARD.test(host)) return null;
    return `invalid wildcard host ${JSON.stringify(host)}: the wildcard must be the whole first label, as in "*.example.com"`;
  }
  if (!FQDN.test(host)) return `invalid host ${JSON.stringify(host)}: expected a DNS name such as "shop.example.com"`;
  return null;
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

export const exportTo = () => z.array(str()).optional();

export type StringMatch = z.infer<typeof StringMatch>;
export type Percent = z.infer<typeof Percent>;
export type Metadata = z.infer<typeof Metadata>;
