/**
 * Runs golden cases against a compiled table with the same pure decide() the Worker uses, and
 * compares what was decided with what the case expects. A case's dice are pinned (`random`,
 * `visitor`), so a run is deterministic.
 */
import type { Decision, RequestFacts } from "../decision.ts";
import { decide } from "../decide.ts";
import { applyHeaderOps } from "../actions/header-ops.ts";
import { factsFromParts } from "../match/facts.ts";
import type { PreparedTable } from "../prepare.ts";
import type { CaseExpect, CaseRequest, GoldenCase } from "./schema.ts";
import { badRequest } from "../respond.ts";
import { summarize, type DecisionSummary } from "./summary.ts";

export interface Mismatch {
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface CaseResult {
  name: string;
  file?: string;
  line?: number;
  ok: boolean;
  mismatches: Mismatch[];
  summary: DecisionSummary;
  /** `virtualService#ruleIndex` of the matched http[] entry, for coverage. */
  ruleKey?: string;
}

/** Build a Headers bag from the case request (cookies joined into one `cookie` header). */
export function caseHeaders(req: CaseRequest): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers ?? {})) h.append(k, v);
  const cookies = Object.entries(req.cookies ?? {});
  if (cookies.length > 0) {
    const existing = h.get("cookie");
    const joined = cookies.map(([k, v]) => `${k}=${v}`).join("; ");
    h.set("cookie", existing ? `${existing}; ${joined}` : joined);
  }
  return h;
}

/** Decide one case request: facts → decide with every die pinned. */
export function decideCase(
  table: PreparedTable,
  req: CaseRequest,
): { decision: Decision; facts: RequestFacts; headers: Headers } | { decision: null; reason: string; headers: Headers } {
  const url = new URL(req.url);
  const headers = caseHeaders(req);
  const authority = headers.get("host") ?? url.host;
  const parts = {
    method: req.method,
    scheme: url.protocol === "https:" ? ("https" as const) : ("http" as const),
    authority,
    path: url.pathname,
    query: url.search,
    headers,
    ...(req.clientIp !== undefined ? { clientIp: req.clientIp } : {}),
    ...(req.pathNormalization !== undefined ? { pathNormalization: req.pathNormalization } : {}),
  };
  const facts = factsFromParts(parts);
  if ("error" in facts) return { decision: null, reason: facts.reason, headers };
  const random = req.random;
  const decision = decide(table, facts, {
    rand: () => random,
    now: 0,
    ...(req.visitor !== undefined ? { visitorId: req.visitor } : {}),
    // The CLI never mints ids: a sticky split without --visitor falls back to the pinned die.
  });
  return { decision, facts, headers };
}

function headerMismatches(field: string, expected: Record<string, string | null>, actual: Headers, out: Mismatch[]): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = actual.get(name);
    if (want === null ? got !== null : got !== want) out.push({ field: `${field}.${name.toLowerCase()}`, expected: want, actual: got });
  }
}

/** Compare every field the case states; unstated fields are not checked. */
export function compare(expect: CaseExpect, s: DecisionSummary): Mismatch[] {
  const out: Mismatch[] = [];
  const check = (field: keyof CaseExpect & keyof DecisionSummary) => {
    if (expect[field] === undefined) return;
    const want = expect[field];
    const got = s[field];
    if (JSON.stringify(want) !== JSON.stringify(got ?? null)) out.push({ field, expected: want, actual: got ?? null });
  };
  // Mismatches come out in the order of the case format's fields.
  for (const f of ["kind", "route", "virtualService", "status", "location", "body"] as const) check(f);
  if (expect.destination) {
    const d = s.destination;
    const want = expect.destination;
    const got = d ? { host: d.host, ...(want.subset !== undefined ? { subset: d.subset } : {}), ...(want.port !== undefined ? { port: d.port } : {}) } : null;
    if (JSON.stringify(want) !== JSON.stringify(got)) out.push({ field: "destination", expected: want, actual: d ?? null });
  }
  for (const f of ["upstreamUrl", "path", "authority", "variant", "timeoutMs", "retries", "mirrors", "delayMs"] as const) check(f);
  if (expect.requestHeaders) headerMismatches("requestHeaders", expect.requestHeaders, s.requestHeaders ?? new Headers(), out);
  if (expect.responseHeaders) headerMismatches("responseHeaders", expect.responseHeaders, s.responseHeaders ?? new Headers(), out);
  return out;
}

export function runCase(table: PreparedTable, c: GoldenCase): CaseResult {
  const decided = decideCase(table, c.request);
  const { decision } = decided;
  const summary: DecisionSummary = decision
    ? summarize(decision, decided.facts, decided.headers)
    : { kind: "badRequest", status: badRequest(decided.reason).status, reason: decided.reason };
  const mismatches = compare(c.expect, summary);
  const result: CaseResult = { name: c.name, ok: mismatches.length === 0, mismatches, summary };
  if (decision && "match" in decision) {
    result.ruleKey = `${decision.match.route.virtualService}#${decision.match.route.ruleIndex}`;
  }
  return result;
}

export { applyHeaderOps };
