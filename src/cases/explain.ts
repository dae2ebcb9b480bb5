/**
 * The explanation of one decision as labelled rows: what `routes route` prints and what the
 * console's explain page shows (DESIGN.md §12: one implementation, two views).
 */
import type { HeaderOps } from "../table/types.ts";
import type { Decision } from "../decision.ts";
import type { DecisionSummary } from "./summary.ts";

/** A label and its value; an empty label continues the row above (one header operation per line). */
export type ExplainRow = [label: string, value: string];

function opsLines(lists: readonly HeaderOps[]): string[] {
  const out: string[] = [];
  for (const ops of lists) {
    for (const n of ops.remove ?? []) out.push(`remove ${n}`);
    for (const [n, v] of ops.set ?? []) out.push(`set    ${n}: ${v}`);
    for (const [n, v] of ops.add ?? []) out.push(`add    ${n}: ${v}`);
  }
  return out;
}

export function explainRows(method: string, url: string, s: DecisionSummary, d: Decision): ExplainRow[] {
  const rows: ExplainRow[] = [];
  const row = (k: string, v: string) => rows.push([k, v]);
  row("request", `${method} ${url}`);
  row("virtual host", s.vhost ?? "(none: no Gateway server/VirtualService serves this host)");
  if (s.route !== undefined) {
    const m = s.matchIndex === null || s.matchIndex === undefined ? "no match block (matches everything)" : `match[${s.matchIndex}]`;
    row("route", `${s.route}  (${s.virtualService}, ${m})${s.source ? `  ${s.source}` : ""}`);
  }
  row("decision", s.kind + (s.status !== undefined ? ` → ${s.status}` : ""));
  if (s.reason) row("reason", s.reason);
  if (s.location) row("location", s.location);
  if (s.body !== undefined) row("body", JSON.stringify(s.body));
  if (s.delayMs) row("fault delay", `${s.delayMs} ms`);
  if (s.destination) row("destination", `${s.destination.host}${s.destination.subset ? ` subset ${s.destination.subset}` : ""}${s.destination.port ? ` port ${s.destination.port}` : ""}`);
  if (d.kind === "forward") {
    if (s.variant) row("variant", s.variant);
    row("upstream", s.upstreamUrl!);
    row("path", s.originalPath ? `${s.path}  (rewritten from ${s.originalPath})` : s.path!);
    row("authority", s.authority!);
    const rq = opsLines(d.requestHeaders);
    row("request headers", rq.length ? rq[0]! : "(no operations)");
    for (const l of rq.slice(1)) row("", l);
    const rs = opsLines(d.responseHeaders);
    row("response headers", rs.length ? rs[0]! : "(no operations)");
    for (const l of rs.slice(1)) row("", l);
    for (const c of d.setCookies) row("set-cookie", c);
    if (d.faultConfigured) row("timeout/retries", "not applied: a fault is configured on this route (Istio)");
    else {
      row("timeout", d.timeoutMs !== undefined ? `${d.timeoutMs} ms (whole request incl. retries)` : "none (Istio default)");
      const r = d.retries;
      row("retries", r.attempts === 0 ? "none" : `${r.attempts} on ${s.retryOn!.join(",")}${r.perTryTimeoutMs ? `, per try ${r.perTryTimeoutMs} ms` : ""}, backoff ${r.backoffBaseMs} ms base`);
    }
    row("mirrors", d.mirrors.length ? d.mirrors.map((m) => m.url).join(", ") : "none");
  } else if (s.responseHeaders && [...s.responseHeaders.keys()].length) {
    row("response headers", [...s.responseHeaders.entries()].map(([k, v]) => `${k}: ${v}`).join(", "));
  }
  return rows;
}
