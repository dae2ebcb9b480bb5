/**
 * loadConfig: files → validated Istio objects + every located issue (DESIGN.md §2 "load").
 * Steps: YAML (multi-document, positions) → kind/apiVersion dispatch → zod schema of the kind →
 * edge warnings → duplicate names → cross-object references (references.ts).
 * Nothing stops at the first problem: every issue of every document is collected.
 */
import type { z } from "zod";
import { formatPath, reporter, type Issue, type Located, type SourceFile } from "./issue.ts";
import type { ConfigObjects } from "./objects.ts";
import { API_VERSIONS, DestinationRule, Gateway, ServiceEntry, VirtualService } from "./schema/index.ts";
import { parseYamlFile, type ParsedDoc } from "./yaml-doc.ts";
import { errorMap, translate } from "./zod-issues.ts";
import { edgeNotes } from "./edge-notes.ts";
import { checkReferences } from "./references.ts";
import { describe } from "./duration.ts";
import { isOriginsFile, originsNamespaces, parseOrigins, type OriginsFile } from "./origins.ts";
import { knownNamespaces } from "./k8s-names.ts";
import { GatewayApiGateway, HTTPRoute, Namespace, ReferenceGrant, GROUP } from "./gateway-api/index.ts";
import { gatewayApiNotes } from "./gateway-api/notes.ts";
import { CANARY_API_VERSION, Canary, type Canary as CanaryT } from "./canary.ts";

/** Gateway API kinds we load, by kind (apiVersion group gateway.networking.k8s.io). */
const GATEWAY_API_KINDS = {
  Gateway: { schema: GatewayApiGateway, list: "k8sGateways" },
  HTTPRoute: { schema: HTTPRoute, list: "httpRoutes" },
  ReferenceGrant: { schema: ReferenceGrant, list: "referenceGrants" },
} as const;
/** Gateway API kinds outside the edge's scope (§1.1): they load with a warning and do nothing. */
const GATEWAY_API_IGNORED = new Set(["GatewayClass", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ListenerSet", "XListenerSet", "BackendTLSPolicy", "BackendTrafficPolicy", "XBackendTrafficPolicy"]);

const KINDS = {
  Gateway: { schema: Gateway, list: "gateways" },
  VirtualService: { schema: VirtualService, list: "virtualServices" },
  DestinationRule: { schema: DestinationRule, list: "destinationRules" },
  ServiceEntry: { schema: ServiceEntry, list: "serviceEntries" },
} as const;
type Kind = keyof typeof KINDS;

/**
 * Keeps a validated value out of the heap and gives back a reader of it (the CLI's spill file,
 * scripts/lib/spill.ts). Each read may return a new copy, equal to the value parked.
 */
export interface Offload {
  /** Stores a value given as JSON; returns its slot. */
  park(json: string): number;
  /** The value in `slot`: each read may return a new copy. */
  read(slot: number): unknown;
}

export interface LoadOptions {
  /**
   * Given: as each file is loaded, the rules of its VirtualServices (`spec.http`, nearly all of a
   * large config) are parked there and read back on access (issue #16 item 2: CLI memory follows
   * the largest file, not the config). Objects stay equal to the ones loaded without it.
   */
  offload?: Offload;
}

export function loadConfig(files: SourceFile[], options: LoadOptions = {}): { objects: ConfigObjects; issues: Issue[] } {
  const objects: ConfigObjects = {
    gateways: [], virtualServices: [], destinationRules: [], serviceEntries: [], origins: [],
    k8sGateways: [], httpRoutes: [], referenceGrants: [], namespaces: [], canaries: [],
  };
  const issues: Issue[] = [];
  const originFiles: Array<{ file: string; docs: ParsedDoc[] }> = [];
  for (const file of files) {
    if (isOriginsFile(file.path)) originFiles.push(loadOriginsText(file, issues));
    else {
      const from = objects.virtualServices.length;
      loadFile(file, objects, issues);
      if (options.offload) for (const vs of objects.virtualServices.slice(from)) vs.value.spec = offloadMember(vs.value.spec, "http", options.offload);
    }
  }
  // Origins keys like `reviews.prod` are read against every namespace the config knows.
  const known = knownNamespaces([
    ...[objects.gateways, objects.virtualServices, objects.destinationRules, objects.serviceEntries, objects.k8sGateways, objects.httpRoutes, objects.referenceGrants].flatMap((l) => l.map((o) => o.value.metadata.namespace)),
    ...objects.namespaces.map((n) => n.value.metadata.name),
    ...originFiles.flatMap((f) => f.docs.flatMap(originsNamespaces)),
  ]);
  for (const { file, docs } of originFiles)
    for (const doc of docs) {
      const parsed = parseOrigins(file, doc, known, issues);
      if (parsed) objects.origins!.push({ file, doc: doc.index, value: parsed, at: (path) => doc.locate(path, true), line: doc.line });
    }
  checkDuplicates(objects, issues);
  checkOriginKeys(objects.origins!, issues);
  checkReferences(objects, issues);
  return { objects, issues };
}

function loadFile(file: SourceFile, objects: ConfigObjects, issues: Issue[]): void {
  const { docs, errors } = parseYamlFile(file.text, file.reread);
  for (const e of errors) issues.push({ severity: "error", file: file.path, line: e.line, col: e.col, path: "", message: e.message, code: "yaml-syntax", kind: "source" });
  for (const doc of docs) loadDoc(file.path, doc, objects, issues);
}

function loadOriginsText(file: SourceFile, issues: Issue[]): { file: string; docs: ParsedDoc[] } {
  const { docs, errors } = parseYamlFile(file.text);
  for (const e of errors) issues.push({ severity: "error", file: file.path, line: e.line, col: e.col, path: "", message: e.message, code: "yaml-syntax" });
  return { file: file.path, docs };
}

/** One origin per host:port across every origins file (`reviews:9080` and its FQDN are one key). */
function checkOriginKeys(files: Located<OriginsFile>[], issues: Issue[]): void {
  const seen = new Map<string, { file: Located<OriginsFile>; key: string }>();
  for (const f of files)
    for (const e of f.value.entries) {
      const id = `${e.host}:${e.port ?? "*"}`;
      const first = seen.get(id);
      if (first) {
        const p = first.file.at(["origins", first.key]);
        reporter(issues, f)("error", ["origins", e.key], `${e.host}${e.port !== undefined ? `:${e.port}` : ""} already has origins (${first.key} at ${first.file.file}:${p.line}:${p.col})`, "duplicate");
      } else seen.set(id, { file: f, key: e.key });
    }
}

function loadDoc(file: string, doc: ParsedDoc, objects: ConfigObjects, issues: Issue[]): void {
  if (doc.value === undefined || doc.value === null) return; // empty document (e.g. a trailing `---`)
  // `at` lives as long as the loaded object: it must hold the locator, not the document (whose
  // js-yaml value would then stay in memory beside zod's copy for the whole run).
  const locate = doc.locate;
  const at = (path: ReadonlyArray<string | number>) => locate(path);
  const report = reporter(issues, { file, at });
  const v = doc.value;
  if (typeof v !== "object" || Array.isArray(v)) {
    report("error", [], `expected a Kubernetes object (a map with apiVersion, kind, metadata, spec), got ${describe(v)}`, "not-an-object", "source");
    return;
  }
  const raw = v as Record<string, unknown>;
  const kind = raw.kind;
  if (typeof raw.apiVersion === "string" && raw.apiVersion.startsWith(`${GROUP}/`) && typeof kind === "string") {
    if (GATEWAY_API_IGNORED.has(kind)) {
      report("warning", ["kind"], `${kind} is ignored at the edge: only Gateway, HTTPRoute and ReferenceGrant of ${GROUP} are served`, "edge-ignored", "ignored");
      return;
    }
    if (Object.hasOwn(GATEWAY_API_KINDS, kind)) {
      const { schema, list } = GATEWAY_API_KINDS[kind as keyof typeof GATEWAY_API_KINDS];
      const data = parseWith(schema, v, file, doc, issues);
      if (data === undefined) return;
      const located = { file, doc: doc.index, value: data, at, line: doc.line } satisfies Located<unknown> as Located<never>;
      gatewayApiNotes(kind, data, reporter(issues, located));
      (objects[list] as Located<unknown>[]).push(located);
      return;
    }
    report("error", ["kind"], `unsupported kind ${describe(kind)} for ${GROUP}: expected Gateway, HTTPRoute or ReferenceGrant`, "kind");
    return;
  }
  if (raw.apiVersion === CANARY_API_VERSION || kind === "Canary") {
    if (kind !== "Canary") {
      report("error", ["kind"], `unsupported kind ${describe(kind)} for ${CANARY_API_VERSION}: expected Canary`, "kind");
      return;
    }
    const data = parseWith(Canary, v, file, doc, issues);
    if (data !== undefined) objects.canaries!.push({ file, doc: doc.index, value: data, at, line: doc.line } satisfies Located<unknown> as Located<never>);
    return;
  }
  if (raw.apiVersion === "v1" && kind === "Namespace") {
    const data = parseWith(Namespace, v, file, doc, issues);
    if (data !== undefined) objects.namespaces.push({ file, doc: doc.index, value: data, at, line: doc.line } satisfies Located<unknown> as Located<never>);
    return;
  }
  if (typeof kind === "string" && !(kind in KINDS) && otherKind(raw.apiVersion, kind)) {
    // Istio's samples mix networking objects with Services, Deployments, Sidecars, policies…:
    // the cluster accepts them, the edge has no use for them (DESIGN.md §9 "ignored").
    report("warning", ["kind"], `${kind} (${String(raw.apiVersion)}) is ignored: the edge reads Gateway, VirtualService, DestinationRule and ServiceEntry`, "other-kind", "ignored");
    return;
  }
  if (typeof kind !== "string" || !(kind in KINDS)) {
    report(
      "error",
      kind === undefined ? [] : ["kind"],
      `${kind === undefined ? "missing kind" : `unsupported kind ${describe(kind)}`}: expected Gateway, VirtualService, DestinationRule or ServiceEntry (networking.istio.io), Gateway, HTTPRoute or ReferenceGrant (${GROUP}) or a v1 Namespace`,
      "kind",
      "source",
    );
    return;
  }
  if (!(API_VERSIONS as readonly unknown[]).includes(raw.apiVersion)) {
    report(
      "error",
      raw.apiVersion === undefined ? [] : ["apiVersion"],
      `${raw.apiVersion === undefined ? "missing apiVersion" : `unsupported apiVersion ${describe(raw.apiVersion)}`} for ${kind}: expected ${API_VERSIONS.join(", ")}`,
      "api-version",
      "source",
    );
    return;
  }
  const { schema, list } = KINDS[kind as Kind];
  const result = (schema as z.ZodType).safeParse(v, { reportInput: true, error: errorMap });
  if (!result.success) {
    for (const zi of result.error.issues)
      for (const t of translate(zi)) {
        const { line, col } = doc.locate(t.path, t.atKey);
        issues.push({ severity: "error", file, line, col, path: formatPath(t.path), message: t.message, code: t.code, kind: t.kind });
      }
    return;
  }
  const data = compact(result.data);
  const located = { file, doc: doc.index, value: data, at, line: doc.line } as Located<never>;
  edgeNotes(kind as Kind, data, reporter(issues, located));
  (objects[list] as Located<unknown>[]).push(located);
}

/** zod-parse one document; located errors on failure (undefined). */
function parseWith(schema: z.ZodType, v: unknown, file: string, doc: ParsedDoc, issues: Issue[]): unknown {
  const result = schema.safeParse(v, { reportInput: true, error: errorMap });
  if (result.success) return compact(result.data);
  for (const zi of result.error.issues)
    for (const t of translate(zi)) {
      const { line, col } = doc.locate(t.path, t.atKey);
      issues.push({ severity: "error", file, line, col, path: formatPath(t.path), message: t.message, code: t.code, kind: t.kind });
    }
  return undefined;
}

/**
 * A validated value as JSON.parse builds it, when that is the same value. Loaded objects stay in
 * memory for the whole run, and zod's output objects take about twice the memory of the same data
 * built by JSON.parse (measured on generated VirtualServices: 745 → 420 bytes per route; V8 sizes
 * JSON.parse's objects to their properties), issue #16 item 2. Anything JSON would not give back
 * exactly (undefined members, non-finite numbers, -0, a non-plain object, a `__proto__` key)
 * keeps zod's value as it is.
 */
export function compact<T>(value: T): T {
  const json = exactJson(value);
  return json === null ? value : (JSON.parse(json) as T);
}

/** `value` as JSON when JSON.parse gives exactly the same value back (see compact), else null. */
export function exactJson(value: unknown): string | null {
  try {
    return JSON.stringify(value, exactInJson);
  } catch (e) {
    if (e === NOT_EXACT) return null;
    throw e;
  }
}

/** Where a parked member is (non-enumerable: spreads, JSON and Object.keys do not see them). */
const PARKED_IN = Symbol("parked in");
const PARKED_SLOT = Symbol("parked slot");
type Parking = { [PARKED_IN]: Offload; [PARKED_SLOT]: number };

/**
 * One accessor pair per member name, shared by every object: objects whose accessors were
 * closures of their own would each need a hidden class of their own, and V8 then keeps them in
 * its larger dictionary mode (≈ 250 B more per VirtualService).
 */
const accessors = new Map<string, PropertyDescriptor>();
function parkedAccessor(key: string): PropertyDescriptor {
  let d = accessors.get(key);
  if (!d) {
    d = {
      get(this: Parking) {
        return this[PARKED_IN].read(this[PARKED_SLOT]);
      },
      set(this: object, v: unknown) {
        Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: true,
      configurable: true,
    };
    accessors.set(key, d);
  }
  return d;
}

/**
 * `holder` with `key` read from `offload` (when JSON holds it exactly): a new object with the
 * same members in the same order, `key` an enumerable accessor. Writing the member puts a plain
 * value back. (Turning the member of the parsed object into an accessor would put that object in
 * V8's dictionary mode too.)
 */
function offloadMember<T extends object>(holder: T, key: keyof T & string, offload: Offload): T {
  const value = holder[key];
  if (value === undefined) return holder;
  const json = exactJson(value);
  if (json === null) return holder;
  const out = {} as T;
  for (const k of Object.keys(holder) as Array<keyof T & string>) {
    if (k === key) Object.defineProperty(out, k, parkedAccessor(k));
    else out[k] = holder[k];
  }
  Object.defineProperty(out, PARKED_IN, { value: offload });
  Object.defineProperty(out, PARKED_SLOT, { value: offload.park(json) });
  return out;
}

const NOT_EXACT = new Error("not exact in JSON");

function exactInJson(this: unknown, key: string, v: unknown): unknown {
  if (key === "__proto__") throw NOT_EXACT;
  // The member itself, before any toJSON (a Date arrives as its string).
  if ((this as Record<string, unknown>)[key] !== v) throw NOT_EXACT;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (!Number.isFinite(v) || Object.is(v, -0)) throw NOT_EXACT;
      return v;
    case "object": {
      if (v === null || Array.isArray(v)) return v;
      if (Object.getPrototypeOf(v) !== Object.prototype) throw NOT_EXACT;
      return v;
    }
    default:
      throw NOT_EXACT; // undefined (a member or a hole), function, symbol, bigint
  }
}

/**
 * Kinds a cluster accepts that the edge does not read (Kubernetes workloads and Istio's other
 * APIs). A kind nobody defines (a typo such as `VirtualSevice`) stays an error: `kubectl apply`
 * answers "no matches for kind".
 */
const OTHER_KINDS: Record<string, readonly string[]> = {
  "v1": ["Service", "ServiceAccount", "ConfigMap", "Secret", "Pod", "Endpoints"],
  "apps/v1": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
  "networking.istio.io": ["Sidecar", "EnvoyFilter", "WorkloadEntry", "WorkloadGroup", "ProxyConfig"],
  "security.istio.io": ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"],
  "telemetry.istio.io": ["Telemetry"],
  "extensions.istio.io": ["WasmPlugin"],
};

function otherKind(apiVersion: unknown, kind: string): boolean {
  if (typeof apiVersion !== "string") return false;
  const group = apiVersion.includes("/") && !apiVersion.startsWith("apps/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : apiVersion;
  return OTHER_KINDS[group]?.includes(kind) ?? false;
}

function checkDuplicates(objects: ConfigObjects, issues: Issue[]): void {
  for (const [kind, list] of [
    ["Gateway", objects.gateways],
    ["VirtualService", objects.virtualServices],
    ["DestinationRule", objects.destinationRules],
    ["ServiceEntry", objects.serviceEntries],
    ["Gateway (gateway.networking.k8s.io)", objects.k8sGateways],
    ["HTTPRoute", objects.httpRoutes],
    ["ReferenceGrant", objects.referenceGrants],
  ] as const) {
    const seen = new Map<string, Located<{ metadata: { name: string; namespace: string } }>>();
    for (const o of list as Located<{ metadata: { name: string; namespace: string } }>[]) {
      const key = `${o.value.metadata.namespace}/${o.value.metadata.name}`;
      const first = seen.get(key);
      if (first) {
        const p = first.at(["metadata", "name"]);
        reporter(issues, o)("error", ["metadata", "name"], `duplicate ${kind} ${key} (first defined at ${first.file}:${p.line}:${p.col})`, "duplicate");
      } else seen.set(key, o);
    }
  }
}
