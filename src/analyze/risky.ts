/**
 * `routes analyze` / `validate`: warnings about configs that are valid but risky at the edge
 * (issue #18). Each names what to change.
 *  - `prefix-rewrite-slash`: a uri prefix without a trailing `/` rewritten to one with it
 *    (`prefix: /static` → `rewrite.uri: /assets/`): `/staticfoo` becomes `/assets/foo` and
 *    `/static../x` would become `/assets/../x` (the gateway answers that one 400; see
 *    src/actions/rewrite.ts), so the rewrite reaches further than the prefix suggests.
 */
import type { ConfigObjects, Issue, Located } from "../config/index.ts";
import type { Route, RouteTable } from "../table/types.ts";

export function issueAt(obj: Located<unknown>, path: ReadonlyArray<string | number>, message: string, code: string): Issue {
  const at = obj.at(path);
  const pathText = path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  return { severity: "warning", file: obj.file, line: at.line, col: at.col, path: pathText, message, code };
}

type VsLookup = (key: string) => Located<unknown> | undefined;

export function riskyRoutes(table: RouteTable, vsOf: VsLookup): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const push = (r: Route, rel: Array<string | number>, message: string, code: string) => {
    const vs = vsOf(r.virtualService);
    const path = ["spec", "http", r.ruleIndex, ...rel];
    const key = `${r.virtualService}#${JSON.stringify(path)}#${code}`;
    if (!vs || seen.has(key)) return;
    seen.add(key);
    issues.push(issueAt(vs, path, message, code));
  };
  for (const vh of table.vhosts) {
    for (const r of vh.routes) {
      const uri = r.match?.uri;
      const rw = r.rewrite?.uri;
      if (uri && "prefix" in uri && rw && !uri.prefix.endsWith("/") && rw.endsWith("/")) {
        push(
          r,
          ["rewrite", "uri"],
          `prefix ${JSON.stringify(uri.prefix)} (no trailing /) is rewritten to ${JSON.stringify(rw)}: ${JSON.stringify(uri.prefix + "x")} becomes ${JSON.stringify(rw + "x")} and ${JSON.stringify(uri.prefix + "../x")} would climb out of ${JSON.stringify(rw)} (the gateway refuses that with 400); match ${JSON.stringify(uri.prefix + "/")} (plus exact ${JSON.stringify(uri.prefix)}) or rewrite to ${JSON.stringify(rw.replace(/\/+$/, "") || "/")}`,
          "prefix-rewrite-slash",
        );
      }
    }
  }
  return issues;
}
