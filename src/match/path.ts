/**
 * Path normalization policy — we emulate Istio's default mesh `pathNormalization: BASE`
 * (Envoy `normalize_path: true`, `merge_slashes: false`, escaped slashes kept), ISTIO-SEMANTICS
 * §2.15. The normalized path is what routes match AND what is forwarded upstream.
 *
 * Input: the path as the Worker sees it. Workers hand us a WHATWG-parsed URL, which has already
 * resolved dot segments (including `%2e` forms), turned `\` into `/` and percent-encoded a few
 * characters (space, `"`, `<`, `>`, ...). The CLI may hand us a raw path; the same rules apply.
 *
 * Rules, in order:
 *  1. The fragment (`#...`), if any, is dropped (never sent by browsers; Envoy strips it).
 *  2. The path must start with `/`; otherwise 400.
 *  3. Every `%` must start a valid escape `%XY` (hex); otherwise 400. `%00` is rejected with 400
 *     (Envoy rejects NUL; CVE-2021-31920 class).
 *  4. `\` becomes `/` (RFC 3986 has no backslash; Envoy BASE and WHATWG both do this).
 *  5. Escapes of unreserved characters (ALPHA DIGIT `-` `.` `_` `~`, RFC 3986 §2.3) are decoded:
 *     `%41` ⇒ `A`, `%2e` ⇒ `.`. Every other escape is kept exactly as written (hex case
 *     included): in particular `%2F`/`%2f` and `%5C`/`%5c` are NEVER decoded, so they can
 *     never split or join segments.
 *  6. Dot segments are removed AFTER decoding (RFC 3986 §5.2.4), so `/a/%2e%2e/b` ⇒ `/b` and no
 *     encoded form can climb above the root.
 *  7. Slashes are not merged: `//a` stays `//a` (Istio BASE does not merge slashes).
 *  8. `;` has no special meaning (Envoy does not strip path parameters).
 *  9. Beyond Istio BASE — ambiguous dot segments are rejected with 400 (ISTIO-SEMANTICS §3, "reject
 *     ambiguous encodings by default"): a segment that still contains a `.`/`..` piece once split
 *     at an escaped slash (`%2F`, `%5C`) or stripped of a `;` parameter (`..%2F`, `%2e%2e%5C`,
 *     `..;`). We keep those escapes, but an origin that decodes `%2F` before resolving dots
 *     (CVE-2021-31920 class) or strips `;params` (Tomcat/Spring `..;/`) would read `/public/..%2Fadmin`
 *     as `/admin` behind a route that matched `/public`. Plain `%2F` without dots still passes.
 * 10. Paths longer than MAX_PATH_LENGTH (8 KiB) are rejected with 400: no regex ever runs on more
 *     (src/match/string-match.ts MAX_REGEX_INPUT_LENGTH), and no origin we know accepts more.
 */

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Longest path (without query, UTF-16 units, as received) that is routed. */
export const MAX_PATH_LENGTH = 8192;

/** Splits a segment at escaped slashes/backslashes, which some origins decode into separators. */
const ESCAPED_SEPARATOR = /%2f|%5c/i;

/** Rule 9: a dot piece hidden behind an escaped separator or a `;` parameter, or null. */
export function ambiguousDotSegment(path: string): string | null {
  if (!path.includes(".")) return null;
  for (const seg of path.split("/")) {
    if (!seg.includes(".") || seg === "." || seg === "..") continue;
    for (const piece of seg.split(ESCAPED_SEPARATOR)) {
      const semi = piece.indexOf(";");
      const name = semi === -1 ? piece : piece.slice(0, semi);
      if (name === "." || name === "..") return seg;
    }
  }
  return null;
}

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e // - . _ ~
  );
}

export type NormalizeResult = { path: string } | { error: 400; reason: string };

/**
 * Istio MeshConfig `pathNormalization.normalization` (ProxyPathNormalization). BASE is Istio's
 * default and ours; the stricter modes close the `//admin` / `/%2F/admin` gap of deny rules in
 * front of catch-alls (SECURITY.md) at the price of changing what origins receive:
 * - MERGE_SLASHES: BASE, then runs of `/` become one (`//admin` ⇒ `/admin`);
 * - DECODE_AND_MERGE_SLASHES: `%2F`/`%2f` ⇒ `/` and `%5C`/`%5c` ⇒ `\` ⇒ `/` first (Envoy
 *   UNESCAPE_AND_FORWARD), then BASE, then slashes merged.
 * NONE is not offered: the Workers runtime has already resolved dot segments when we see a path.
 */
export type PathNormalization = "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";

export const PATH_NORMALIZATIONS: readonly PathNormalization[] = ["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"];

/** A var value → mode; unknown or empty ⇒ BASE (Istio's default). */
export function pathNormalizationOf(raw: string | undefined): PathNormalization {
  const v = raw?.trim().toUpperCase();
  return (PATH_NORMALIZATIONS as readonly string[]).includes(v ?? "") ? (v as PathNormalization) : "BASE";
}

/** RFC 3986 §5.2.4 remove_dot_segments for an absolute path. */
export function removeDotSegments(path: string): string {
  if (!path.includes("/.")) return path;
  const segments = path.split("/");
  const out: string[] = [];
  // segments[0] is "" (the path starts with "/").
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === ".") {
      if (last) out.push("");
    } else if (seg === "..") {
      // Never climb above the root; a trailing ".." leaves a trailing "/".
      if (out.length > 0) out.pop();
      if (last) out.push("");
    } else {
      out.push(seg);
    }
  }
  return "/" + out.join("/");
}

export function normalizePath(raw: string, mode: PathNormalization = "BASE"): NormalizeResult {
  let path = raw;
  const hash = path.indexOf("#");
  if (hash !== -1) path = path.slice(0, hash);
  if (!path.startsWith("/")) return { error: 400, reason: "path must start with /" };
  if (path.length > MAX_PATH_LENGTH) return { error: 400, reason: `path longer than ${MAX_PATH_LENGTH} characters` };
  if (mode === "DECODE_AND_MERGE_SLASHES" && path.includes("%")) path = path.replace(/%2f|%5c/gi, "/");

  if (path.includes("%") || path.includes("\\")) {
    let out = "";
    for (let i = 0; i < path.length; i++) {
      const c = path[i]!;
      if (c === "\\") {
        out += "/";
        continue;
      }
      if (c !== "%") {
        out += c;
        continue;
      }
      const hex = path.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { error: 400, reason: `invalid percent-encoding at offset ${i}` };
      const code = parseInt(hex, 16);
      if (code === 0) return { error: 400, reason: "%00 in path" };
      out += isUnreserved(code) ? String.fromCharCode(code) : "%" + hex;
      i += 2;
    }
    path = out;
  }
  path = removeDotSegments(path);
  if (mode !== "BASE" && path.includes("//")) path = path.replace(/\/{2,}/g, "/");
  const ambiguous = ambiguousDotSegment(path);
  if (ambiguous !== null) return { error: 400, reason: `ambiguous dot segment ${JSON.stringify(ambiguous)} (escaped slash or ;parameter next to "." or "..")` };
  return { path };
}
