/**
 * Located issues: errors are data that say where and what (DESIGN.md §8), all collected before
 * anything is printed. `path` uses Istio field names: `spec.http[2].route[1].weight`.
 *
 * Every finding also says WHO raises it (DESIGN.md §9, `FindingKind`): the source system's own
 * verdict (Istio's validation, or the Gateway API spec), something the edge ignores, or something
 * the edge cannot serve. `routes validate --istio` keeps only the source system's verdict.
 */
export type Severity = "error" | "warning";

/**
 * The three kinds of finding (DESIGN.md §9), shared by every front-end (Istio, Gateway API):
 * - `"source"`: the source system itself says so — Istio's webhook validation (or the Gateway API
 *   spec) rejects it (error) or warns about it (warning). The same finding `kubectl apply` gives.
 * - `"ignored"`: the source system accepts it, and it has no meaning at the edge. Always a
 *   warning that names what is ignored; the config stays valid and pushable.
 * - `"edge"`: the source system accepts it, but the edge cannot serve it as written and ignoring
 *   it would change where traffic goes (error: the message says why and what to do instead); or
 *   an edge-only piece of advice (warning: raw IP endpoints, custom ports, mesh-only services…).
 * An Issue without `kind` is the edge's own finding (`"edge"`): see `findingKind`.
 */
export type FindingKind = "source" | "ignored" | "edge";

export interface SourceFile {
  path: string;
  text: string;
  /** Size on disk, when the reader knows it (the CLI). */
  bytes?: number;
  /**
   * Reads the file's text again (the CLI). Given, loaded objects do not hold `text` for their
   * positions: a position is found from the text read again (yaml-doc.ts TextSource).
   */
  reread?: () => string;
}

export interface Issue {
  severity: Severity;
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** e.g. "spec.http[2].route[1].weight"; "" for the document itself. */
  path: string;
  message: string;
  /** Stable machine-readable kind, e.g. "unknown-field", "yaml-syntax", "reference". */
  code?: string;
  /** Who raises it (DESIGN.md §9); absent = `"edge"`. */
  kind?: FindingKind;
}

export function findingKind(i: Pick<Issue, "kind">): FindingKind {
  return i.kind ?? "edge";
}

/** Would the source system (Istio's validation) accept the config? No `"source"` error. */
export function sourceAccepts(issues: ReadonlyArray<Issue>): boolean {
  return !issues.some((i) => i.severity === "error" && findingKind(i) === "source");
}

/**
 * The label after the location: Istio errors print as before (`file:l:c: path: message`), Istio
 * warnings and edge advice as `warning:`, the two edge kinds say so, so a reader can tell
 * "Istio rejects this" from "the edge cannot serve this" from "the edge ignores this". Only an
 * explicit `kind: "edge"` error is labelled (cross-object and compile errors keep their plain form).
 */
function label(i: Issue): string {
  const k = findingKind(i);
  if (i.severity === "error") return i.kind === "edge" ? " edge error:" : "";
  return k === "ignored" ? " warning (ignored at the edge):" : " warning:";
}

/** `routes/shop.yaml:14:7: spec.http[2].timeout: expected …` (warnings say "warning: " after the location). */
export function formatIssue(i: Issue): string {
  const where = `${i.file}:${i.line}:${i.col}:`;
  const path = i.path ? ` ${i.path}:` : "";
  return `${where}${label(i)}${path} ${i.message}`;
}

/** Counts per kind for a tally line: "2 errors (1 edge error), 3 warnings (2 ignored at the edge)". */
export function tally(issues: ReadonlyArray<Issue>): string {
  const errors = issues.filter((i) => i.severity === "error");
  const warnings = issues.filter((i) => i.severity === "warning");
  const edgeErrors = errors.filter((i) => findingKind(i) === "edge").length;
  const ignored = warnings.filter((i) => findingKind(i) === "ignored").length;
  const n = (c: number, w: string) => `${c} ${w}${c === 1 ? "" : "s"}`;
  return `${n(errors.length, "error")}${edgeErrors ? ` (${n(edgeErrors, "edge error")})` : ""}, ${n(warnings.length, "warning")}${ignored ? ` (${ignored} ignored at the edge)` : ""}`;
}

/** ["spec", "http", 2, "timeout"] → "spec.http[2].timeout". Keys that are not identifiers are quoted. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Errors first, then by file, line, column: the order the CLI prints. */
export function sortIssues(issues: Issue[]): Issue[] {
  return [...issues].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1),
  );
}

/** A validated object with the positions of its fields (loadConfig). */
export interface Located<T> {
  file: string;
  /** Index of the YAML document in the file. */
  doc: number;
  value: T;
  /** Best position for a path inside this object, falling back to the nearest parent. */
  at(path: ReadonlyArray<string | number>): { line: number; col: number };
  /** The line of a list item inside this object (cheap, for rule sources), else at()'s line. */
  line(path: ReadonlyArray<string | number>): number;
}

/** Report sink bound to one object: path → located Issue (kind: DESIGN.md §9; absent = the edge's own). */
export type Report = (severity: Issue["severity"], path: ReadonlyArray<string | number>, message: string, code?: string, kind?: FindingKind) => void;

export function reporter(issues: Issue[], obj: Pick<Located<unknown>, "file" | "at">): Report {
  return (severity, path, message, code, kind) => {
    const { line, col } = obj.at(path);
    issues.push({ severity, file: obj.file, line, col, path: formatPath(path), message, ...(code ? { code } : {}), ...(kind ? { kind } : {}) });
  };
}
