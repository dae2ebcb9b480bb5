/**
 * Scalar types shared by the Gateway API kinds (GATEWAY-API-SEMANTICS §1.4; gateway-api
 * apis/v1/shared_types.go). Every check is what the Kubernetes API server's OpenAPI/CEL validation
 * would reject (§1.2): these are errors; what a controller only reports in status is a warning,
 * produced later by the compiler.
 */
import { z } from "zod";
import { describe } from "../duration.ts";
import { HEADER_TOKEN, int, obj, str, stringMap, enumOf } from "../schema/common.ts";

export const GROUP = "gateway.networking.k8s.io";
export const GATEWAY_API_VERSIONS = [`${GROUP}/v1`, `${GROUP}/v1beta1`] as const;

const LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
/** `Hostname`: lower-case RFC 1123, an optional leading `*.` label; no IPs (shared_types.go). */
const HOSTNAME = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function hostnameProblem(h: string, wildcard: boolean): string | null {
  if (h.length < 1 || h.length > 253) return `a hostname has 1 to 253 characters, got ${h.length}`;
  if (IPV4.test(h) || h.includes(":")) return `a hostname must not be an IP address, got ${JSON.stringify(h)}`;
  if (!wildcard && h.startsWith("*")) return `a wildcard is not allowed here (PreciseHostname), got ${JSON.stringify(h)}`;
  if (!HOSTNAME.test(h))
    return `expected a lower-case DNS name (RFC 1123)${wildcard ? ", optionally starting with a \"*.\" label" : ""}, got ${JSON.stringify(h)}`;
  return null;
}

export const hostname = (wildcard = true) =>
  str("a hostname").superRefine((h, ctx) => {
    const p = hostnameProblem(h, wildcard);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

/** RFC 1123 subdomain, 1–253 (listener names, rule names, sectionName). */
const SUBDOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`);
export const sectionName = (what = "a section name") =>
  str(what).superRefine((v, ctx) => {
    if (!SUBDOMAIN.test(v)) ctx.addIssue({ code: "custom", message: `${what} must be an RFC 1123 subdomain (lower-case letters, digits, "-" and "."), got ${JSON.stringify(v)}` });
  });

export const objectName = (what = "a name") =>
  str(what).superRefine((v, ctx) => {
    if (v.length < 1 || v.length > 253) ctx.addIssue({ code: "custom", message: `${what} has 1 to 253 characters` });
  });

const NS_LABEL = new RegExp(`^${LABEL}$`);
export const namespaceName = () =>
  str("a namespace").superRefine((v, ctx) => {
    if (!NS_LABEL.test(v)) ctx.addIssue({ code: "custom", message: `a namespace must be an RFC 1123 label (lower-case letters, digits and "-", at most 63), got ${JSON.stringify(v)}` });
  });

/** `Group`: "" (core) or a DNS subdomain. */
export const group = () =>
  z.string({ error: (iss) => `expected an API group, got ${describe(iss.input)}` }).superRefine((v, ctx) => {
    if (v !== "" && !SUBDOMAIN.test(v)) ctx.addIssue({ code: "custom", message: `a group is "" or a DNS subdomain, got ${JSON.stringify(v)}` });
  });

/** `Kind`: 1–63, starts with a letter. */
export const kind = () =>
  str("a kind").superRefine((v, ctx) => {
    if (!/^[a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/.test(v)) ctx.addIssue({ code: "custom", message: `a kind starts with a letter and has at most 63 letters, digits and "-", got ${JSON.stringify(v)}` });
  });

/** `HTTPHeaderName`: 1–256 RFC 7230 token characters (no `:authority`-style pseudo-headers). */
export const headerName = () =>
  str("a header name").superRefine((v, ctx) => {
    if (v.length < 1 || v.length > 256 || !HEADER_TOKEN.test(v))
      ctx.addIssue({ code: "custom", message: `a header name is 1 to 256 RFC 7230 token characters, got ${JSON.stringify(v)}` });
  });

export const portNumber = () => int(1, 65535, "a port number");

/**
 * GEP-2257 Duration: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, components summed; `0` alone is invalid.
 * Differs from Istio durations: no decimals (`1.5s` → write `1s500ms`), no `us`/`ns`.
 */
const GEP2257 = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function parseGatewayDuration(v: string): number | null {
  if (!GEP2257.test(v)) return null;
  let total = 0;
  for (const m of v.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

export const gatewayDuration = () =>
  str("a duration").superRefine((v, ctx) => {
    if (parseGatewayDuration(v) === null)
      ctx.addIssue({
        code: "custom",
        message: `expected a Gateway API duration (GEP-2257) like "500ms", "10s" or "1s500ms" (1 to 4 whole-number parts, units h, m, s, ms), got ${JSON.stringify(v)}`,
      });
  });

export const LabelSelector = obj({
  matchLabels: stringMap().optional(),
  matchExpressions: z
    .array(
      obj({
        key: str("a label key"),
        operator: enumOf(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(str()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

/** Does a Kubernetes label selector select these labels? (empty selector = everything). */
export function selects(sel: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !vals.includes(labels[e.key]!)) return false;
        break;
      case "NotIn":
        if (has && vals.includes(labels[e.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** `status` in pasted objects (kubectl get -o yaml) is controller output: accepted and ignored. */
export const status = () => z.unknown().optional();
