/**
 * HTTPRewrite path semantics (ISTIO-SEMANTICS §1.2 HTTPRewrite, §2.9; Envoy rewritePathHeader).
 *
 * `rewrite.uri` (Envoy prefix_rewrite) replaces exactly the characters of the MATCHED part:
 * - uri prefix match: the first `prefix.length` characters of path+query (also with
 *   ignoreUriCase: the configured length) — `/foo` → `/` turns `/foo/bar` into `//bar`;
 * - uri exact or regex match: the whole path; the query is kept;
 * - no uri condition (Envoy prefix `/`): only the leading `/`.
 * `uriRegexRewrite` (Envoy regex_rewrite): every non-overlapping match in the path (without
 * query) is replaced; RE2 `\1`..`\9` are capture references, `\0` the whole match, `\\` a
 * backslash; the query is kept.
 * The same prefix arithmetic serves HTTPRedirect.prefixRewrite (redirect.ts).
 */
import type { RouteMatch } from "../table/types.ts";
import { compileRegex } from "../match/string-match.ts";

export interface CompiledRegexRewrite {
  re: RegExp;
  /** Literal text and capture-group references, in order. */
  parts: Array<string | number>;
  /** Number of capture groups of `re` (references beyond it expand to ""). */
  groups: number;
}

/** Parse an RE2 substitution (`/\2/\1`) into literal text and group numbers. */
export function parseSubstitution(rewrite: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let lit = "";
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i]!;
    const next = rewrite[i + 1];
    if (c === "\\" && next !== undefined && next >= "0" && next <= "9") {
      if (lit) parts.push(lit);
      lit = "";
      parts.push(Number(next));
      i++;
    } else if (c === "\\" && next === "\\") {
      lit += "\\";
      i++;
    } else {
      lit += c;
    }
  }
  if (lit) parts.push(lit);
  return parts;
}

export function compileRegexRewrite(r: { js: string; flags: string; rewrite: string }): CompiledRegexRewrite {
  const re = compileRegex(r.js, r.flags);
  const groups = new RegExp(`${re.source}|`, re.flags).exec("")!.length - 1;
  return { re: new RegExp(re.source, re.flags + "g"), parts: parseSubstitution(r.rewrite), groups };
}

export function applyRegexRewrite(rr: CompiledRegexRewrite, path: string): string {
  // A replacer function, so `$` in the rewrite is literal and `\12` cannot be misread.
  return path.replace(rr.re, (...args: unknown[]) => {
    let out = "";
    for (const p of rr.parts) {
      if (typeof p === "string") out += p;
      else if (p <= rr.groups) {
        const g = args[p];
        if (typeof g === "string") out += g;
      }
    }
    return out;
  });
}

/**
 * Replace the matched part of the request path by `replacement` (prefix_rewrite arithmetic).
 * Returns path + query.
 */
export function rewriteMatchedPrefix(match: RouteMatch | null, path: string, query: string, replacement: string): string {
  const uri = match?.uri;
  if (uri && "prefix" in uri) return replacement + (path + query).slice(uri.prefix.length);
  if (uri) return replacement + query; // exact or regex: the whole path
  return replacement + (path + query).slice(1); // implicit prefix "/"
}

/**
 * Why a rewritten upstream path+query cannot be sent as decided, or null when it can.
 *
 * The gateway decides on the normalised request path (src/match/path.ts), but a rewrite splices
 * request text into configured text: `prefix: /static` + `rewrite.uri: /assets/` turns
 * `/static../admin` into `/assets/../admin`, and `^/img(.*)$` → `/cdn/images/\1` turns
 * `/img../admin` into `/cdn/images/../admin`. `fetch()` (WHATWG URL parsing) and any origin then
 * resolve the dot segment and the origin serves `/admin`, a path no route decided for (a deny rule
 * on `/admin` is walked past). Normalising after the rewrite would not help: it produces exactly
 * that `/admin`. So a rewrite result that still has a dot segment is refused (400) — in the
 * Worker and in `routes route`/`routes test` alike, since both call decide().
 *
 * Refused in the path part (up to the first `?`): a segment, split at `/` or `\` (WHATWG treats
 * `\` as `/` in http(s) URLs), that is `.` or `..` once `%2e` is decoded (WHATWG also resolves
 * `%2e%2e`, `.%2e`); a dot piece behind an escaped slash or a `;param` (`..%2F`, `..;`), as
 * path.ts rule 9 refuses for requests; and a `#`, which would cut the path short (a fragment is
 * never sent).
 */
export function rewrittenPathProblem(pathAndQuery: string): string | null {
  const q = pathAndQuery.indexOf("?");
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  if (path.includes("#")) return `the rewritten path ${JSON.stringify(path)} contains "#"`;
  if (!path.includes(".") && !/%2e/i.test(path)) return null;
  for (const raw of path.split(/[/\\]/)) {
    const seg = raw.replace(/%2e/gi, ".");
    if (!seg.includes(".")) continue;
    if (seg === "." || seg === "..") return `the rewritten path ${JSON.stringify(path)} has a dot segment (it would resolve outside the rewrite's target)`;
    for (const piece of seg.split(/%2f|%5c/i)) {
      const semi = piece.indexOf(";");
      const name = semi === -1 ? piece : piece.slice(0, semi);
      if (name === "." || name === "..") return `the rewritten path ${JSON.stringify(path)} has an ambiguous dot segment ${JSON.stringify(raw)}`;
    }
  }
  return null;
}

/**
 * HTTPRoute `ReplacePrefixMatch` (GATEWAY-API-SEMANTICS §6.4): element-wise, unlike Istio's
 * character prefix. `prefix` is the rule's PathPrefix without its trailing "/" ("/" for the root);
 * the path matched it element-wise, so the rest is "" or starts with "/". The replacement loses one
 * trailing "/"; an empty result is "/". Returns the path only (the caller keeps the query).
 */
export function replacePrefixMatch(path: string, prefix: string, replacement: string): string {
  const p = prefix === "/" ? "" : prefix;
  const rest = path.startsWith(p) ? path.slice(p.length) : path;
  const x = replacement === "/" ? "" : replacement.endsWith("/") ? replacement.slice(0, -1) : replacement;
  const out = x + rest;
  return out === "" ? "/" : out;
}
