/**
 * Multi-document YAML with positions (the `yaml` package keeps node ranges): parse a file into
 * documents, each with its plain JS value and a locator from a field path to line/column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from "yaml";

export interface ParsedDoc {
  index: number;
  /** The plain value (toJS); undefined for an empty document. */
  value: unknown;
  /** Position of a scalar at `path`, of the key of a map/list (or of any key when `key`), falling back to the nearest parent. */
  locate(path: ReadonlyArray<string | number>, key?: boolean): { line: number; col: number };
}

export interface YamlSyntaxError {
  line: number;
  col: number;
  message: string;
}

export function parseYamlFile(text: string): { docs: ParsedDoc[]; errors: YamlSyntaxError[] } {
  const lineCounter = new LineCounter();
  // uniqueKeys (default) reports duplicate keys; aliases are bounded to stop "billion laughs".
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const errors: YamlSyntaxError[] = [];
  const docs: ParsedDoc[] = [];
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(toSyntax(e, lineCounter));
      return;
    }
    const root = doc.contents as Node | null;
    const pos = (offset: number) => {
      const p = lineCounter.linePos(offset);
      return { line: p.line, col: p.col };
    };
    let value: unknown;
    try {
      value = root === null ? undefined : doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      errors.push({ ...pos(root?.range?.[0] ?? 0), message: `YAML error: ${(e as Error).message}` });
      return;
    }
    const docStart = root?.range?.[0] ?? 0;
    docs.push({
      index,
      value,
      locate(path, key = false) {
        let node: unknown = root;
        let best = docStart;
        for (let i = 0; i < path.length; i++) {
          const seg = path[i]!;
          const last = i === path.length - 1;
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
            if (!pair) break;
            const k = pair.key as Node;
            if (k.range) best = k.range[0];
            if (last && key) break;
            const v = pair.value as Node | null;
            // A scalar is pointed at directly (`timeout: ⟨5`); a map or list at its key, which is
            // where a reader looks for "this block is wrong" (the block may start on the next line).
            if (v && v.range && isScalar(v) && !(v.value === null && v.range[0] === v.range[1])) best = v.range[0];
            node = v;
          } else if (isSeq(node) && typeof seg === "number") {
            const item = node.items[seg] as Node | undefined;
            if (!item) break;
            if (item.range) best = item.range[0];
            node = item;
          } else break;
        }
        return pos(best);
      },
    });
  });
  return { docs, errors };
}

function toSyntax(e: { message: string; pos: [number, number]; linePos?: Array<{ line: number; col: number }> }, lc: LineCounter): YamlSyntaxError {
  const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
  // yaml's messages end with a code excerpt after a blank line; keep the first line.
  const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  return { line: lp.line, col: lp.col, message: `YAML syntax error: ${message}` };
}
