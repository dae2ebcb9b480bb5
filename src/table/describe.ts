/**
 * One-line human descriptions of compiled route parts, in Istio's vocabulary, for `diff` (and any
 * other command that explains a route). Not a JSON dump: `uri prefix /reviews, header end-user = jason`.
 */
import type {
  CorsPolicy,
  Destination,
  Fault,
  HeaderOps,
  HeaderPolicy,
  Mirror,
  RetryPolicy,
  Rewrite,
  RouteAction,
  RouteMatch,
  RouteTable,
  StringMatch,
} from "./types.ts";

export function describeStringMatch(m: StringMatch): string {
  if ("exact" in m) return `= ${JSON.stringify(m.exact)}`;
  if ("prefix" in m) return `prefix ${JSON.stringify(m.prefix)}`;
  if ("regex" in m) return `~ /${m.regex}/`;
  return "present";
}

export function describeMatch(m: RouteMatch | null): string {
  if (m === null) return "every request";
  const parts: string[] = [];
  if (m.uri) parts.push(`uri ${describeStringMatch(m.uri)}${m.ignoreUriCase ? " (ignoring case)" : ""}`);
  if (m.scheme) parts.push(`scheme ${describeStringMatch(m.scheme)}`);
  if (m.method) parts.push(`method ${describeStringMatch(m.method)}`);
  if (m.authority) parts.push(`authority ${describeStringMatch(m.authority)}`);
  for (const [n, v] of m.headers ?? []) parts.push(`header ${n} ${describeStringMatch(v)}`);
  for (const [n, v] of m.withoutHeaders ?? []) parts.push(`without header ${n} ${describeStringMatch(v)}`);
  for (const [n, v] of m.queryParams ?? []) parts.push(`query ${n} ${describeStringMatch(v)}`);
  return parts.length === 0 ? "every request" : parts.join(", ");
}

export function describeDestination(d: Destination): string {
  return `${d.host}${d.subset ? ` subset ${d.subset}` : ""}${d.port ? `:${d.port}` : ""}${d.cluster === null ? " (no such cluster: 503)" : ""}`;
}

function percent(part: number, total: number): string {
  const p = (part * 100) / total;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

export function describeAction(a: RouteAction): string {
  switch (a.kind) {
    case "route": {
      const dests = a.destinations.map((d) =>
        a.destinations.length === 1 ? describeDestination(d) : `${describeDestination(d)} ${percent(d.weight, a.totalWeight)}`,
      );
      const sticky = a.sticky ? ` (sticky by cookie ${a.sticky.cookie})` : "";
      return `route to ${dests.join(", ")}${sticky}`;
    }
    case "redirect": {
      const target = [
        a.scheme ? `scheme ${a.scheme}` : "",
        a.authority ? `authority ${a.authority}` : "",
        a.port ? `port ${a.port}` : a.derivePort ? `port ${a.derivePort}` : "",
        a.uri !== undefined ? `uri ${a.uri}` : "",
        a.prefixRewrite !== undefined ? `prefix → ${a.prefixRewrite}` : "",
      ].filter(Boolean);
      return `redirect ${a.redirectCode}${target.length ? ` (${target.join(", ")})` : ""}`;
    }
    case "directResponse": {
      const body = a.body ? ("string" in a.body ? ` ${JSON.stringify(clip(a.body.string))}` : ` ${a.body.bytes.length} base64 chars`) : "";
      return `direct response ${a.status}${body}`;
    }
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export function describeRewrite(r: Rewrite | undefined): string {
  if (!r) return "none";
  const parts: string[] = [];
  if (r.uri !== undefined) parts.push(`uri ${r.uri}`);
  if (r.uriRegexRewrite) parts.push(`uri /${r.uriRegexRewrite.match}/ → ${r.uriRegexRewrite.rewrite}`);
  if (r.authority !== undefined) parts.push(`authority ${r.authority}`);
  return parts.join(", ") || "none";
}

function describeOps(ops: HeaderOps | undefined): string[] {
  if (!ops) return [];
  return [
    ...(ops.remove ?? []).map((n) => `remove ${n}`),
    ...(ops.set ?? []).map(([n, v]) => `set ${n}: ${v}`),
    ...(ops.add ?? []).map(([n, v]) => `add ${n}: ${v}`),
  ];
}

export function describeHeaders(h: HeaderPolicy | undefined): string {
  const req = describeOps(h?.request).map((s) => `request ${s}`);
  const res = describeOps(h?.response).map((s) => `response ${s}`);
  return [...req, ...res].join("; ") || "none";
}

export function describeRetries(r: RetryPolicy): string {
  if (r.attempts === 0) return "no retries";
  const on = [...r.retryOn, ...r.retriableStatusCodes.map(String)].join(",");
  return `${r.attempts} attempts${r.perTryTimeoutMs !== undefined ? `, ${r.perTryTimeoutMs}ms per try` : ""} on ${on}`;
}

export function describeFault(f: Fault | undefined): string {
  if (!f) return "none";
  const parts: string[] = [];
  if (f.delay) parts.push(`delay ${f.delay.fixedDelayMs}ms for ${f.delay.percentage}%`);
  if (f.abort) parts.push(`abort ${f.abort.httpStatus} for ${f.abort.percentage}%`);
  return parts.join(", ") || "none";
}

export function describeMirrors(m: Mirror[] | undefined): string {
  if (!m || m.length === 0) return "none";
  return m.map((x) => `${describeDestination(x.destination)} ${x.percentage}%`).join(", ");
}

export function describeCors(c: CorsPolicy | undefined): string {
  if (!c) return "none";
  const parts = [`origins ${c.allowOrigins.map(describeStringMatch).join(" | ") || "none"}`];
  if (c.allowMethods.length) parts.push(`methods ${c.allowMethods.join(",")}`);
  if (c.allowHeaders.length) parts.push(`headers ${c.allowHeaders.join(",")}`);
  if (c.exposeHeaders.length) parts.push(`expose ${c.exposeHeaders.join(",")}`);
  if (c.maxAgeSeconds !== undefined) parts.push(`max-age ${c.maxAgeSeconds}s`);
  if (c.allowCredentials !== undefined) parts.push(`credentials ${c.allowCredentials}`);
  return parts.join(", ");
}

export function describeTimeout(ms: number | undefined): string {
  return ms === undefined ? "none" : `${ms}ms`;
}

/**
 * The one summary of a table: what the admin endpoint and the console report about the active
 * table, and the counts the CLI prints and stores in the history (summaryLine).
 */
export function tableSummary(t: RouteTable) {
  const clusters = Object.values(t.clusters);
  return {
    tableVersion: t.tableVersion,
    istio: t.istio,
    hosts: t.vhosts.map((v) => v.domain),
    vhosts: t.vhosts.length,
    routes: t.vhosts.reduce((n, v) => n + v.routes.length, 0),
    clusters: clusters.length,
    endpoints: clusters.reduce((n, c) => n + c.endpoints.length, 0),
    warnings: t.warnings?.length ?? 0,
  };
}
