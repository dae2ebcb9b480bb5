/**
 * RE2 sources in the config become `{regex, js, flags}` in the table: the RE2 text (for humans
 * and for re-validation) plus the JS translation the Worker compiles once per table.
 * Translation and safety checks belong to src/config/regex.ts (`checkRegex`); here we only
 * carry its result and report a failure at the field that holds the regex.
 */
import { checkRegex } from "../config/regex.ts";
import type { Diagnostics, Path } from "./diagnostics.ts";
import type { Located } from "./input.ts";

export interface Where {
  obj: Located<unknown>;
  path: Path;
}

export function at(where: Where, ...more: Array<string | number>): Where {
  return { obj: where.obj, path: [...where.path, ...more] };
}

/** Anchored (full-match) translation, as Envoy's safe_regex matchers require (§1.2 StringMatch). */
export function compileRegex(
  source: string,
  where: Where,
  diags: Diagnostics,
  mode: "match" | "search" = "match",
): { regex: string; js: string; flags: string } | null {
  const r = checkRegex(source, mode);
  if (!r.ok) {
    diags.error(where.obj, where.path, r.message, "regex");
    return null;
  }
  return { regex: source, js: r.js, flags: r.flags };
}

/**
 * Unanchored translation for Envoy `regex_rewrite` (uriRegexRewrite), which replaces every match
 * anywhere in the path (§2.9). checkRegex anchors its output as `^(?:…)$` for full matches; the
 * rewrite needs the inner pattern, so the anchoring wrapper is removed.
 */
export function compileSearchRegex(source: string, where: Where, diags: Diagnostics): { match: string; js: string; flags: string } | null {
  // "search": every start position is tried, so the backtracking bound is one degree stricter.
  const r = compileRegex(source, where, diags, "search");
  if (!r) return null;
  const js = r.js.startsWith("^(?:") && r.js.endsWith(")$") ? r.js.slice(4, -2) : r.js;
  return { match: source, js, flags: r.flags };
}
