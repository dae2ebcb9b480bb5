/**
 * `routes analyze` / `validate`: warnings about configs that are valid but risky at the edge
 * (issue #18). Each names what to change.
 *  - `prefix-rewrite-slash`: a uri prefix without a trailing `/` rewritten to one with it
 *    (`prefix: /static` → `rewrite.uri: /assets/`): `/staticfoo` becomes `/assets/foo` and
 *    `/static../x` would become `/assets/../x` (the gateway answers that one 400; see
 *    src/actions/rewrite.ts), so the rewrite reaches further than the prefix suggests.
 *  - `request-loop`: a destination or mirror whose endpoint is a host this gateway serves itself
 *    (a destination without a ServiceEntry is fetched as `https://<host>`; a ServiceEntry or
 *    origins-file endpoint names its address). When the Worker's fetch reaches the Worker again
 *    (a host of another zone routed to it, or the `global_fetch_strictly_public` flag), every
 *    request goes round the gateway until Cloudflare stops it (error 1019 after 16 Worker hops),
 *    each hop spending subrequests. A `*` virtual host is not counted as "served": which hosts
 *    reach it depends on the Worker's routes, which the config does not say.
 *  - `redirect-loop`: a redirect whose Location the same rule redirects again. Checked with the
 *    Worker's own decide() on a sample request of the rule (its exact/prefix values, or the
 *    literal head of a regex; a rule no sample reaches is not judged): the Location is followed
 *    as a client would (scheme, Host, path and query from it, the same headers; a 303 — and a
 *    301/302 of a POST — becomes a GET), through the gateway's own https redirect too, and a
 *    loop is reported when the rule fires again and the chain never ends (a Location repeats,
 *    or it still redirects after MAX_HOPS). `redirect: {scheme: https}` on a rule that also
 *    serves https, `uri: /old/new` under `prefix: /old`, an authority that is the same host…
 *  - `secret-in-response`: a response header `set`/`add` value that copies a request credential
 *    with `%REQ(name)%` (cookie, authorization, proxy-authorization, and names that say token,
 *    secret, api key, password, session, credential or auth): it reflects HttpOnly cookies and
 *    tokens to page scripts, and into any cache that stores the response.
 * Findings of routes that came from an HTTPRoute point at its rule (`spec.rules[i].filters` /
 * `.backendRefs`); the header scan reads VirtualServices and HTTPRoutes' ResponseHeaderModifier
 * filters (the Worker expands `%REQ()%` in both, as Envoy does under Istio).
 */
import type { ConfigObjects, Issue, Located, VirtualService } from "../config/index.ts";
import type { Route, RouteTable, StringMatch, VirtualHost } from "../table/types.ts";
import type { Decision, RequestFacts } from "../decision.ts";
import { decide } from "../decide.ts";
import { prepare, type PreparedTable } from "../prepare.ts";
import { factsFromParts } from "../match/facts.ts";
import { literalRegexPrefix } from "../match/string-match.ts";
import { prepareListener, selectVhost } from "../match/vhost.ts";
import { hostResolver } from "../config/k8s-names.ts";

export function issueAt(obj: Located<unknown>, path: ReadonlyArray<string | number>, message: string, code: string): Issue {
  const at = obj.at(path);
  const pathText = path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  return { severity: "warning", file: obj.file, line: at.line, col: at.col, path: pathText, message, code };
}

type VsLookup = (key: string) => Located<VirtualService> | undefined;

/**
 * Where a table route was written: its VirtualService rule (`spec.http[i]`) or, for a route that
 * came from an HTTPRoute (it carries `precedence`), its HTTPRoute rule (`spec.rules[i]`). Both
 * kinds are keyed `namespace/name`, so the kind decides which list to look in.
 */
interface RouteSource {
  obj: Located<unknown>;
  rule: Array<string | number>;
  vs?: Located<VirtualService>;
}
type Locate = (r: Route) => RouteSource | undefined;

function locator(vsOf: VsLookup, objects?: Pick<ConfigObjects, "httpRoutes">): Locate {
  const httpRoutes = new Map((objects?.httpRoutes ?? []).map((h) => [`${h.value.metadata.namespace ?? "default"}/${h.value.metadata.name}`, h]));
  return (r) => {
    if (r.precedence !== undefined) {
      const h = httpRoutes.get(r.virtualService);
      return h ? { obj: h, rule: ["spec", "rules", r.ruleIndex] } : undefined;
    }
    const vs = vsOf(r.virtualService);
    return vs ? { obj: vs, rule: ["spec", "http", r.ruleIndex], vs } : undefined;
  };
}

export function riskyRoutes(table: RouteTable, vsOf: VsLookup, objects?: ConfigObjects): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const push = (r: Route, rel: Array<string | number>, message: string, code: string) => {
    if (r.precedence !== undefined) return; // Envoy prefix_rewrite: VirtualService routes only
    const vs = vsOf(r.virtualService);
    const path = ["spec", "http", r.ruleIndex, ...rel];
    const key = `${r.virtualService}#${JSON.stringify(path)}#${code}`;
    if (!vs || seen.has(key)) return;
    seen.add(key);
    issues.push(issueAt(vs, path, message, code));
  };
  for (const vh of table.vhosts) {
    for (const r of vh.routes) {
      const uri = r.match?.uri;
      const rw = r.rewrite?.uri;
      if (uri && "prefix" in uri && rw && !uri.prefix.endsWith("/") && rw.endsWith("/")) {
        push(
          r,
          ["rewrite", "uri"],
          `prefix ${JSON.stringify(uri.prefix)} (no trailing /) is rewritten to ${JSON.stringify(rw)}: ${JSON.stringify(uri.prefix + "x")} becomes ${JSON.stringify(rw + "x")} and ${JSON.stringify(uri.prefix + "../x")} would climb out of ${JSON.stringify(rw)} (the gateway refuses that with 400); match ${JSON.stringify(uri.prefix + "/")} (plus exact ${JSON.stringify(uri.prefix)}) or rewrite to ${JSON.stringify(rw.replace(/\/+$/, "") || "/")}`,
          "prefix-rewrite-slash",
        );
      }
    }
  }
  const locate = locator(vsOf, objects);
  issues.push(...requestLoops(table, locate, objects));
  issues.push(...redirectLoops(table, locate));
  if (objects) issues.push(...secretsInResponses(objects));
  return issues;
}

// ------------------------------------------------------------------------------ request loops

/** The virtual host (not `*`) that serves `host` on either listener, or null. */
function servedBy(table: RouteTable): (host: string) => VirtualHost | null {
  const listeners = [prepareListener(table.listeners.http), prepareListener(table.listeners.https)];
  return (host) => {
    for (const l of listeners) {
      const i = selectVhost(l, host.toLowerCase());
      if (i !== null && table.vhosts[i]!.domain !== "*") return table.vhosts[i]!;
    }
    return null;
  };
}

function hostOfUrl(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** Where a table destination was written in its VirtualService rule (the first entry that names it). */
function destinationPath(
  vs: Located<VirtualService> | undefined,
  r: Route,
  host: string,
  mirror: number | null,
  resolve: ((h: string, ns: string | undefined) => string) | null,
): Array<string | number> {
  const rule = vs?.value.spec.http?.[r.ruleIndex];
  const ns = vs?.value.metadata.namespace;
  const same = (h: string | undefined) => h !== undefined && (resolve ? resolve(h, ns) : h.toLowerCase()) === host;
  if (rule) {
    if (mirror === null) {
      const j = (rule.route ?? []).findIndex((d) => same(d.destination?.host));
      if (j >= 0) return ["route", j, "destination", "host"];
    } else {
      if (rule.mirror && same(rule.mirror.host)) return ["mirror", "host"];
      const k = (rule.mirrors ?? []).findIndex((m) => same(m.destination?.host));
      if (k >= 0) return ["mirrors", k, "destination", "host"];
    }
  }
  return [];
}

/**
 * Destinations and mirrors whose endpoint is a host this gateway serves (`request-loop`). One
 * finding per written destination; the message says where the endpoint comes from.
 */
function requestLoops(table: RouteTable, locate: Locate, objects?: ConfigObjects): Issue[] {
  const served = servedBy(table);
  const resolve = objects ? hostResolver(objects) : null;
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const vh of table.vhosts) {
    for (const r of vh.routes) {
      const targets: Array<{ host: string; cluster: string | null; mirror: number | null }> = [];
      if (r.action.kind === "route") for (const d of r.action.destinations) targets.push({ host: d.host, cluster: d.cluster, mirror: null });
      (r.mirrors ?? []).forEach((m, k) => targets.push({ host: m.destination.host, cluster: m.destination.cluster, mirror: k }));
      for (const t of targets) {
        const cluster = t.cluster !== null && Object.hasOwn(table.clusters, t.cluster) ? table.clusters[t.cluster]! : undefined;
        if (!cluster) continue;
        for (const e of cluster.endpoints) {
          const h = hostOfUrl(e.url);
          const own = h === null ? null : served(h);
          if (!own) continue;
          const src = locate(r);
          // An HTTPRoute's backendRefs name Services, not hosts: the finding points at the list.
          const rel = src?.vs ? destinationPath(src.vs, r, t.host, t.mirror, resolve) : ["backendRefs"];
          const key = `${r.virtualService}#${r.ruleIndex}#${JSON.stringify(rel)}`;
          if (!src || seen.has(key)) break;
          seen.add(key);
          const source = cluster.external
            ? `no ServiceEntry names ${t.host}, so the gateway fetches ${e.url}`
            : `its endpoint is ${e.url}`;
          out.push(
            issueAt(
              src.obj,
              [...src.rule, ...rel],
              `${t.mirror === null ? "destination" : "mirror"} ${t.host}: ${source}, a host this gateway serves itself (virtual host ${own.domain}) — a request loop through the gateway whenever that fetch reaches the Worker again (a host of another zone routed to this Worker, or the global_fetch_strictly_public flag): each request goes round until Cloudflare stops it (error 1019 after 16 Worker hops); give the origin its own hostname (a ServiceEntry endpoint) instead`,
              "request-loop",
            ),
          );
          break;
        }
      }
    }
  }
  return out;
}

// ----------------------------------------------------------------------------- redirect loops

/** Redirects followed from a rule's sample request before the chain counts as endless. */
export const MAX_HOPS = 10;

/** A value the matcher accepts, where one is easy to write down (checked by decide() anyway). */
function sampleOf(m: StringMatch | undefined, fallback: string): string {
  if (!m) return fallback;
  if ("exact" in m) return m.exact;
  if ("prefix" in m) return m.prefix;
  if ("regex" in m) return literalRegexPrefix(m.regex) || fallback;
  return fallback;
}

function sampleHost(vh: VirtualHost, r: Route): string {
  const a = r.match?.authority;
  if (a && ("exact" in a || "prefix" in a)) return sampleOf(a, vh.domain);
  if (vh.domain === "*") return "any-host.example";
  return vh.domain.startsWith("*") ? `a${vh.domain.slice(1)}` : vh.domain;
}

/** Sample requests (one per scheme the rule may serve) that the rule's own match accepts. */
function samples(vh: VirtualHost, r: Route): RequestFacts[] {
  const m = r.match;
  const headers = new Headers();
  for (const [name, sm] of m?.headers ?? []) {
    try {
      headers.set(name, sampleOf(sm, "x"));
    } catch {
      return []; // a sample a client could not send
    }
  }
  const query = (m?.queryParams ?? []).map(([k, sm]) => `${encodeURIComponent(k)}=${encodeURIComponent(sampleOf(sm, "x"))}`).join("&");
  const schemeMatch = m?.scheme;
  const schemes = (["http", "https"] as const).filter((s) => !schemeMatch || !("exact" in schemeMatch) || schemeMatch.exact.toLowerCase() === s);
  const out: RequestFacts[] = [];
  for (const scheme of schemes) {
    const f = factsFromParts({
      method: sampleOf(m?.method, "GET"),
      scheme,
      authority: sampleHost(vh, r),
      path: sampleOf(m?.uri, "/"),
      query: query ? `?${query}` : "",
      headers,
    });
    if (!("error" in f)) out.push(f);
  }
  return out;
}

function decideOnce(prepared: PreparedTable, facts: RequestFacts): Decision {
  return decide(prepared, facts, { rand: () => 0.5, now: 0 });
}

/** The request a client sends after a redirect (RFC 9110 §15.4: 303 → GET; browsers turn a POST into a GET on 301/302). */
function follow(facts: RequestFacts, location: string, status: number): RequestFacts | null {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const method = status === 303 || ((status === 301 || status === 302) && facts.method === "POST") ? "GET" : facts.method;
  const f = factsFromParts({ method, scheme: url.protocol === "https:" ? "https" : "http", authority: url.host, path: url.pathname, query: url.search, headers: facts.headers });
  return "error" in f ? null : f;
}

export interface RedirectLoop {
  route: Route;
  /** The sample request and each Location in turn. */
  chain: string[];
  /** A Location came back (a cycle), rather than a chain still growing after MAX_HOPS. */
  cycle: boolean;
}

/** Every redirect rule whose own sample request starts an endless redirect chain through this rule. */
export function findRedirectLoops(table: RouteTable): RedirectLoop[] {
  let prepared: PreparedTable | null = null;
  const out: RedirectLoop[] = [];
  for (const [v, vh] of table.vhosts.entries()) {
    if (!vh.routes.some((r) => r.action.kind === "redirect")) continue;
    prepared ??= prepare(table);
    // The prepared table's own route objects: a decision names one of them, and a table whose
    // routes are read afresh on each access (the CLI's lowMemory build) gives new ones each time.
    for (const { route: r } of prepared.vhosts[v]!.routes) {
      if (r.action.kind !== "redirect") continue;
      for (const start of samples(vh, r)) {
        const first = decideOnce(prepared, start);
        if (first.kind !== "redirect" || first.match.route !== r) continue;
        const chain = [`${start.method} ${start.scheme}://${start.authority}${start.path}${start.query}`];
        const seen = new Set<string>();
        let location = first.location;
        let status = first.status;
        let facts = start;
        let again = false;
        let cycle = false;
        let endless = true;
        for (let hop = 0; hop < MAX_HOPS; hop++) {
          chain.push(`${status} ${location}`);
          if (seen.has(location)) {
            cycle = true;
            break;
          }
          seen.add(location);
          const next = follow(facts, location, status);
          if (!next) {
            endless = false;
            break;
          }
          const d = decideOnce(prepared, next);
          if (d.kind === "redirect") {
            if (d.match.route === r) again = true;
            location = d.location;
            status = d.status;
          } else if (d.kind === "httpsRedirect") {
            location = d.location;
            status = 301;
          } else {
            endless = false;
            break;
          }
          facts = next;
        }
        if (again && endless) {
          out.push({ route: r, chain, cycle });
          break;
        }
      }
    }
  }
  return out;
}

function redirectLoops(table: RouteTable, locate: Locate): Issue[] {
  const out: Issue[] = [];
  for (const loop of findRedirectLoops(table)) {
    const src = locate(loop.route);
    if (!src) continue;
    const shown = loop.chain.slice(0, 4).join(" → ") + (loop.chain.length > 4 ? " → …" : "");
    out.push(
      issueAt(
        src.obj,
        [...src.rule, src.vs ? "redirect" : "filters"],
        `redirect loop: ${shown} — this rule redirects its own Location again (${loop.cycle ? "the same Location comes back" : `still redirecting after ${MAX_HOPS} hops`}), so clients never arrive; add a match that excludes the target (e.g. \`scheme: {exact: http}\` for an https redirect) or send it to a path or host this rule does not match`,
        "redirect-loop",
      ),
    );
  }
  return out;
}

// ------------------------------------------------------------------- secrets in response headers

/** Request headers that carry credentials: copying one into a response hands it to page scripts and caches. */
export function isCredentialHeader(name: string): boolean {
  const n = name.trim().toLowerCase();
  return n === "cookie" || n === "authorization" || n === "proxy-authorization" || /token|secret|api-?key|passw|session|credential|auth/.test(n);
}

/** The request headers a header value copies with `%REQ(name)%` (`%%` is a literal `%`, as in substitute()). */
export function copiedRequestHeaders(value: string): string[] {
  const out: string[] = [];
  const re = /%%|%REQ\(([^)]*)\)%/g;
  for (let m = re.exec(value); m; m = re.exec(value)) if (m[1] !== undefined) out.push(m[1].trim().toLowerCase());
  return out;
}

function secretMessage(name: string, secrets: string[]): string {
  return `response header ${name} copies the request's ${secrets.join(", ")} (%REQ(${secrets[0]})%) into every response: it hands credentials (HttpOnly cookies, tokens) to page scripts and to any cache that stores the response; copy it into a request header for the origin instead, or drop it`;
}

type Ops = { set?: Record<string, string> | undefined; add?: Record<string, string> | undefined } | undefined;

function secretsInOps(vs: Located<VirtualService>, base: Array<string | number>, ops: Ops, out: Issue[]): void {
  for (const kind of ["set", "add"] as const) {
    for (const [name, value] of Object.entries(ops?.[kind] ?? {})) {
      if (typeof value !== "string") continue;
      const secrets = copiedRequestHeaders(value).filter(isCredentialHeader);
      if (!secrets.length) continue;
      out.push(issueAt(vs, [...base, kind, name], secretMessage(name, secrets), "secret-in-response"));
    }
  }
}

type Filters = ReadonlyArray<{ responseHeaderModifier?: { set?: Array<{ name: string; value: string }> | undefined; add?: Array<{ name: string; value: string }> | undefined } | undefined }> | undefined;

function secretsInFilters(obj: Located<unknown>, base: Array<string | number>, filters: Filters, out: Issue[]): void {
  (filters ?? []).forEach((f, k) => {
    for (const kind of ["set", "add"] as const) {
      (f.responseHeaderModifier?.[kind] ?? []).forEach((h, m) => {
        const secrets = copiedRequestHeaders(h.value).filter(isCredentialHeader);
        if (secrets.length) out.push(issueAt(obj, [...base, "filters", k, "responseHeaderModifier", kind, m, "value"], secretMessage(h.name, secrets), "secret-in-response"));
      });
    }
  });
}

/** Response header operations that copy a request credential (`secret-in-response`), on the rules as written. */
export function secretsInResponses(objects: Pick<ConfigObjects, "virtualServices"> & Partial<Pick<ConfigObjects, "httpRoutes">>): Issue[] {
  const out: Issue[] = [];
  for (const vs of objects.virtualServices) {
    (vs.value.spec.http ?? []).forEach((rule, i) => {
      secretsInOps(vs, ["spec", "http", i, "headers", "response"], rule.headers?.response, out);
      (rule.route ?? []).forEach((d, j) => secretsInOps(vs, ["spec", "http", i, "route", j, "headers", "response"], d.headers?.response, out));
    });
  }
  for (const hr of objects.httpRoutes ?? []) {
    (hr.value.spec.rules ?? []).forEach((rule, i) => {
      secretsInFilters(hr, ["spec", "rules", i], rule.filters, out);
      (rule.backendRefs ?? []).forEach((b, j) => secretsInFilters(hr, ["spec", "rules", i, "backendRefs", j], b.filters, out));
    });
  }
  return out;
}
