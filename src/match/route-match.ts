/**
 * One compiled Envoy route matcher (an Istio HTTPMatchRequest after expansion: every condition
 * of a RouteMatch must hold — Istio ANDs the fields of one `match[]` entry) and the per-request
 * view of the facts it reads (`MatchInput`, lazily derived values computed at most once).
 *
 * Field semantics (ISTIO-SEMANTICS §1.2 HTTPMatchRequest):
 * - uri exact/regex: the path WITHOUT query; uri prefix: the beginning of the full `:path`
 *   (path + query), as Envoy's PrefixMatcherImpl does. ignoreUriCase: exact/prefix only.
 * - scheme, method, authority: header matchers on `:scheme`, `:method` (case-sensitive), and
 *   `:authority` = the Host header exactly as received, port included.
 * - headers: the header must be present; value matchers see `Headers.get` (repeated values
 *   joined with ", "). Pseudo-header names (`:authority`, `:method`, `:scheme`, `:path`) read
 *   the request line, as Envoy does.
 * - withoutHeaders: Envoy `invert_match` with `treat_missing_header_as_empty` for value
 *   matchers (missing ⇒ ""); a presence matcher inverted means "absent".
 * - queryParams: see query.ts (first value, not decoded, names case-sensitive).
 */
import type { RouteMatch, StringMatch } from "../table/types.ts";
import type { RequestFacts } from "../decision.ts";
import { parseQuery } from "./query.ts";
import { asciiLower, compileStringMatch, type Matcher } from "./string-match.ts";

/** Per-request matching input: facts plus derived values computed on first use. */
export class MatchInput {
  readonly facts: RequestFacts;
  /** Path + query: what Envoy's prefix matcher compares. */
  readonly fullPath: string;
  private lowerPathCache: string | undefined;
  private lowerFullPathCache: string | undefined;
  private queryCache: Map<string, string> | undefined;

  constructor(facts: RequestFacts) {
    this.facts = facts;
    this.fullPath = facts.query ? facts.path + facts.query : facts.path;
  }
  get lowerPath(): string {
    return (this.lowerPathCache ??= asciiLower(this.facts.path));
  }
  get lowerFullPath(): string {
    return (this.lowerFullPathCache ??= asciiLower(this.fullPath));
  }
  get query(): Map<string, string> {
    return (this.queryCache ??= parseQuery(this.facts.query));
  }
}

type UriTest = (input: MatchInput) => boolean;

export interface CompiledRouteMatch {
  /** Cheapest first: uri, method, scheme, authority, headers, withoutHeaders, query. */
  readonly tests: ReadonlyArray<(input: MatchInput) => boolean>;
}

function compileUri(uri: StringMatch, ignoreCase: boolean): UriTest {
  if ("prefix" in uri) {
    if (ignoreCase) {
      const want = asciiLower(uri.prefix);
      return (i) => i.lowerFullPath.startsWith(want);
    }
    const want = uri.prefix;
    return (i) => i.fullPath.startsWith(want);
  }
  if ("exact" in uri && ignoreCase) {
    const want = asciiLower(uri.exact);
    return (i) => i.lowerPath === want;
  }
  // exact (case-sensitive) and regex: the path without query; ignoreUriCase never affects regex.
  const m = compileStringMatch(uri, false);
  return (i) => m(i.facts.path);
}

/**
 * Where a header matcher reads its value. Istio accepts the HTTP/2 pseudo-headers as match names
 * (istio:val pseudoHeaders); Envoy reads them from the request line, and a request has no
 * `:status` (ISTIO-SEMANTICS §1.2 headers).
 */
function headerReader(name: string): (i: MatchInput) => string | null {
  switch (name) {
    case ":authority":
      return (i) => i.facts.authority;
    case ":method":
      return (i) => i.facts.method;
    case ":scheme":
      return (i) => i.facts.scheme;
    case ":path":
      return (i) => i.fullPath;
    case ":status":
      return () => null;
    default:
      return (i) => i.facts.headers.get(name);
  }
}

function headerTest(name: string, sm: StringMatch): (i: MatchInput) => boolean {
  const read = headerReader(name);
  if ("present" in sm) return (i) => read(i) !== null;
  const m = compileStringMatch(sm);
  return (i) => {
    const v = read(i);
    return v !== null && m(v);
  };
}

function withoutHeaderTest(name: string, sm: StringMatch): (i: MatchInput) => boolean {
  const read = headerReader(name);
  if ("present" in sm) return (i) => read(i) === null;
  const m = compileStringMatch(sm);
  return (i) => !m(read(i) ?? "");
}

function queryTest(name: string, sm: StringMatch): (i: MatchInput) => boolean {
  if ("present" in sm) return (i) => i.query.has(name);
  const m = compileStringMatch(sm);
  return (i) => {
    const v = i.query.get(name);
    return v !== undefined && m(v);
  };
}

function factTest(pick: (f: RequestFacts) => string, sm: StringMatch): (i: MatchInput) => boolean {
  const m = compileStringMatch(sm);
  return (i) => m(pick(i.facts));
}

/** Compile a RouteMatch (null = matches everything: a rule without `match`). */
export function compileRouteMatch(match: RouteMatch | null): CompiledRouteMatch {
  const tests: Array<(input: MatchInput) => boolean> = [];
  if (match) {
    if (match.uri) tests.push(compileUri(match.uri, match.ignoreUriCase === true));
    if (match.method) tests.push(factTest((f) => f.method, match.method));
    if (match.scheme) tests.push(factTest((f) => f.scheme, match.scheme));
    if (match.authority) tests.push(factTest((f) => f.authority, match.authority));
    for (const [name, sm] of match.headers ?? []) tests.push(headerTest(name, sm));
    for (const [name, sm] of match.withoutHeaders ?? []) tests.push(withoutHeaderTest(name, sm));
    for (const [name, sm] of match.queryParams ?? []) tests.push(queryTest(name, sm));
  }
  return { tests };
}

export function matchesRoute(cm: CompiledRouteMatch, input: MatchInput): boolean {
  const tests = cm.tests;
  for (let t = 0; t < tests.length; t++) if (!tests[t]!(input)) return false;
  return true;
}

export type { Matcher };
