/**
 * The ReDoS corpus (issue #18 item 2), shared by test/unit/fuzz/redos.test.ts and the bench's
 * "regex engines" section: patterns that are catastrophic for a backtracking engine, the issue's
 * own, and ordinary route regexes, plus adversarial inputs up to the 8 KiB cap.
 */
/** MAX_REGEX_INPUT_LENGTH (src/match/string-match.ts): the longest value a regex ever sees. */
const N_ = 8192;

/** Catastrophic for a backtracking engine (OWASP ReDoS examples, CVE write-ups, polynomial ones, the issue's). */
export const CORPUS: Array<[string, string]> = [
  ["(a+)+$", "nested quantifier"],
  ["(a|aa)+", "overlapping alternation under +"],
  ["(a|a?)+", "nullable alternation branch"],
  ["(.*a){20}", "bounded repetition of an ambiguous body"],
  ["^(([a-z])+.)+[A-Z]([a-z])+$", "OWASP example"],
  ["(\\w+\\s?)*$", "word/space repetition"],
  ["([a-zA-Z]+)*", "OWASP example"],
  ["(a|b|ab)*c", "overlapping branches"],
  ["(.*)*", "nullable body"],
  ["(x+x+)+y", "two overlapping repeats inside a repeat"],
  ["^(a+)+b", "anchored nested quantifier"],
  ["([a-z0-9]+)*@", "e-mail-like"],
  ["^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "OWASP e-mail validator"],
  ["\\d+\\d*x", "adjacent overlapping repeats"],
  [".*.*=.*", "adjacent .*"],
  [".*a.*a.*a.*b", "degree-4 polynomial (over 200 s on 1 KiB in V8)"],
  ["(.*)a(.*)a(.*)b", "degree-3 polynomial through groups"],
  ["[a-z]*x[a-z]*y[a-z]*z", "degree-3 polynomial over a class"],
  [".*x?.*x?.*", "degree-3 polynomial through optional separators"],
  ["(?:.*a|b)(?:.*a|b)(?:.*a|b)", "degree-3 polynomial through alternations"],
  [".*/a/.*/b/.*", "degree-3 path-style polynomial"],
  [".*a.*b", "quadratic (52 ms on 8 KiB in V8)"],
  ["(?:.*a|b).*c", "quadratic through an alternation (76 ms in V8)"],
  ["/" + "[a-z]{0,63}".repeat(5) + "x", "issue #18: five bounded runs before x (3.5 s on 158 bytes)"],
  ["[a-z]?".repeat(32) + "[a-z]".repeat(32), "issue #18: optional runs (47 s on 68 bytes)"],
  ["[a-z]?".repeat(16) + "[a-z]".repeat(16), "optional runs, smaller"],
  ["(?:[a-z]{0,30}){30}x", "nested bounded repetition"],
  ["(?:.{0,99}a){9}x", "bounded dots"],
  ["(\\d+)*$", "digits"],
  ["^(\\w+)*$", "word repetition, anchored"],
  ["(a|a)*b", "identical branches"],
  ["(?i)(?:[a-z]{0,60}|[0-9]{0,60}){15}x", "case-insensitive bounded alternation"],
  ["^(.*?;)?(user=jason)(;.*)?$", "Istio docs' cookie regex"],
  ["(.*;\\s*)?variant=b(;.*)?", "the A/B example's cookie regex"],
  ["/api/v[0-9]+/.*", "an ordinary route"],
  ["^/api/.*/items/[0-9]+$", "an ordinary route with .*"],
];

/** Adversarial inputs for a pattern: long runs of its own characters, with and without a failing tail. */
export function adversarial(pattern: string): string[] {
  const lits = [...new Set(pattern.replace(/\\[a-zA-Z]|[\\^$.|?*+()[\]{}]/g, "").split(""))].filter((c) => c.trim() !== "").slice(0, 6);
  const alphabet = [...new Set(["a", "0", "/", ";", ...lits])];
  const out: string[] = [];
  for (const c of alphabet) out.push(c.repeat(N_), c.repeat(N_ - 1) + "!");
  const mix = alphabet.join("");
  out.push(mix.repeat(Math.ceil(N_ / mix.length)).slice(0, N_), ("a ".repeat(N_ / 2)).slice(0, N_ - 1) + "!", "/" + "a/".repeat(N_ / 2 - 1));
  return out;
}

