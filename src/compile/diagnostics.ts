/**
 * Issues found while compiling, located like the loader's (DESIGN.md §8: errors are data that say
 * where and what). Compiling never throws on bad config: it collects, and `compile` returns
 * `table: null` when any error was collected.
 */
import { formatPath } from "../config/issue.ts";
import type { Issue, Located } from "./input.ts";

export type Path = ReadonlyArray<string | number>;

export class Diagnostics {
  readonly issues: Issue[] = [];
  private readonly seen = new Set<string>();

  error(obj: Located<unknown>, path: Path, message: string, code: string): void {
    this.push("error", obj, path, message, code);
  }

  warn(obj: Located<unknown>, path: Path, message: string, code: string): void {
    this.push("warning", obj, path, message, code);
  }

  get hasErrors(): boolean {
    return this.issues.some((i) => i.severity === "error");
  }

  private push(severity: Issue["severity"], obj: Located<unknown>, path: Path, message: string, code: string): void {
    const { line, col } = obj.at(path);
    const issue: Issue = { severity, file: obj.file, line, col, path: formatPath(path), message, code };
    // A VirtualService bound to several vhosts is compiled once, but a shared object (a delegate,
    // a ServiceEntry) can be reached from several places: report each finding once.
    const key = `${severity}\u0000${issue.file}\u0000${line}\u0000${col}\u0000${issue.path}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push(issue);
  }
}

/** `routes/shop.yaml:14` — where a rule came from, for `routes route` explanations. */
export function sourceOf(obj: Located<unknown>, path: Path): string {
  return `${obj.file}:${obj.line(path)}`;
}
