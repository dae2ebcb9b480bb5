/**
 * Multi-document YAML with positions: parse a file into documents, each with its plain JS value
 * and a locator from a field path to line/column.
 *
 * Two parsers, one answer. The `yaml` package keeps every node's range, which located errors
 * need, but building its documents is ~90 % of `routes validate` on a large config (10,000 routes:
 * 3.5 of 4.5 s). js-yaml builds the same values about ten times faster without ranges. So a file
 * is read by js-yaml (YAML 1.2 core schema, as `yaml` reads it), and the precise parse runs only
 * when a position is asked for (a finding, a golden case's line): once per file, on demand. Rule
 * source lines (`routes route`: "routes/shop.yaml:14") come from js-yaml's node events without
 * the precise parse. Whatever js-yaml would read differently from `yaml` takes the precise path
 * from the start: any js-yaml error (syntax, duplicate keys, unknown tags; the messages stay
 * `yaml`'s), and any anchor (`&a`), since js-yaml shares aliased nodes while `yaml` expands them
 * under an alias budget (the "billion laughs" guard). test/unit/config/yaml-doc.test.ts checks
 * the two paths give equal values on every YAML file of the repository and on tricky scalars.
 */
import jsYaml from "js-yaml";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from "yaml";

export interface ParsedDoc {
  index: number;
  /** The plain value (toJS); undefined for an empty document. */
  value: unknown;
  /** Position of a scalar at `path`, of the key of a map/list (or of any key when `key`), falling back to the nearest parent. */
  locate(path: ReadonlyArray<string | number>, key?: boolean): { line: number; col: number };
  /** The line of the list item at `path` (cheap: no precise parse), else locate's line. */
  line(path: ReadonlyArray<string | number>): number;
}

export interface YamlSyntaxError {
  line: number;
  col: number;
  message: string;
}

/**
 * YAML 1.2's core schema exactly as the `yaml` package resolves it (YAML 1.2.2 §10.3.2): js-yaml's
 * CORE_SCHEMA keeps YAML 1.1 forms (`0b101` is 5, `+.5e-3` a string, `-0` is 0), so its four
 * implicit types are restated here.
 */
const scalar = (tag: string, pattern: RegExp, construct: (s: string) => unknown, kind: string) =>
  new jsYaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (s: string | null) => s !== null && pattern.test(s),
    construct: (s: string | null) => construct(s ?? ""),
    predicate: (v: unknown) => typeof v === kind,
  });
const CORE_1_2 = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsYaml.Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (s: string | null) => s === null || /^(?:~|null|Null|NULL|)$/.test(s),
      construct: () => null,
      predicate: (v: unknown) => v === null,
    }),
    scalar("bool", /^(?:true|True|TRUE|false|False|FALSE)$/, (s) => s[0] === "t" || s[0] === "T", "boolean"),
    scalar("int", /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/, (s) => (s.startsWith("0o") ? parseInt(s.slice(2), 8) : s.startsWith("0x") ? parseInt(s.slice(2), 16) : Number(s)), "number"),
    scalar(
      "float",
      /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      (s) => (/\.(?:nan|NaN|NAN)$/.test(s) ? NaN : /inf$/i.test(s) ? (s.startsWith("-") ? -Infinity : Infinity) : parseFloat(s)),
      "number",
    ),
  ],
});

/** An anchor (`&name`) anywhere: a false positive (an `&` in a URL) only costs the precise path. */
const MAY_HAVE_ANCHOR = /&[^\s,[\]{}]/;

/**
 * Memory and time (issue #16 item 2: CLI memory proportional to the largest file, not to the
 * config). A loaded object keeps its `locate`/`line` functions for the whole run (compile and
 * analyze report findings through them), so what they hold is held for every object of the
 * config: the file's text, the document's offsets and the lines of the list items `line` answers
 * cheaply; not the js-yaml values (the loader keeps zod's copy) nor a map over every node.
 *
 * A position is found by the precise parse of the ONE document asked about, not of its file (the
 * `yaml` package reads about ten times slower than js-yaml, so a finding in each of 20 files of
 * 0.9 MiB cost 20 s): the document's text from js-yaml's offsets, after as many newlines and
 * spaces as put its first character at the same line and column, so every position is the
 * file's. The parses asked last are kept (PRECISE_DOCS): findings come object after object.
 * Should a document not parse alone exactly once without error, the whole file is parsed.
 */
const PRECISE_DOCS = 16;
const preciseCache = new Map<object, ParsedDoc | undefined>();

function cachedPrecise(slot: object, parse: () => ParsedDoc | undefined): ParsedDoc | undefined {
  if (preciseCache.has(slot)) {
    const hit = preciseCache.get(slot);
    preciseCache.delete(slot); // most recently used last
    preciseCache.set(slot, hit);
    return hit;
  }
  const doc = parse();
  if (preciseCache.size >= PRECISE_DOCS) preciseCache.delete(preciseCache.keys().next().value!);
  preciseCache.set(slot, doc);
  return doc;
}

/** The precise parse of document `index` of `text`, which spans [start, end) (js-yaml's offsets). */
function preciseDoc(text: string, index: number, range: readonly [number, number] | undefined): ParsedDoc | undefined {
  if (range) {
    const [start, end] = range;
    let newlines = 0;
    for (let i = text.indexOf("\n"); i !== -1 && i < start; i = text.indexOf("\n", i + 1)) newlines++;
    const col = start - (text.lastIndexOf("\n", start - 1) + 1);
    const alone = parseYamlFilePrecise(`${"\n".repeat(newlines)}${" ".repeat(col)}${text.slice(start, end)}`);
    if (alone.errors.length === 0 && alone.docs.length === 1) return { ...alone.docs[0]!, index };
  }
  return parseYamlFilePrecise(text).docs.find((d) => d.index === index);
}

/**
 * `line` answers from js-yaml's node events for list items at most this deep (`spec.http[3]`,
 * `spec.rules[0]`: where rules start, the only lines asked in bulk, compile/diagnostics.ts
 * sourceOf); a deeper path is located by the precise parse.
 */
const LINE_DEPTH = 3;

/**
 * Where a document's locator finds its file's text when a position is asked for. Without
 * `reread` the locators hold the text (≈ 1 byte per byte of YAML for the whole run); with it
 * (the CLI: read the file again) they hold its length and checksum, and the text is read again
 * on demand and checked against them, the last one kept (issue #16 item 2: the CLI's memory
 * for texts is then the largest file's, not the config's). A file that changed on disk since it
 * was loaded gives no positions (1:1) rather than wrong ones.
 */
interface TextSource {
  text(): string | undefined;
}

let lastReread: { source: TextSource; text: string } | null = null;

function textSource(text: string, reread: (() => string) | undefined): TextSource {
  return reread ? rereadSource(text.length, checksum(text), reread) : { text: () => text };
}

/** Its own function: a closure here must not share a scope that holds the text. */
function rereadSource(length: number, sum: number, reread: () => string): TextSource {
  const source: TextSource = {
    text() {
      if (lastReread?.source === source) return lastReread.text;
      let again: string;
      try {
        again = reread();
      } catch {
        return undefined;
      }
      if (again.length !== length || checksum(again) !== sum) return undefined;
      lastReread = { source, text: again };
      return again;
    },
  };
  return source;
}

/** FNV-1a over UTF-16 code units: tells "the same file" from "changed since it was loaded". */
function checksum(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * `reread`: returns the file's text again (see TextSource); only the fast path uses it (a file
 * read by the precise path keeps its parse, as ever).
 */
export function parseYamlFile(text: string, reread?: () => string): { docs: ParsedDoc[]; errors: YamlSyntaxError[] } {
  if (MAY_HAVE_ANCHOR.test(text)) return parseYamlFilePrecise(text);
  // Start offset of the maps and lists js-yaml builds up to LINE_DEPTH deep (node events: an
  // "open" pushes the offset, the matching "close" sees the built value at depth open.length).
  const starts = new Map<object, number>();
  const open: number[] = [];
  /** Each document's root node: [first offset, offset after it] (one close at depth 0 per document). */
  const ranges: Array<[number, number]> = [];
  let values: unknown[];
  try {
    values = jsYaml.loadAll(text, undefined, {
      schema: CORE_1_2,
      listener(event, state) {
        if (event === "open") open.push(state.position);
        else {
          const at = open.pop()!;
          if (open.length === 0) ranges.push([at, state.position]);
          if (open.length > LINE_DEPTH) return;
          const v = state.result as unknown;
          if (v !== null && typeof v === "object" && !starts.has(v)) starts.set(v, at);
        }
      },
    }) as unknown[];
  } catch {
    return parseYamlFilePrecise(text);
  }
  let lineStarts: number[] | null = null;
  const lineOf = (offset: number): number => {
    lineStarts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)];
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  /**
   * Line of each list item up to LINE_DEPTH deep: by the list's path joined with NUL, one array
   * per list (0: not known), not one map entry per item (issue #16 item 2: held for the run).
   */
  const itemLines = (value: unknown): ItemLines => {
    const lines: ItemLines = [];
    const walk = (node: unknown, prefix: string, depth: number) => {
      if (depth >= LINE_DEPTH || node === null || typeof node !== "object") return;
      const isList = Array.isArray(node);
      let mine: number[] | undefined;
      for (const [k, child] of Object.entries(node)) {
        if (child === null || typeof child !== "object") continue;
        const key = `${prefix}${k}`;
        const at = isList ? starts.get(child) : undefined;
        if (at !== undefined) {
          // js-yaml opens a block map or list before the indentation of its first entry is skipped.
          let i = at;
          while (text[i] === " " || text[i] === "\n" || text[i] === "\r") i++;
          if (!mine) lines.push(listKey(prefix.slice(0, -1)), (mine = new Array<number>((node as unknown[]).length).fill(0)));
          mine[Number(k)] = lineOf(i);
        }
        walk(child, `${key}\u0000`, depth + 1);
      }
    };
    walk(value, "", 0);
    return lines;
  };
  const exact = ranges.length === values.length;
  const source = textSource(text, reread);
  const docs: ParsedDoc[] = values.map((raw, index) => docOf(source, index, raw === null ? undefined : raw, itemLines(raw), exact ? ranges[index] : undefined));
  return { docs, errors: [] };
}

/**
 * Lines of list items, flat: list path (NUL-joined), then the line of each of its items (0:
 * unknown), for each list. Plain arrays of small integers: a Map and a typed array per document
 * took ≈ 400 B of every loaded object (issue #16 item 2); a document has one or two such lists.
 */
type ItemLines = Array<string | number[]>;

/** The list paths are few: one string each, not one per document. */
const listKeys = new Map<string, string>();
function listKey(key: string): string {
  const known = listKeys.get(key);
  if (known !== undefined) return known;
  listKeys.set(key, key);
  return key;
}

function itemLine(lines: ItemLines, list: string, item: number): number | undefined {
  for (let i = 0; i < lines.length; i += 2) if (lines[i] === list) return (lines[i + 1] as number[])[item];
  return undefined;
}

/**
 * One document of the fast path; its two functions share one context holding the text source,
 * `lines` and `range`, not the value (`locate` is also its key in the cache of precise parses).
 */
function docOf(source: TextSource, index: number, value: unknown, lines: ItemLines, range: readonly [number, number] | undefined): ParsedDoc {
  const locate = (path: ReadonlyArray<string | number>, key = false): { line: number; col: number } =>
    cachedPrecise(locate, () => {
      const text = source.text();
      return text === undefined ? undefined : preciseDoc(text, index, range);
    })?.locate(path, key) ?? { line: 1, col: 1 };
  return {
    index,
    value,
    locate,
    line: (path) => {
      // Only a list item's own start is where locate puts it (a map or list under a key is
      // located at its key, which js-yaml's events do not give).
      const last = path[path.length - 1];
      const line = typeof last === "number" && path.length <= LINE_DEPTH ? itemLine(lines, path.slice(0, -1).join("\u0000"), last) : undefined;
      return line || locate(path).line;
    },
  };
}

/** The exact path: the `yaml` package with node ranges (every position, every syntax error as today). */
export function parseYamlFilePrecise(text: string): { docs: ParsedDoc[]; errors: YamlSyntaxError[] } {
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
      line: (path) => locate(path).line,
      locate,
    });
    function locate(path: ReadonlyArray<string | number>, key = false): { line: number; col: number } {
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
    }
  });
  return { docs, errors };
}

function toSyntax(e: { message: string; pos: [number, number]; linePos?: Array<{ line: number; col: number }> }, lc: LineCounter): YamlSyntaxError {
  const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
  // yaml's messages end with a code excerpt after a blank line; keep the first line.
  const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  return { line: lp.line, col: lp.col, message: `YAML syntax error: ${message}` };
}
