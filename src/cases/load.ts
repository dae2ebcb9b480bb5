/**
 * `*.cases.yaml` text → validated golden cases with their line numbers, or located issues
 * (`file:line:col: cases[2].expect.stauts: unknown field …`), using the same YAML-with-positions
 * reader and zod message translation as the route files.
 */
import type { Issue, SourceFile } from "../config/issue.ts";
import { parseYamlFile } from "../config/yaml-doc.ts";
import { errorMap, translate } from "../config/zod-issues.ts";
import { formatPath } from "../config/issue.ts";
import { CasesFile, type GoldenCase } from "./schema.ts";

export interface LocatedCase {
  file: string;
  line: number;
  case: GoldenCase;
}

export function loadCases(file: SourceFile): { cases: LocatedCase[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const { docs, errors } = parseYamlFile(file.text);
  for (const e of errors) issues.push({ severity: "error", file: file.path, line: e.line, col: e.col, path: "", message: e.message, code: "yaml-syntax" });
  const cases: LocatedCase[] = [];
  for (const doc of docs) {
    if (doc.value === undefined || doc.value === null) continue;
    const parsed = CasesFile.safeParse(doc.value, { error: errorMap });
    if (!parsed.success) {
      for (const zi of parsed.error.issues) {
        for (const t of translate(zi)) {
          const at = doc.locate(t.path, t.atKey);
          issues.push({ severity: "error", file: file.path, line: at.line, col: at.col, path: formatPath(t.path), message: t.message, code: t.code });
        }
      }
      continue;
    }
    parsed.data.cases.forEach((c, i) => cases.push({ file: file.path, line: doc.locate(["cases", i]).line, case: c }));
  }
  return { cases, issues };
}
