/**
 * Which weighted splits are sticky (DESIGN.md §4), decided at compile time from plain Istio YAML.
 *
 * Two ways to ask for it, both keeping the YAML valid for Istio:
 *
 * 1. DestinationRule `trafficPolicy.loadBalancer.consistentHash.httpCookie {name, ttl, path}` on
 *    the destinations' host(s). In Istio this only hashes an *endpoint inside the subset the
 *    weighted die already chose* (ISTIO-SEMANTICS §1.3, §3 first row; istio/istio#9764). We
 *    deliberately go further: a weighted split whose every destination hashes the same cookie
 *    first hashes the visitor into the split (monotone rendezvous, src/select/sticky.ts), then the
 *    endpoint choice inside the subset still hashes the same cookie as Envoy would.
 *    `ttl` set (even `0s`) ⇒ the gateway mints the id; `ttl` omitted ⇒ Envoy never generates the
 *    cookie, so it is the application's: hashed when present, never set (`appOwned`).
 *
 * 2. For splits across different hosts (no shared DestinationRule), a VirtualService annotation:
 *      metadata.annotations["edge-gateway.dev/sticky-split"]: "cookie=ab_visitor; ttl=720h; path=/; rules=home-ab"
 *    `;`-separated `key=value`; every key optional: cookie (RFC 6265 token, default
 *    `edge_visitor`), ttl (a duration like `720h`/`2592000s`, or whole seconds; `0` = session
 *    cookie; default 30 days), path (default `/`), rules (comma-separated `http[].name`s; default
 *    every rule with two or more destinations). Istio ignores unknown annotations.
 *    The annotation wins over a DestinationRule cookie.
 *
 * splitId = `<namespace>/<vs name>/<rule name or http[i]>` (a delegated rule: `<root rule>-<delegate
 * rule>`, annotation on the root VirtualService): weight changes and new table versions keep it
 * (and so keep visitors). Renaming the rule or, for an unnamed rule, moving it re-deals
 * every visitor — hence the warning on unnamed sticky rules.
 */
import type { Cluster, StickySplit, WeightedDestination } from "../table/types.ts";
import { parseDuration } from "../config/duration.ts";
import { annotationItems } from "./annotation-items.ts";

export const STICKY_ANNOTATION = "edge-gateway.dev/sticky-split";
export const DEFAULT_COOKIE = "edge_visitor";
/** 30 days: long enough for a typical A/B test, short of the 400-day cap browsers apply (RFC 6265bis §5.5). */
export const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;
const MAX_TTL_SECONDS = 400 * 24 * 3600;

/** RFC 6265 §4.1.1 cookie-name = RFC 7230 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 path-value: any CHAR except CTLs or ";" — and we require it to start with "/". */
const COOKIE_PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/;

export type StickyReport = (
  severity: "error" | "warning",
  path: ReadonlyArray<string | number>,
  message: string,
  code: string,
) => void;

/** The slice of a VirtualService this module reads (the validated config object). */
export interface StickyVirtualService {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: { http?: ReadonlyArray<{ name?: string }> };
}

export interface StickyAnnotation {
  cookie: string;
  ttlSeconds: number;
  path: string;
  /** Rule names the annotation is restricted to; undefined = every split of the VirtualService. */
  rules?: string[];
}

const ANNOTATION_PATH = ["metadata", "annotations", STICKY_ANNOTATION] as const;

/** Parse the annotation value; problems go to `report` and make the result undefined. */
export function parseStickyAnnotation(value: string, report: StickyReport): StickyAnnotation | undefined {
  const out: StickyAnnotation = { cookie: DEFAULT_COOKIE, ttlSeconds: DEFAULT_TTL_SECONDS, path: "/" };
  let ok = true;
  const bad = (message: string) => {
    report("error", ANNOTATION_PATH, message, "sticky-annotation");
    ok = false;
  };
  for (const [key, v] of annotationItems(value, "cookie, ttl, path, rules", bad)) {
    switch (key) {
      case "cookie":
        if (COOKIE_NAME.test(v)) out.cookie = v;
        else bad(`cookie must be an RFC 6265 cookie name (letters, digits, !#$%&'*+-.^_\`|~), got ${JSON.stringify(v)}`);
        break;
      case "ttl": {
        const secs = parseTtlSeconds(v);
        if (secs === undefined) bad(`ttl must be whole seconds ("2592000") or a duration in whole seconds ("720h", "30m", "0s"), got ${JSON.stringify(v)}`);
        else {
          out.ttlSeconds = secs;
          if (secs > MAX_TTL_SECONDS)
            report("warning", ANNOTATION_PATH, `ttl ${secs}s exceeds 400 days; browsers cap cookie lifetimes at 400 days`, "sticky-ttl");
        }
        break;
      }
      case "path":
        if (COOKIE_PATH.test(v)) out.path = v;
        else bad(`path must start with "/" and contain no ";" or control characters, got ${JSON.stringify(v)}`);
        break;
      case "rules": {
        const names = v.split(",").map((s) => s.trim()).filter(Boolean);
        if (names.length === 0) bad(`rules must name at least one http rule, e.g. "rules=home-ab"`);
        else out.rules = names;
        break;
      }
      default:
        bad(`unknown key ${JSON.stringify(key)}; allowed: cookie, ttl, path, rules`);
    }
  }
  return ok ? out : undefined;
}

function parseTtlSeconds(v: string): number | undefined {
  if (/^\d{1,10}$/.test(v)) return Number(v);
  const ms = parseDuration(v);
  if (ms === null || ms % 1000 !== 0) return undefined;
  return ms / 1000;
}

export interface StickyInput {
  vs: StickyVirtualService;
  /** Index of the rule in `spec.http`. */
  ruleIndex: number;
  /**
   * The compiled rule name (compile/delegate.ts FlatRule.name): the rule's `name` or `http[i]`,
   * and `<root rule>-<delegate rule>` for a rule merged from a delegate VirtualService, so each
   * delegated split has its own identity. Defaults to the root rule's name.
   */
  ruleName?: string;
  /** The rule's compiled destinations (zero weights already dropped). */
  destinations: readonly WeightedDestination[];
  /** Compiled cluster of a destination's ClusterKey (for the DestinationRule cookie). */
  clusterOf: (key: string) => Cluster | undefined;
  /** Issue sink located in `vs` (paths from the VirtualService root). */
  report: StickyReport;
}

/** The StickySplit of one `route` action, or undefined for a plain per-request weighted split. */
export function stickySplitFor(input: StickyInput): StickySplit | undefined {
  const { vs, ruleIndex, destinations, report } = input;
  const rules = vs.spec.http ?? [];
  const rootName = rules[ruleIndex]?.name;
  const idName = input.ruleName ?? rootName ?? `http[${ruleIndex}]`;
  const splitId = `${vs.metadata.namespace ?? "default"}/${vs.metadata.name}/${idName}`;
  // Positional names (`http[2]`, `checkout-http[0]`) change when rules are added or moved.
  const unnamed = /http\[\d+\]/.test(idName);
  const rulePath = ["spec", "http", ruleIndex] as const;

  const raw = vs.metadata.annotations?.[STICKY_ANNOTATION];
  const ann = raw === undefined ? undefined : parseStickyAnnotation(raw, report);
  if (ann?.rules) {
    // A name is a root rule's name, or `<root rule>-<delegate rule>` for a delegated split.
    const roots = rules.map((r, i) => r.name ?? `http[${i}]`);
    for (const name of ann.rules)
      if (!roots.some((r) => name === r || name.startsWith(`${r}-`)))
        report("error", ANNOTATION_PATH, `rules names ${JSON.stringify(name)}, but no spec.http[] rule has that name`, "sticky-annotation");
  }
  const annotated = ann !== undefined && (ann.rules === undefined || ann.rules.includes(idName) || (rootName !== undefined && ann.rules.includes(rootName)));

  if (destinations.length < 2) {
    if (annotated && ann.rules !== undefined)
      report("warning", rulePath, `the ${STICKY_ANNOTATION} annotation names this rule, but it has a single destination: nothing to make sticky`, "sticky-single");
    return undefined;
  }

  let sticky: StickySplit | undefined;
  if (annotated) {
    sticky = { cookie: ann.cookie, ttlSeconds: ann.ttlSeconds, path: ann.path, splitId };
  } else {
    sticky = fromDestinationRules(input, splitId, rulePath);
  }
  if (sticky && unnamed)
    report(
      "warning",
      rulePath,
      `sticky split in an unnamed rule: its identity is its position (${splitId}), so adding or moving rules above it re-deals every visitor; give the rule a name`,
      "sticky-unnamed-rule",
    );
  return sticky;
}

/** Sticky when every destination's effective load balancer hashes the same cookie (see module doc). */
function fromDestinationRules(input: StickyInput, splitId: string, rulePath: ReadonlyArray<string | number>): StickySplit | undefined {
  const cookies: Array<{ name: string; path?: string; ttlSeconds?: number } | undefined> = [];
  for (const d of input.destinations) {
    // A destination whose cluster cannot exist answers 503 anyway (reported by references.ts);
    // it neither enables nor blocks stickiness.
    const cluster = d.cluster === null ? undefined : input.clusterOf(d.cluster);
    if (!cluster) continue;
    const ch = cluster.trafficPolicy?.loadBalancer?.consistentHash;
    cookies.push(ch && "httpCookie" in ch ? ch.httpCookie : undefined);
  }
  if (cookies.length === 0 || cookies.every((c) => c === undefined)) return undefined;
  const first = cookies[0];
  const same = cookies.every(
    (c) => c !== undefined && c.name === first?.name && c.ttlSeconds === first.ttlSeconds && (c.path ?? "/") === (first.path ?? "/"),
  );
  if (!same || !first) {
    warnInconsistent(input, rulePath);
    return undefined;
  }
  // Max-Age is whole seconds; Envoy truncates a fractional ttl the same way.
  const split: StickySplit = { cookie: first.name, ttlSeconds: Math.floor(first.ttlSeconds ?? 0), path: first.path ?? "/", splitId };
  if (first.ttlSeconds === undefined) split.appOwned = true;
  return split;
}

function warnInconsistent(input: StickyInput, rulePath: ReadonlyArray<string | number>): void {
  input.report(
    "warning",
    rulePath,
    "not sticky: the destinations of this split do not all hash the same cookie (DestinationRule consistentHash.httpCookie with one name, ttl and path); use the " +
      `${STICKY_ANNOTATION} annotation to make a split across different hosts sticky`,
    "sticky-inconsistent",
  );
}
