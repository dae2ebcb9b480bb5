/**
 * Located issues: errors are data that say where and what (DESIGN.md §8), all collected before
 * anything is printed. `path` uses Istio field names: `spec.http[2].route[1].weight`.
 */
export type Severity = "error" | "warning";

export interface SourceFile {
  path: string;
  text: string;
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
}

/** `routes/shop.yaml:14:7: spec.http[2].timeout: expected …` (warnings say "warning: " after the location). */
export function formatIssue(i: Issue): string {
  const where = `${i.file}:${i.line}:${i.col}:`;
  const sev = i.severity === "warning" ? " warning:" : "";
  const path = i.path ? ` ${i.path}:` : "";
  return `${where}${sev}${path} ${i.message}`;
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

/** Report sink bound to one object: path → located Issue. */
export type Report = (severity: Issue["severity"], path: ReadonlyArray<string | number>, message: string, code?: string) => void;

export function reporter(issues: Issue[], obj: Pick<Located<unknown>, "file" | "at">): Report {
  return (severity, path, message, code) => {
    const { line, col } = obj.at(path);
    issues.push({ severity, file: obj.file, line, col, path: formatPath(path), message, ...(code ? { code } : {}) });
  };
}
