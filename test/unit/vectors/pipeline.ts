/**
 * The worked vectors of ISTIO-SEMANTICS §2.16 run through the real chain of pure modules, as the
 * CLI and the Worker do: YAML → loadConfig → compile → prepare → factsFromRequest → decide.
 * Nothing here builds a table by hand, so a vector proves the whole decision path.
 *
 * The §2.16 preamble: a Gateway `gw` with one HTTP server on port 80 whose hosts cover the
 * request host, VirtualServices bound with `gateways: [gw]`, destinations that exist and are
 * healthy. `s1`, `s2`, `s3` are ServiceEntries with one DNS endpoint each (so no edge warning
 * about IP endpoints gets in the way, and the endpoint choice is fixed).
 */
import { expect } from "vitest";
import { loadConfig, type Issue } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import type { Decision, ForwardDecision } from "../../../src/decision.ts";
import { decide } from "../../../src/decide.ts";
import { prepare, type PreparedTable } from "../../../src/prepare.ts";
import { factsFromRequest } from "../../../src/match/facts.ts";

/** The Gateway of the preamble; `server` replaces its one server (port, tls). */
export function gatewayYaml(server = "port: { number: 80, name: http, protocol: HTTP }"): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers:
    - ${server}
      hosts: ["*"]
`;
}

function serviceEntry(name: string, endpoints: string): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name} }
spec:
  hosts: [${name}]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints:
${endpoints}`;
}

/**
 * Origins s1, s2, s3 (one endpoint each, so the endpoint choice rolls no die) and a
 * DestinationRule defining subset v1 of s1.
 */
export const SERVICES = [
  serviceEntry("s1", "    - { address: s1.origin.example, labels: { version: v1 } }\n"),
  serviceEntry("s2", "    - { address: s2.origin.example }\n"),
  serviceEntry("s3", "    - { address: s3.origin.example }\n"),
  `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: s1 }
spec:
  host: s1
  subsets:
    - { name: v1, labels: { version: v1 } }
`,
].join("---\n");

/** A ServiceEntry `pool` with three endpoints (for load-balancing / hashing vectors). */
export const POOL = serviceEntry(
  "pool",
  `    - { address: p1.origin.example }
    - { address: p2.origin.example }
    - { address: p3.origin.example }
`,
);

/** A VirtualService for `a.com` bound to `gw`, with the given `http:` rules (YAML, indented 4). */
export function vs(http: string, opts: { name?: string; hosts?: string[]; gateways?: string[] | null; created?: string } = {}): string {
  const gateways = opts.gateways === null ? "" : `  gateways: ${JSON.stringify(opts.gateways ?? ["gw"])}\n`;
  const created = opts.created ? `, creationTimestamp: "${opts.created}"` : "";
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${opts.name ?? "vs"}${created} }
spec:
  hosts: ${JSON.stringify(opts.hosts ?? ["a.com"])}
${gateways}  http:
${http}`;
}

export interface Built {
  table: RouteTable | null;
  prepared: PreparedTable | null;
  /** Loader and compiler issues together. */
  issues: Issue[];
}

/** YAML documents → compiled and prepared table (or the issues that stopped it). */
export async function build(...docs: string[]): Promise<Built> {
  const text = docs.map((d) => d.trim() + "\n").join("---\n");
  const loaded = loadConfig([{ path: "vectors.yaml", text }]);
  if (loaded.issues.some((i) => i.severity === "error")) return { table: null, prepared: null, issues: loaded.issues };
  const compiled = await compile(loaded.objects, { sources: ["vectors.yaml"] });
  const issues = [...loaded.issues, ...compiled.issues];
  return { table: compiled.table, prepared: compiled.table ? prepare(compiled.table) : null, issues };
}

/** Build a config that must compile without errors (the preamble services are included). */
export async function gatewayWith(...docs: string[]): Promise<PreparedTable> {
  const b = await build(gatewayYaml(), SERVICES, ...docs);
  expect(b.issues.filter((i) => i.severity === "error"), "config must compile").toEqual([]);
  return b.prepared!;
}

export interface Req {
  method?: string;
  headers?: Record<string, string>;
  /** Pins every die (weighted pick, fault and mirror percentages). Default 0.5. */
  random?: number;
}

/** One request through factsFromRequest (the Worker's own facts) and decide(). */
export function send(table: PreparedTable, url: string, req: Req = {}): Decision {
  const request = new Request(url, { method: req.method ?? "GET", headers: req.headers ?? {} });
  const facts = factsFromRequest(request);
  if ("error" in facts) throw new Error(`bad request: ${facts.reason}`);
  const random = req.random ?? 0.5;
  return decide(table, facts, { rand: () => random, now: 0 });
}

/** The decision must be a forward; returns it narrowed. */
export function forwarded(d: Decision): ForwardDecision {
  expect(d.kind, `decision ${JSON.stringify(d.kind)}`).toBe("forward");
  return d as ForwardDecision;
}

/** Which origin a decision reached (`s2`, `s1/v1`), or the kind of local reply. */
export function reached(d: Decision): string {
  if (d.kind !== "forward") return d.kind;
  const dest = d.target.destination;
  return dest.subset ? `${dest.host}/${dest.subset}` : dest.host;
}

/**
 * What a vector asserts, flattened from a Decision: where the request went (`to`: host or
 * host/subset), what the origin sees (url, path, authority), or the local reply.
 */
export interface Outcome {
  kind: Decision["kind"];
  to?: string;
  url?: string;
  path?: string;
  originalPath?: string;
  authority?: string;
  status?: number;
  location?: string;
  body?: string;
  delayMs?: number;
  mirrors?: string[];
  cors?: Record<string, string>;
  setCookies?: string[];
  vhost?: string;
}

export function outcome(d: Decision): Outcome {
  switch (d.kind) {
    case "forward": {
      const o: Outcome = {
        kind: d.kind,
        to: reached(d),
        url: d.target.url,
        path: d.upstreamPath,
        authority: d.authority,
        delayMs: d.delayMs,
        mirrors: d.mirrors.map((m) => m.url),
        cors: Object.fromEntries(d.corsHeaders),
        setCookies: d.setCookies,
      };
      if (d.originalPath !== undefined) o.originalPath = d.originalPath;
      return o;
    }
    case "redirect":
      return { kind: d.kind, status: d.status, location: d.location };
    case "httpsRedirect":
      return { kind: d.kind, location: d.location };
    case "directResponse": {
      const o: Outcome = { kind: d.kind, status: d.status };
      if (d.body && "string" in d.body) o.body = d.body.string;
      return o;
    }
    case "faultAbort":
      return { kind: d.kind, status: d.status, delayMs: d.delayMs };
    case "corsPreflight":
      return { kind: d.kind, cors: Object.fromEntries(d.headers) };
    case "noRoute":
      return d.vhost === undefined ? { kind: d.kind } : { kind: d.kind, vhost: d.vhost };
    case "badRequest":
      return { kind: d.kind, status: 400 };
    case "clusterNotFound":
    case "noHealthyUpstream":
      return { kind: d.kind, to: d.destination.subset ? `${d.destination.host}/${d.destination.subset}` : d.destination.host };
  }
}

/** One table row: a vector (or one request of it), its config and the expected outcome. */
export interface Vector {
  /** `#11 prefix rewrite replaces exactly the matched characters` */
  name: string;
  /** YAML documents added to the preamble (Gateway `gw` + services), or a full config. */
  config: string[];
  /** Replace the preamble Gateway (other ports, tls). */
  gateway?: string;
  url: string;
  req?: Req;
  expect: Outcome;
}

/** Build the vector's config and decide its request. */
export async function runVector(v: Vector): Promise<Outcome> {
  const b = await build(v.gateway ?? gatewayYaml(), SERVICES, ...v.config);
  expect(b.issues.filter((i) => i.severity === "error"), "config must compile").toEqual([]);
  return outcome(send(b.prepared!, v.url, v.req));
}

/**
 * One `http[]` rule, short: `rule("uri: { prefix: /v2 }", "s1")` is a rule with one match entry
 * routing to s1; `rule(null, "s2")` a rule without match (a catch-all). `extra` adds fields
 * (indented six spaces).
 */
export function rule(match: string | null, host: string, extra = ""): string {
  const head = match === null ? "    - " : `    - match:\n        - ${match}\n      `;
  return `${head}route: [{ destination: { host: ${host} } }]\n${extra}`;
}
