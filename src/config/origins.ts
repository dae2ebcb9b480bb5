/**
 * The origins file (DESIGN.md §2 `origins.ts`, §9): in-cluster names → the origins that serve them
 * at the edge, so `routes/` can hold Istio's files byte for byte.
 *
 *   # routes/origins.yaml
 *   namespace: default                       # for dot-less keys (optional, default `default`)
 *   origins:
 *     productpage:9080: http://127.0.0.1:9080
 *     reviews.default.svc.cluster.local:9080:
 *       - { url: http://127.0.0.1:9081, labels: { version: v1 } }
 *       - { url: http://127.0.0.1:9082, labels: { version: v2 }, weight: 2 }
 *
 * A key is `HOST[:PORT]`; HOST is read like a destination host (k8s-names.ts: `reviews`,
 * `reviews.default`, the FQDN, or any DNS name). A key with a port serves that Service port, a key
 * without one every port. A value is a URL, a map {url, labels, weight}, or a list of them; the
 * labels are what DestinationRule subsets select, like ServiceEntry endpoint labels. A URL is an
 * origin only (scheme, host, port): the request's path is kept as it is.
 *
 * Recognised by its file name (`origins.yaml`, `*.origins.yaml`): it is not a Kubernetes object.
 */
import { z } from "zod";
import { str, stringMap, dnsLabel } from "./schema/common.ts";
import { describe } from "./duration.ts";
import { formatPath, type Issue } from "./issue.ts";
import type { ParsedDoc } from "./yaml-doc.ts";
import { errorMap, translate } from "./zod-issues.ts";
import { DEFAULT_NAMESPACE, qualifyHost, type KnownNamespaces } from "./k8s-names.ts";

/** `origins.yaml`, `origins.yml`, `shop.origins.yaml` (any folder). */
export function isOriginsFile(path: string): boolean {
  return /(^|[\\/.])origins\.ya?ml$/i.test(path);
}

const HOST_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const KEY = new RegExp(`^(?<host>${HOST_LABEL}(\\.${HOST_LABEL})*)(:(?<port>\\d{1,5}))?$`, "i");

/** An origin URL: http(s), a host, an optional port, nothing else. */
const originUrl = str("an origin URL like http://127.0.0.1:9080 or https://reviews.example.net").check((ctx) => {
  const problem = urlProblem(ctx.value);
  if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
});

function urlProblem(s: string): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `expected an origin URL like http://127.0.0.1:9080 or https://reviews.example.net, got ${describe(s)}`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `origin URL must use http or https, got ${JSON.stringify(u.protocol.slice(0, -1))}`;
  if (u.username || u.password) return "origin URL must not carry credentials (user:password@)";
  if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash)
    return `origin URL must be scheme://host[:port] only (the request's path is kept; use rewrite.uri to change it), got ${JSON.stringify(s)}`;
  return undefined;
}

const Endpoint = z.strictObject({
  url: originUrl,
  labels: stringMap().optional(),
  /** Load-balancing weight, as WorkloadEntry.weight (1 when omitted). */
  weight: z.number().int().min(1).max(2 ** 32 - 1, { error: "weight must be at most 4294967295" }).optional(),
});

const key = z.string().check((ctx) => {
  if (!KEY.test(ctx.value))
    ctx.issues.push({ code: "custom", input: ctx.value, message: `expected HOST or HOST:PORT (e.g. reviews, reviews.default:9080, reviews.default.svc.cluster.local:9080), got ${JSON.stringify(ctx.value)}` });
  else {
    const port = KEY.exec(ctx.value)!.groups!.port;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      ctx.issues.push({ code: "custom", input: ctx.value, message: `port must be 1-65535, got ${port}` });
  }
});

/** The file as written (for the editors' JSON Schema): a value is a URL, an endpoint map or a list of them. */
const OriginsInput = z.strictObject({
  namespace: dnsLabel("namespace").optional(),
  origins: z.record(key, z.union([originUrl, Endpoint, z.array(z.union([originUrl, Endpoint])).min(1)])),
});

/** The same after every value became a list of endpoint maps (what is validated, with exact paths). */
const OriginsNormalized = z.strictObject({
  namespace: dnsLabel("namespace").optional(),
  origins: z.record(key, z.array(Endpoint).min(1, { error: "expected at least one origin" })),
});

export interface OriginEndpoint {
  /** scheme://host[:port], without a trailing slash and without the scheme's default port. */
  url: string;
  labels?: Record<string, string>;
  weight: number;
}

export interface OriginEntry {
  /** The key as written (the path of its findings: ["origins", key]). */
  key: string;
  /** Qualified, lower-cased host (`reviews.default.svc.cluster.local`). */
  host: string;
  /** The Service port the entry serves; undefined = every port. */
  port?: number;
  endpoints: OriginEndpoint[];
}

export interface OriginsFile {
  namespace: string;
  entries: OriginEntry[];
}

function normalize(v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const raw = v as Record<string, unknown>;
  const origins = raw.origins;
  if (typeof origins !== "object" || origins === null || Array.isArray(origins)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(origins)) {
    const list = Array.isArray(val) ? val : [val];
    out[k] = list.map((e) => (typeof e === "string" ? { url: e } : e));
  }
  return { ...raw, origins: out };
}

function writtenPath(v: unknown, path: Array<string | number>): Array<string | number> {
  if (path[0] !== "origins" || typeof path[1] !== "string" || path[3] !== "url") return path;
  const written = ((v as { origins?: Record<string, unknown> }).origins ?? {})[path[1]];
  if (typeof written === "string") return ["origins", path[1]];
  if (Array.isArray(written) && typeof written[path[2] as number] === "string") return path.slice(0, 3);
  return path;
}

/** `http://127.0.0.1:9080/` → `http://127.0.0.1:9080`; `https://a.example:443` → `https://a.example`. */
function canonicalOrigin(s: string): string {
  return new URL(s).origin;
}

/**
 * One document of an origins file → entries, or located errors. `known` is the config's namespaces,
 * so that `reviews.prod` keys are read as Services of namespace `prod` (k8s-names.ts).
 */
export function parseOrigins(file: string, doc: ParsedDoc, known: KnownNamespaces, issues: Issue[]): OriginsFile | null {
  if (doc.value === undefined || doc.value === null) return null;
  const result = OriginsNormalized.safeParse(normalize(doc.value), { reportInput: true, error: errorMap });
  if (!result.success) {
    for (const zi of result.error.issues)
      for (const t of translate(zi)) {
        // Where the file wrote a plain URL, the normalized form has [0].url or [i].url: report the
        // path as written.
        t.path = writtenPath(doc.value, t.path);
        const { line, col } = doc.locate(t.path, t.atKey);
        issues.push({ severity: "error", file, line, col, path: formatPath(t.path), message: t.message, code: t.code });
      }
    return null;
  }
  const namespace = result.data.namespace ?? DEFAULT_NAMESPACE;
  const entries: OriginEntry[] = [];
  for (const [k, list] of Object.entries(result.data.origins)) {
    const m = KEY.exec(k)!.groups!;
    const entry: OriginEntry = {
      key: k,
      host: qualifyHost(m.host!, namespace, known),
      endpoints: list.map((e) => {
        const ep: OriginEndpoint = { url: canonicalOrigin(e.url), weight: e.weight ?? 1 };
        if (e.labels && Object.keys(e.labels).length) ep.labels = { ...e.labels };
        return ep;
      }),
    };
    if (m.port !== undefined) entry.port = Number(m.port);
    entries.push(entry);
  }
  return { namespace, entries };
}

/** The namespaces an origins document names in its keys and `namespace` (read before qualifying). */
export function originsNamespaces(doc: ParsedDoc): string[] {
  const v = doc.value as { namespace?: unknown; origins?: unknown } | null | undefined;
  if (typeof v !== "object" || v === null) return [];
  const out: string[] = [];
  if (typeof v.namespace === "string") out.push(v.namespace);
  if (typeof v.origins === "object" && v.origins !== null)
    for (const k of Object.keys(v.origins)) {
      const labels = k.split(":")[0]!.toLowerCase().split(".");
      // NAME.NS.svc.cluster.local names its namespace; NAME.NS is ambiguous until known.
      if (labels.length === 5 && labels.slice(2).join(".") === "svc.cluster.local") out.push(labels[1]!);
    }
  return out;
}

/** `origins.schema.json` for editors (`# yaml-language-server: $schema=../schema/origins.schema.json`). */
export function originsJsonSchema(): object {
  const schema = z.toJSONSchema(OriginsInput, { target: "draft-07", unrepresentable: "any", io: "input" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://edge-gateway.dev/schemas/origins.json",
    title: "Origins file: in-cluster names (HOST[:PORT]) → origin URLs, with labels for DestinationRule subsets",
  };
}

/** The line of an origins file that would serve `host` (port optional): the hint of a missing origin. */
export function originsLine(host: string, port: number | undefined): string {
  return `${host}${port !== undefined ? `:${port}` : ""}: https://ORIGIN.example.com`;
}

/**
 * A one-line ServiceEntry (YAML flow style, pasteable as a document) that would serve `host`: the
 * Service port stays what the routes name, the origin is reached over https on 443 (targetPort).
 */
export function serviceEntryLine(host: string, port: number | undefined, namespace: string): string {
  const name = host.split(".")[0]!;
  const p = port ?? 443;
  const target = p === 443 ? "" : ", targetPort: 443";
  return `{apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: ${name}, namespace: ${namespace}}, spec: {hosts: [${host}], ports: [{number: ${p}, name: https, protocol: HTTPS${target}}], resolution: DNS, endpoints: [{address: ORIGIN.example.com}]}}`;
}
