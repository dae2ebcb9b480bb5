/**
 * Istio StringMatch (`exact` | `prefix` | `regex`, plus the compiler's `{present: true}`),
 * compiled once per table into a plain predicate.
 *
 * - exact / prefix: case-sensitive, except for `uri` with `ignoreUriCase` (Envoy
 *   `case_sensitive: false`). Envoy folds ASCII only (absl::AsciiStrToLower), so do we.
 * - regex: RE2 validated by the compiler, translated to JS and anchored for a FULL match
 *   (Envoy safe_regex matches the whole value: path without query, full header value,
 *   full query value). We only strip stateful flags (`g`, `y`) so `test()` has no lastIndex.
 * - present: matches any value (the caller already checked presence).
 *
 * Time bound for regexes (SECURITY.md): Envoy runs RE2 (linear). Here a pattern proven linear
 * for a backtracking engine runs on V8 (its JS translation); every other one runs on re2js, an
 * RE2 automaton (linear), whose program size the validator bounds (src/config/regex-safety.ts).
 * The choice is made once per table, from the RE2 source, by the same function the validator
 * uses. A value longer than MAX_REGEX_INPUT_LENGTH is never run through a regex: it simply does
 * not match (in uri, headers, queryParams, withoutHeaders and CORS origins alike; under
 * `withoutHeaders` that means the exclusion does not fire).
 */
import { RE2JS } from "re2js";
import type { StringMatch } from "../table/types.ts";
import { checkRegex } from "../config/regex.ts";

export type Matcher = (value: string) => boolean;

/**
 * Longest value (UTF-16 units) a regex is evaluated on: 8 KiB, the common per-header-line limit
 * of origin servers (nginx large_client_header_buffers 8k, Apache LimitRequestFieldSize 8190).
 * Paths are capped at the same length before routing (src/match/facts.ts).
 */
export const MAX_REGEX_INPUT_LENGTH = 8192;

const NON_ASCII = /[^\x00-\x7f]/;
const UPPER_ASCII = /[A-Z]/g;

/** ASCII-only lower-casing (Envoy compares case-insensitively over ASCII, never Unicode). */
export function asciiLower(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  return s.replace(UPPER_ASCII, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Build a RegExp from the compiler's JS translation; drops flags that make `test()` stateful. */
export function compileRegex(js: string, flags: string): RegExp {
  return new RegExp(js, flags.replace(/[gy]/g, ""));
}

/**
 * Compile a StringMatch. With `ignoreCase` (uri + ignoreUriCase only) exact/prefix compare the
 * ASCII-lower-cased value against the lower-cased pattern; regex is never affected (Istio docs:
 * use `(?i)` instead).
 */
export function compileStringMatch(m: StringMatch, ignoreCase = false): Matcher {
  if ("exact" in m) {
    if (ignoreCase) {
      const want = asciiLower(m.exact);
      return (v) => v.length === want.length && asciiLower(v) === want;
    }
    const want = m.exact;
    return (v) => v === want;
  }
  if ("prefix" in m) {
    if (ignoreCase) {
      const want = asciiLower(m.prefix);
      return (v) => v.length >= want.length && asciiLower(v.slice(0, want.length)) === want;
    }
    const want = m.prefix;
    return (v) => v.startsWith(want);
  }
  if ("regex" in m) return compileRegexMatcher(m);
  return () => true;
}

/**
 * A full-match predicate for a compiled regex, on the engine its RE2 source is proven safe for.
 * A table from an older validator may hold a pattern that is no longer accepted: it runs on
 * re2js (linear whatever the pattern), never on V8.
 */
export function compileRegexMatcher(m: { regex: string; js: string; flags: string }): Matcher {
  const check = checkRegex(m.regex);
  if (check.ok && check.engine === "js") {
    const re = compileRegex(m.js, m.flags);
    return (v) => v.length <= MAX_REGEX_INPUT_LENGTH && re.test(v);
  }
  const re2 = RE2JS.compile(m.regex);
  return (v) => v.length <= MAX_REGEX_INPUT_LENGTH && re2.matches(v);
}

const REGEX_META = "\\.[]{}()*+?^$|";

/**
 * The literal text every match of an RE2 pattern must start with, used only to PRUNE route
 * candidates (never to decide a match): "" whenever unsure. Conservative rules:
 * - a leading `^` is skipped; any group, including a flag group `(?i)`, stops the run; a JS
 *   `i` flag means no prefix at all;
 * - a top-level alternation (`a|b`) anywhere means no common prefix;
 * - the literal run stops at the first metacharacter; if that is a quantifier that can make the
 *   previous character optional or repeated (`?`, `*`, `{`), that character is dropped too
 *   (`+` keeps it: at least one occurrence).
 */
export function literalRegexPrefix(re2: string, jsFlags = ""): string {
  if (jsFlags.includes("i") || hasTopLevelAlternation(re2)) return "";
  const start = re2.charCodeAt(0) === 94 /* ^ */ ? 1 : 0;
  let end = start;
  for (; end < re2.length; end++) {
    const c = re2[end]!;
    if (!REGEX_META.includes(c)) continue;
    if (c === "?" || c === "*" || c === "{") {
      // Drop the optional/repeated character — a whole code point (a surrogate pair counts as one).
      if (end - 1 >= start) {
        const low = re2.charCodeAt(end - 1);
        end -= low >= 0xdc00 && low <= 0xdfff && end - 2 >= start ? 2 : 1;
      }
    }
    break;
  }
  return re2.slice(start, end);
}

function hasTopLevelAlternation(re2: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < re2.length; i++) {
    const c = re2[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth <= 0) return true;
  }
  return false;
}
