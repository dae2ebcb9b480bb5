/**
 * zod issues → Issue messages that say what is allowed and what was found. Schema-level messages
 * (set in ./schema) win; this error map covers the generic cases, and `unknown field` carries the
 * allowed field names (read from the strict object's shape) and a did-you-mean suggestion.
 */
import type { z } from "zod";
import type { FindingKind } from "./issue.ts";
import { describe } from "./duration.ts";

const ALLOWED = "\u0000allowed:";

/** Passed to safeParse: builds messages for issues whose schema set none. */
export const errorMap = (iss: z.core.$ZodRawIssue): string | undefined => {
  switch (iss.code) {
    case "unrecognized_keys": {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {};
      return ALLOWED + Object.keys(shape).join(",");
    }
    case "invalid_type":
      if (iss.input === undefined) return "required field is missing";
      return `expected ${article(iss.expected)}, got ${describe(iss.input)}`;
    case "invalid_value":
      return `expected ${iss.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${describe(iss.input)}`;
    case "too_small":
      return iss.origin === "array" ? `expected at least ${iss.minimum} item(s)` : undefined;
    default:
      return undefined;
  }
};

function article(t: string): string {
  if (t === "object") return "a map";
  if (t === "array") return "a list";
  if (t === "never") return "nothing here";
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

export interface Translated {
  path: Array<string | number>;
  message: string;
  /** Locate the key rather than the value (unknown fields, bad record keys). */
  atKey: boolean;
  code: string;
  /**
   * The schemas model Istio's validation, so a schema issue is Istio's verdict (`"source"`),
   * unless the check says otherwise with `params: { kind: "edge" }` (an edge-only rule).
   */
  kind: FindingKind;
}

function kindOf(issue: z.core.$ZodIssue): FindingKind {
  const k = (issue as { params?: { kind?: unknown } }).params?.kind;
  return k === "edge" || k === "ignored" ? k : "source";
}

export function translate(issue: z.core.$ZodIssue): Translated[] {
  const kind = kindOf(issue);
  return translateOne(issue).map((t) => ({ ...t, kind }));
}

function translateOne(issue: z.core.$ZodIssue): Omit<Translated, "kind">[] {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as Array<string | number>;
  if (issue.code === "unrecognized_keys") {
    const allowed = issue.message.startsWith(ALLOWED) ? issue.message.slice(ALLOWED.length).split(",").filter(Boolean) : [];
    return issue.keys.map((k) => ({
      path: [...path, k],
      atKey: true,
      code: "unknown-field",
      message: `unknown field ${JSON.stringify(k)}${suggest(k, allowed)}${allowed.length ? `; allowed fields: ${allowed.join(", ")}` : ""}`,
    }));
  }
  if (issue.code === "invalid_key") {
    const inner = issue.issues[0]?.message ?? "invalid key";
    return [{ path, atKey: true, code: "invalid-key", message: inner }];
  }
  if (issue.code === "invalid_type" && issue.expected === "never") {
    return [{ path, atKey: true, code: "edge-unsupported", message: issue.message }];
  }
  if (issue.code === "invalid_type" && (issue as { input?: unknown }).input === undefined) {
    const field = path[path.length - 1];
    return [{ path, atKey: false, code: "required", message: typeof field === "string" ? `required field ${JSON.stringify(field)} is missing` : "required value is missing" }];
  }
  return [{ path, atKey: false, code: issue.code === "custom" ? "invalid" : issue.code.replace(/_/g, "-"), message: issue.message }];
}

/** " (did you mean "route"?)" when an allowed name is within edit distance 2. */
function suggest(key: string, allowed: string[]): string {
  let best: string | null = null;
  let bestD = 3;
  for (const a of allowed) {
    const d = distance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best ? ` (did you mean ${JSON.stringify(best)}?)` : "";
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
