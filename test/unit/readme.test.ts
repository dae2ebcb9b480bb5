/**
 * The README and the pages of docs/ are a contract: every example in them must work as written.
 * Every check below runs over README.md and every docs/*.md page ("the pages"); a test names the
 * page and line it checks.
 *
 *  - every ```yaml block is classified by a named rule (below) and loaded through the same
 *    loadConfig / compile / loadCases the CLI uses, with zero errors; a test per block is named
 *    `README.md:<line> (<heading>)`, so a broken example points at itself;
 *  - every `npm run routes -- <command> …` line names a real command and only flags its spec
 *    declares; every `npm run <script>` is a package.json script;
 *  - every var of the vars table exists in src/env.ts, with the default wrangler.toml and the
 *    code use.
 *
 * Fragments (an http rule, rule-level fields, a trafficPolicy section, a metadata block) are
 * wrapped into a minimal object here, never in the README. Complete documents of the same `##`
 * section are loaded beside each block, so a VirtualService sees the Gateway and the
 * DestinationRule subsets the section defines.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadConfig, type Issue, type SourceFile } from "../../src/config/index.ts";
import { compile } from "../../src/compile/index.ts";
import { loadCases } from "../../src/cases/load.ts";
import { CaseExpect, CaseRequest } from "../../src/cases/schema.ts";
import { formatIssue, sortIssues } from "../../src/config/index.ts";
import { decideCase, runCase } from "../../src/cases/run.ts";
import { summarize } from "../../src/cases/summary.ts";
import { localEndpoints } from "../../scripts/lib/demo-overlay.ts";
import { prepare } from "../../src/prepare.ts";
import { COMMANDS } from "../../scripts/cli.ts";
import { parseArgs, type CommandSpec } from "../../scripts/lib/args.ts";
import { build } from "../../scripts/lib/build.ts";
import { DEFAULT_CONFIG_REFRESH_SECONDS, settings } from "../../src/env.ts";
import * as respond from "../../src/respond.ts";
import type { MatchInfo } from "../../src/decision.ts";
import type { WeightedDestination } from "../../src/table/types.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A documentation page: README.md or docs/<topic>.md, as a path relative to the repository. */
interface Page {
  file: string;
  text: string;
  lines: string[];
}

const PAGE_FILES = ["README.md", ...readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const PAGES: Page[] = PAGE_FILES.map((file) => {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return { file, text, lines: text.split("\n") };
});
/** All pages' text, for claims that may live on any page. */
const ALL_TEXT = PAGES.map((p) => p.text).join("\n");

// ---------------------------------------------------------------------------------------------
// Code blocks with their line numbers and headings.

interface Block {
  /** The page the block is on. */
  file: string;
  lang: string;
  /** 1-based README line of the opening fence. */
  line: number;
  /** Nearest `#`-heading above the block, and the `##` section it belongs to. */
  heading: string;
  section: string;
  lines: string[];
}

function codeBlocks(page: Page): Block[] {
  const out: Block[] = [];
  let heading = "";
  let section = "";
  let open: Block | null = null;
  page.lines.forEach((text, i) => {
    const fence = /^\s*```(\w*)\s*$/.exec(text);
    if (open) {
      if (fence && fence[1] === "") {
        out.push(open);
        open = null;
      } else open.lines.push(text);
      return;
    }
    if (fence) {
      open = { file: page.file, lang: fence[1]!, line: i + 1, heading, section, lines: [] };
      return;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(text);
    if (h) {
      heading = h[2]!;
      if (h[1]!.length <= 2) section = heading;
    }
  });
  expect(open, `an unterminated code block in ${page.file}`).toBeNull();
  return out;
}

const BLOCKS = PAGES.flatMap(codeBlocks);
const YAML_BLOCKS = BLOCKS.filter((b) => b.lang === "yaml");
const title = (b: { file: string; line: number; heading: string }) => `${b.file}:${b.line} (${b.heading})`;

// ---------------------------------------------------------------------------------------------
// Classification of YAML text: the named rules.

/** A piece of a block: a YAML document between `---` lines, with its README line. */
interface Doc {
  /** README line of the doc's first line. */
  line: number;
  lines: string[];
}

function splitDocs(b: Block): Doc[] {
  const docs: Doc[] = [];
  let cur: Doc = { line: b.line + 1, lines: [] };
  b.lines.forEach((l, i) => {
    if (/^---\s*$/.test(l)) {
      docs.push(cur);
      cur = { line: b.line + 2 + i, lines: [] };
    } else cur.lines.push(l);
  });
  docs.push(cur);
  return docs.filter((d) => d.lines.some((l) => l.trim() !== "" && !l.trim().startsWith("#")));
}

const significant = (lines: string[]) => lines.filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
const indentOf = (l: string) => l.length - l.trimStart().length;

/** Remove the common indentation of the significant lines (comments above it are trimmed). */
function dedent(lines: string[]): string[] {
  const min = Math.min(...significant(lines).map(indentOf));
  return lines.map((l) => (indentOf(l) >= min ? l.slice(min) : l.trimStart()));
}

const indent = (lines: string[], n: number) => lines.map((l) => (l.trim() === "" ? "" : " ".repeat(n) + l));

/** Top-level keys of a dedented fragment (`- ` list items report "-"). */
function topKeys(lines: string[]): string[] {
  return significant(lines)
    .filter((l) => indentOf(l) === 0)
    .map((l) => (l.startsWith("- ") ? "-" : l.replace(/:.*$/, "")));
}

/** Fields of an HTTPRoute (one `http[]` rule) a fragment may consist of. */
const RULE_FIELDS = new Set(["name", "match", "route", "redirect", "directResponse", "delegate", "rewrite", "timeout", "retries", "fault", "mirror", "mirrors", "mirrorPercentage", "corsPolicy", "headers"]);
/** Fields of a DestinationRule `trafficPolicy`. */
const TRAFFIC_POLICY_FIELDS = new Set(["loadBalancer", "outlierDetection", "connectionPool", "tls", "portLevelSettings"]);

type Kind =
  | { rule: "istio-document" }
  | { rule: "http-rule-list" }
  | { rule: "http-rule-fields" }
  | { rule: "traffic-policy-fields" }
  | { rule: "metadata" };

function classify(doc: Doc): Kind | { rule: "unknown"; keys: string[] } {
  const lines = dedent(doc.lines);
  const keys = topKeys(lines);
  if (keys.includes("apiVersion") && keys.includes("kind")) return { rule: "istio-document" };
  if (keys.length > 0 && keys.every((k) => k === "-")) return { rule: "http-rule-list" };
  if (keys.length > 0 && keys.every((k) => RULE_FIELDS.has(k))) return { rule: "http-rule-fields" };
  if (keys.length > 0 && keys.every((k) => TRAFFIC_POLICY_FIELDS.has(k))) return { rule: "traffic-policy-fields" };
  if (keys.length === 1 && keys[0] === "metadata") return { rule: "metadata" };
  return { rule: "unknown", keys };
}

// ---------------------------------------------------------------------------------------------
// Wrappers: a fragment becomes a complete object. Every wrapped line remembers its README line
// (null for wrapper lines), so a problem is reported where the README has it.

/** The Gateway every wrapped VirtualService is bound to (named so no README object clashes). */
const FIXTURE_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: readme-fixture }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["readme.example.com"]
`;
const FIXTURE_HOST = "readme-origin.example.com";
const FIXTURE_ROUTE = `route: [{ destination: { host: ${FIXTURE_HOST} } }]`;
const ACTIONS = ["route", "redirect", "directResponse", "delegate"];

interface Line {
  text: string;
  readme: number | null;
}

interface Wrapped {
  /** The documentation page the lines come from. */
  page: string;
  file: SourceFile;
  /** README line of each line of file.text (index = line - 1). */
  readme: Array<number | null>;
}

const fixed = (...texts: string[]): Line[] => texts.map((text) => ({ text, readme: null }));
const shift = (lines: Line[], n: number): Line[] => lines.map((l) => ({ ...l, text: l.text.trim() === "" ? "" : " ".repeat(n) + l.text }));

/** Keys of one dedented list item: the key after `- ` and the keys indented by two. */
function itemKeys(item: Line[]): string[] {
  return item
    .map((l, i) => (i === 0 ? l.text.slice(2) : l.text))
    .filter((t, i) => i === 0 || /^ {2}[\w$-]+:/.test(t))
    .map((t) => t.trim().replace(/:.*$/, ""));
}

/** Rules shown for their match conditions alone get a fixture route (Istio requires an action). */
function withActions(body: Line[]): Line[] {
  const out: Line[] = [];
  let item: Line[] = [];
  const flush = () => {
    if (item.length === 0) return;
    out.push(...item);
    if (!itemKeys(item).some((k) => ACTIONS.includes(k))) out.push(...fixed(`  ${FIXTURE_ROUTE}`));
    item = [];
  };
  for (const l of body) {
    if (l.text.startsWith("- ")) flush();
    item.push(l);
  }
  flush();
  return out;
}

function vsHeader(metadata: string[] = ["metadata: { name: readme-fragment }"]): Line[] {
  return fixed("apiVersion: networking.istio.io/v1", "kind: VirtualService", ...metadata, "spec:", '  hosts: ["readme.example.com"]', "  gateways: [readme-fixture]", "  http:");
}

const numbered = (doc: Doc): Line[] => dedent(doc.lines).map((text, i) => ({ text, readme: doc.line + i }));

function wrap(page: string, doc: Doc, kind: Kind, name: string, sectionRules: Line[] = []): Wrapped {
  const body = numbered(doc);
  const keys = topKeys(body.map((l) => l.text));
  let lines: Line[];
  switch (kind.rule) {
    case "istio-document":
      lines = body;
      break;
    case "http-rule-list":
      lines = [...vsHeader(), ...shift(withActions(body), 4)];
      break;
    case "http-rule-fields":
      // One rule made of the fragment's fields, plus a route when it has no action of its own.
      lines = [...vsHeader(), ...fixed("    - name: readme-fragment"), ...shift(body, 6)];
      if (!keys.some((k) => ACTIONS.includes(k))) lines.push(...fixed(`      ${FIXTURE_ROUTE}`));
      break;
    case "traffic-policy-fields":
      // A DestinationRule with this trafficPolicy, and a route to its host so it becomes a cluster.
      lines = [
        ...fixed("apiVersion: networking.istio.io/v1", "kind: DestinationRule", "metadata: { name: readme-fragment }", "spec:", `  host: ${FIXTURE_HOST}`, "  trafficPolicy:"),
        ...shift(body, 4),
        ...fixed("---"),
        ...vsHeader(["metadata: { name: readme-fragment-route }"]),
        ...fixed(`    - ${FIXTURE_ROUTE}`),
      ];
      break;
    case "metadata":
      // A VirtualService with this metadata whose rules are the http rules the same section
      // shows (the annotation names them), or else one two-host split.
      lines = [
        ...body,
        ...vsHeader([]),
        ...(sectionRules.length > 0
          ? shift(sectionRules, 4)
          : fixed("    - name: split", "      route:", "        - { destination: { host: a.readme.example.com }, weight: 50 }", "        - { destination: { host: b.readme.example.com }, weight: 50 }")),
      ];
      break;
  }
  return { page, file: { path: name, text: lines.map((l) => l.text).join("\n") + "\n" }, readme: lines.map((l) => l.readme) };
}

// ---------------------------------------------------------------------------------------------
// Loading and compiling with README-located messages.

function located(issues: Issue[], wrapped: Map<string, Wrapped>): string[] {
  return issues.map((i) => {
    const w = wrapped.get(i.file);
    const at = w?.readme[i.line - 1];
    const where = at != null ? `${w!.page}:${at}` : `${i.file}:${i.line} (wrapper or fixture)`;
    return `${where}: ${i.severity}: ${i.path ? `${i.path}: ` : ""}${i.message}`;
  });
}

/** The http rules (`http-rule-list` blocks) a `##` section of a page shows, actions completed. */
function sectionRules(file: string, section: string): Line[] {
  return YAML_BLOCKS.filter((b) => b.file === file && b.section === section)
    .flatMap((b) => splitDocs(b))
    .filter((d) => classify(d).rule === "http-rule-list")
    .flatMap((d) => withActions(numbered(d)));
}

/** Complete documents of a `##` section: the context every block of that section is loaded with. */
function sectionDocuments(except: Block): Wrapped[] {
  return YAML_BLOCKS.filter((b) => b.file === except.file && b.section === except.section && b !== except)
    .flatMap((b) => splitDocs(b).map((d) => ({ b, d })))
    .filter(({ d }) => classify(d).rule === "istio-document")
    .map(({ b, d }) => wrap(b.file, d, { rule: "istio-document" }, `${b.file}@${d.line}`));
}

async function loadAndCompile(own: Wrapped[], context: Wrapped[]) {
  const fixture: SourceFile = { path: "fixture/readme-gateway.yaml", text: FIXTURE_GATEWAY };
  const all = [...own, ...context];
  const byName = new Map(all.map((w) => [w.file.path, w]));
  // Context documents are checked by their own tests: only this block's (and the fixture's)
  // problems count here, so one broken example fails one test.
  const mine = new Set([fixture.path, ...own.map((w) => w.file.path)]);
  const errors = (issues: Issue[]) => located(issues.filter((i) => i.severity === "error" && mine.has(i.file)), byName);
  const loaded = loadConfig([fixture, ...all.map((w) => w.file)]);
  const loadErrors = errors(loaded.issues);
  if (loadErrors.length > 0) return { loadErrors, compileErrors: [] as string[], table: null, contextBroken: true };
  const compiled = await compile(loaded.objects);
  const compileErrors = errors(compiled.issues);
  const contextBroken = [...loaded.issues, ...compiled.issues].some((i) => i.severity === "error" && !mine.has(i.file));
  return { loadErrors, compileErrors, table: compiled.table, contextBroken };
}

const isWorkflow = (b: Block) => {
  const keys = topKeys(b.lines);
  return keys.includes("jobs") && keys.includes("on");
};
const isCases = (b: Block) => topKeys(b.lines).includes("cases");
const isOrigins = (b: Block) => topKeys(b.lines).includes("origins");
const isSchemaComment = (b: Block) => significant(b.lines).length === 0 && b.lines.some((l) => l.includes("$schema="));

describe("Documentation YAML examples (README.md and docs/)", () => {
  it("has the examples this suite expects (a changed count means a new rule may be needed)", () => {
    expect(YAML_BLOCKS.length).toBeGreaterThanOrEqual(15);
  });

  for (const b of YAML_BLOCKS) {
    if (isSchemaComment(b)) {
      it(`${title(b)} — rule "schema-comment": the referenced schema exists beside routes/`, () => {
        const ref = /\$schema=(\S+)/.exec(b.lines.join("\n"))![1]!;
        // The comment is written for a file in routes/: resolve it from there.
        const target = path.resolve(ROOT, "routes", ref);
        expect(() => readFileSync(target, "utf8"), `${ref} from routes/`).not.toThrow();
        expect(JSON.parse(readFileSync(target, "utf8"))).toHaveProperty("$schema");
      });
      continue;
    }
    if (isWorkflow(b)) {
      it(`${title(b)} — rule "github-workflow": not an Istio document, skipped as config; its steps use only npm ci and package scripts`, () => {
        const runs = b.lines.map((l) => /^\s*-\s*run:\s*(.*)$/.exec(l)?.[1]).filter((r): r is string => r !== undefined);
        expect(runs.length).toBeGreaterThan(0);
        for (const r of runs) expect(r, r).toMatch(/^npm (ci|run [\w:-]+( .*)?)$/);
        expect(parseYaml(b.lines.join("\n"))).toHaveProperty("jobs");
      });
      continue;
    }
    if (isCases(b)) {
      it(`${title(b)} — rule "golden-cases": loads through loadCases and passes against routes/`, async () => {
        const text = b.lines.join("\n");
        const { cases, issues } = loadCases({ path: b.file, text });
        expect(issues.map((i) => `${b.file}:${b.line + i.line}: ${i.path}: ${i.message}`)).toEqual([]);
        expect(cases.length).toBeGreaterThan(0);
        const built = await build([path.join(ROOT, "routes")]);
        expect(built.errors).toBe(0);
        const table = prepare(built.table!);
        const failures = cases.flatMap((c) => {
          const r = runCase(table, c.case);
          return r.ok ? [] : [`${b.file}:${b.line + c.line} "${c.case.name}": ${JSON.stringify(r.mismatches)}`];
        });
        expect(failures).toEqual([]);
      });
      continue;
    }
    if (isOrigins(b)) {
      it(`${title(b)} — rule "origins-file": loads as routes/origins.yaml with zero errors`, () => {
        const { objects, issues } = loadConfig([{ path: "routes/origins.yaml", text: b.lines.join("\n") }]);
        expect(issues.map((i) => `${b.file}:${b.line + i.line}: ${i.path}: ${i.message}`)).toEqual([]);
        expect(objects.origins?.[0]?.value.entries.length ?? 0).toBeGreaterThan(0);
      });
      continue;
    }
    const docs = splitDocs(b);
    for (const doc of docs) {
      const kind = classify(doc);
      const name = docs.length > 1 ? `${title(b)} document at line ${doc.line}` : title(b);
      if (kind.rule === "unknown") {
        it(`${name} — is recognised by a rule`, () => {
          expect.fail(`no rule for a YAML block with top-level keys ${JSON.stringify(kind.keys)}: add one to test/unit/readme.test.ts`);
        });
        continue;
      }
      it(`${name} — rule "${kind.rule}": loads with zero errors and compiles`, async () => {
        const own = wrap(b.file, doc, kind, `${b.file}@${doc.line}`, kind.rule === "metadata" ? sectionRules(b.file, b.section) : []);
        // Complete documents of the section (other blocks, and the other documents of this one).
        const siblings = docs.filter((d) => d !== doc && classify(d).rule === "istio-document").map((d) => wrap(b.file, d, { rule: "istio-document" }, `${b.file}@${d.line}`));
        const context = [...siblings, ...sectionDocuments(b)];
        const { loadErrors, compileErrors, table, contextBroken } = await loadAndCompile([own], context);
        expect(loadErrors, "loadConfig errors").toEqual([]);
        expect(compileErrors, "compile errors").toEqual([]);
        // A table exists unless another block of the section is broken (its own test says so).
        if (!contextBroken) expect(table).not.toBeNull();
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Command lines.

/** Shell words of a command line: quotes grouped, an unquoted `#` word ends the line. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:'([^']*)'|"([^"]*)"|(#.*$)|(\S+))/gy;
  let m: RegExpExecArray | null;
  let cur: string | null = null;
  let lastEnd = 0;
  while ((m = re.exec(line)) !== null) {
    if (m[3] !== undefined) break;
    const piece = m[1] ?? m[2] ?? m[4]!;
    const glued = cur !== null && m.index === lastEnd && !/^\s/.test(m[0]);
    if (glued) cur += piece;
    else {
      if (cur !== null) words.push(cur);
      cur = piece;
    }
    lastEnd = re.lastIndex;
    if (re.lastIndex >= line.length) break;
  }
  if (cur !== null) words.push(cur);
  return words;
}

interface CliLine {
  file: string;
  line: number;
  text: string;
  /** Inline `code` in prose names a command, it is not a full command line. */
  inline: boolean;
}

/** Every `npm run routes -- …` in a code block (shell or workflow `run:`) or starting an inline code span. */
function routesLines(page: Page): CliLine[] {
  const out: CliLine[] = [];
  let inBlock = false;
  page.lines.forEach((text, i) => {
    if (/^\s*```/.test(text)) {
      inBlock = !inBlock;
      return;
    }
    if (inBlock) {
      const at = text.indexOf("npm run routes -- ");
      if (at >= 0) out.push({ file: page.file, line: i + 1, text: text.slice(at).replace(/`.*$/, ""), inline: false });
      return;
    }
    for (const m of text.matchAll(/`(npm run routes -- [^`]*)`/g)) out.push({ file: page.file, line: i + 1, text: m[1]!, inline: true });
  });
  return out;
}

function specOf(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.spec.name === name)?.spec;
}

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("Documentation command lines", () => {
  const lines = PAGES.flatMap(routesLines);
  it("finds the routes CLI lines of every section", () => {
    expect(lines.length).toBeGreaterThanOrEqual(15);
  });
  for (const l of lines) {
    const words = shellWords(l.text).slice(4); // npm run routes --
    const [command, ...rest] = words;
    it(`${l.file}:${l.line} \`${l.text.trim()}\` names a real command${l.inline ? " (inline mention: declared flags only)" : " with flags its spec declares"}`, () => {
      const spec = specOf(command ?? "");
      expect(spec, `command ${command}; known: ${COMMANDS.map((c) => c.spec.name).join(", ")}`).toBeDefined();
      if (l.inline) {
        for (const w of rest.filter((w) => w.startsWith("--"))) expect(spec!.flags.map((f) => f.name), w).toContain(w.slice(2).replace(/=.*$/, ""));
        return;
      }
      expect(() => parseArgs(spec!, rest)).not.toThrow();
    });
  }

  it("every `npm run <script>`, `npm start` and `npm test` names a package.json script", () => {
    const used = new Set<string>();
    for (const m of ALL_TEXT.matchAll(/npm run ([\w:-]+)/g)) used.add(m[1]!);
    for (const m of ALL_TEXT.matchAll(/npm (start|test)\b/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThanOrEqual(4);
    for (const s of used) expect(Object.keys(PACKAGE.scripts), s).toContain(s);
  });

  it("`npm run dev -- …` passes its options to wrangler dev (scripts/dev.ts forwards every argument)", () => {
    const devLines = PAGES.flatMap((p) => p.lines).filter((l) => l.includes("npm run dev -- "));
    expect(devLines.length).toBeGreaterThan(0);
    const dev = readFileSync(path.join(ROOT, "scripts/dev.ts"), "utf8");
    expect(dev).toMatch(/startWrangler\(\["dev", \.\.\.args\]/);
  });
});

// ---------------------------------------------------------------------------------------------
// The vars table and the local replies table.

/** Rows of the Markdown table (on any page) whose header row starts with `| <first> |`. */
function table(first: string): string[][] {
  const header = new RegExp(`^\\|\\s*${first}\\s*\\|`);
  const page = PAGES.find((p) => p.lines.some((l) => header.test(l)));
  expect(page, `a table headed "${first}"`).toBeDefined();
  const lines = page!.lines;
  const start = lines.findIndex((l) => header.test(l));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const code = (cell: string) => cell.replace(/^`|`$/g, "");
/** A default cell: `30`, `""`, "" → the var's string value. */
const unquote = (cell: string) => code(cell).replace(/^"|"$/g, "");

describe("README vars table", () => {
  const rows = table("var");
  const envTs = readFileSync(path.join(ROOT, "src/env.ts"), "utf8");
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const tomlVars = Object.fromEntries([...(/\[vars\]\n([\s\S]*?)\n\n/.exec(toml)?.[1] ?? "").matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1]!, m[2]!]));

  it("lists the vars", () => expect(rows.length).toBeGreaterThanOrEqual(6));
  for (const [name, def] of rows) {
    const v = unquote(name!.replace(/\s*\(secret\)$/, ""));
    it(`${v} is declared in src/env.ts`, () => {
      expect(envTs).toMatch(new RegExp(`\\b${v}\\??:`));
    });
    if (v in tomlVars) {
      it(`${v}: the README default ${def} is the wrangler.toml [vars] value`, () => {
        expect(unquote(def!)).toBe(tomlVars[v]);
      });
    }
  }

  it("the defaults the code applies when a var is unset are the README's", () => {
    const byName = Object.fromEntries(rows.map(([n, d]) => [unquote(n!.replace(/\s*\(secret\)$/, "")), unquote(d!)]));
    expect(String(DEFAULT_CONFIG_REFRESH_SECONDS)).toBe(byName.CONFIG_REFRESH_SECONDS);
    const DEFAULT_SETTINGS = settings({}); // every var at its default
    expect(DEFAULT_SETTINGS.refreshMs).toBe(Number(byName.CONFIG_REFRESH_SECONDS) * 1000);
    expect(DEFAULT_SETTINGS.exposeConfigVersion ? "on" : "off").toBe(byName.EXPOSE_CONFIG_VERSION);
    expect(settings({ EXPOSE_CONFIG_VERSION: "off" }).exposeConfigVersion).toBe(false); // README: set "off" to hide it
    expect(String(DEFAULT_SETTINGS.resilience.retryBufferLimitBytes)).toBe(byName.RETRY_BUFFER_LIMIT_BYTES);
    expect(String(DEFAULT_SETTINGS.resilience.subrequestBudget)).toBe(byName.SUBREQUEST_BUDGET);
    expect(DEFAULT_SETTINGS.resilience.mirrorShadowHostSuffix).toBe(byName.MIRROR_SHADOW_HOST_SUFFIX);
    expect(DEFAULT_SETTINGS.accessLog.mode).toBe(byName.ACCESS_LOG);
    expect(String(DEFAULT_SETTINGS.accessLog.sample)).toBe(byName.ACCESS_LOG_SAMPLE);
    expect(String(DEFAULT_SETTINGS.shardCacheBytes)).toBe(byName.SHARD_CACHE_BYTES);
  });

  it("the Analytics Engine binding of the README's toml block is the one src/env.ts declares", () => {
    const toml = BLOCKS.find((b) => b.lang === "toml" && b.lines.some((l) => l.includes("analytics_engine_datasets")));
    const binding = /binding\s*=\s*"(\w+)"/.exec(toml!.lines.join("\n"))![1]!;
    expect(envTs).toMatch(new RegExp(`\\b${binding}\\??:\\s*AnalyticsEngineDataset`));
  });
});

describe("README local replies table", () => {
  const rows = table("situation");
  /** Each situation's reply, from the module that writes it (respond.ts). */
  const match = {} as MatchInfo; // the reply does not read which route matched
  const destination = { host: "reviews", weight: 100 } as WeightedDestination;
  const local = (d: respond.LocalDecision) => respond.toResponse(respond.localReply(d, {}));
  const replies: Array<[RegExp, () => Response]> = [
    [/^no host or no rule matches/, () => local({ kind: "noRoute" })],
    [/httpsRedirect/, () => local({ kind: "httpsRedirect", location: "https://a.example/", vhost: "a.example" })],
    [/^destination cluster does not exist/, () => local({ kind: "clusterNotFound", match, destination })],
    [/^no endpoint available/, () => local({ kind: "noHealthyUpstream", match, destination })],
    [/^origin refused/, () => respond.toResponse(respond.upstreamReset("remote connection failure", false))],
    [/timeout/, () => respond.toResponse(respond.upstreamTimeout())],
    [/^fault abort/, () => local({ kind: "faultAbort", match, status: 418, delayMs: 0 })],
    [/^malformed request/, () => respond.toResponse(respond.badRequest("a reason"))],
    [/^no route table/, () => respond.toResponse(respond.noRouteTable())],
    [/shard cannot be read/, () => respond.toResponse(respond.shardUnavailable())],
  ];
  it("lists every local reply", () => expect(rows.length).toBe(replies.length));
  for (const [situation, status, body] of rows) {
    it(`"${situation}" answers ${status} with ${body}`, async () => {
      const make = replies.find(([re]) => re.test(situation!));
      expect(make, situation).toBeDefined();
      const res = make![1]();
      const text = await res.text();
      if (status === "configured") expect(res.status).toBe(418);
      else expect(String(res.status)).toBe(status);
      if (body === "empty") expect(text).toBe("");
      else if (body === "reason") expect(text).toContain("a reason");
      else {
        const want = code(body!);
        // A trailing `…` stands for the variable rest of the text.
        if (want.endsWith("…")) expect(text.startsWith(want.slice(0, -1))).toBe(true);
        else expect(text.trimEnd()).toBe(want);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Prose claims with an exact form: the sample validation output and the golden-case fields.

/** Files shaped so that the README's sample errors come out at the lines and columns it shows. */
const ERROR_SAMPLE_FILES: SourceFile[] = [
  {
    path: "routes/base.yaml",
    text: `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["shop.example.com", "reviews.example.com"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews }
spec:
  hosts: [reviews.internal]
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: DNS
  endpoints:
    - { address: reviews-v1.origin.example.com, labels: { version: v1 } }
    - { address: reviews-v2.origin.example.com, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews.internal
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`,
  },
  {
    path: "routes/shop.yaml",
    text: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop }
spec:
  hosts: ["shop.example.com"]
  gateways: [public]
  http:
    - { name: api, match: [{ uri: { prefix: /api/ } }], route: [{ destination: { host: api.shop.internal } }] }
    - { name: cart, match: [{ uri: { prefix: /cart/ } }], route: [{ destination: { host: cart.shop.internal } }] }
    - name: checkout
      match: [{ uri: { prefix: /checkout/ } }]
      route: [{ destination: { host: checkout.shop.internal } }]
      retries: { attempts: 1 }
      timeout: "5"
`,
  },
  {
    path: "routes/reviews.yaml",
    text: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: ["reviews.example.com"]
  gateways: [public]
  http:
    - name: jason
      match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: reviews.internal, subset: v2 } }]
    - name: beta
      match: [{ headers: { x-beta: { exact: "1" } } }]
      route: [{ destination: { host: reviews.internal, subset: v2 } }]
    - name: legacy
      match: [{ uri: { prefix: /legacy/ } }]
      route: [{ destination: { host: reviews.internal, subset: v1 } }]
    - name: shift
      route:
        - { destination: { host: reviews.internal, subset: v1 }, weight: 90 }
        - destination:
            subset: v3
            host: reviews.internal
          weight: 10
`,
  },
];

describe("README prose with an exact form", () => {
  it("the sample validation errors are the loader's own output, every problem at once", () => {
    const sample = BLOCKS.find((b) => b.lang === "" && b.lines.some((l) => /^routes\/\S+\.yaml:\d+:\d+: /.test(l)));
    expect(sample, "the sample output block under 'Writing routes'").toBeDefined();
    const { issues } = loadConfig(ERROR_SAMPLE_FILES);
    expect(sortIssues(issues).map(formatIssue)).toEqual(sample!.lines.filter((l) => l.trim() !== ""));
  });

  it("the golden-case fields the README names are exactly the fields of the case schema", () => {
    const block = YAML_BLOCKS.find(isCases)!;
    const doc = parseYaml(block.lines.join("\n")) as { cases: Array<{ request: Record<string, unknown>; expect: Record<string, unknown> }> };
    const mentionedExpect = new Set(doc.cases.flatMap((c) => Object.keys(c.expect)));
    const other = /Other `expect` fields:([^.]*)\./.exec(PAGES.find((p) => p.file === block.file)!.text)?.[1];
    expect(other, "the sentence listing the other expect fields").toBeDefined();
    for (const m of other!.matchAll(/`(\w+)`/g)) mentionedExpect.add(m[1]!);
    expect([...mentionedExpect].sort()).toEqual(Object.keys(CaseExpect.shape).sort());

    const mentionedRequest = new Set(doc.cases.flatMap((c) => Object.keys(c.request)));
    const also = block.lines.find((l) => l.includes("# also:"))!;
    for (const w of also.replace(/^.*# also:/, "").split(",")) mentionedRequest.add(w.trim());
    expect([...mentionedRequest].sort()).toEqual(Object.keys(CaseRequest.shape).sort());
  });
});

// ---------------------------------------------------------------------------------------------
// The `npm start` walkthrough: every curl line with a stated answer (`#   → …`) is decided by the
// Worker's own decide() on the compiled routes/, and the origin named as `npm start` names its
// echo origins ("reviews v2": the host's first label and the endpoint's label values).

interface Curl {
  file: string;
  line: number;
  headers: Record<string, string>;
  path: string;
  /** `for i in $(seq N)`: the request is repeated N times (dice spread evenly over [0, 1)). */
  repeat: number;
  expect: string;
}

function walkthrough(): Curl[] {
  const block = BLOCKS.find((b) => b.section.startsWith("Try it") && b.lines.some((l) => l.startsWith("curl ")))!;
  const out: Curl[] = [];
  block.lines.forEach((l, i) => {
    const next = block.lines[i + 1] ?? "";
    const arrow = /^#\s+→\s+(.*)$/.exec(next);
    if (!arrow || !l.includes("curl ")) return;
    const headers: Record<string, string> = {};
    for (const m of l.matchAll(/-H '([^:]+):\s*([^']*)'/g)) headers[m[1]!.toLowerCase()] = m[2]!;
    const path = /http:\/\/127\.0\.0\.1:8787(\/\S*)/.exec(l)![1]!;
    const repeat = Number(/\$\(seq (\d+)\)/.exec(l)?.[1] ?? 1);
    out.push({ file: block.file, line: block.line + 1 + i, headers, path, repeat, expect: arrow[1]! });
  });
  return out;
}

describe("README npm start walkthrough", async () => {
  const built = await build([path.join(ROOT, "routes")]);
  const table = prepare(built.table!);
  const names = localEndpoints(built.table!);
  const nameOf = (upstreamUrl: string | undefined) => names.find((e) => upstreamUrl?.startsWith(e.url + "/"))?.name;
  const answer = (c: Curl, random: number) => {
    const { host, ...rest } = c.headers;
    const req = { url: `http://${host}${c.path}`, method: "GET", headers: rest, random };
    const decided = decideCase(table, req);
    if (!decided.decision) throw new Error(`bad request: ${decided.reason}`);
    return summarize(decided.decision, decided.facts, decided.headers);
  };
  const curls = walkthrough();
  it("states the answers of its curl lines", () => expect(curls.length).toBeGreaterThanOrEqual(5));

  for (const c of curls) {
    it(`${c.file}:${c.line} curl ${c.headers.host}${c.path} → ${c.expect}`, () => {
      const split = [...c.expect.matchAll(/(\d+) × "([^"]+)"/g)];
      if (split.length > 0) {
        // "about 45 × A, 5 × B": with the dice spread evenly the split gives exactly that.
        const counts: Record<string, number> = {};
        for (let i = 0; i < c.repeat; i++) {
          const name = nameOf(answer(c, (i + 0.5) / c.repeat).upstreamUrl) ?? "?";
          counts[name] = (counts[name] ?? 0) + 1;
        }
        expect(counts).toEqual(Object.fromEntries(split.map((m) => [m[2]!, Number(m[1])])));
        return;
      }
      const m = /^(\d+)(?: from "([^"]+)")?(?: location: (\S+))?$/.exec(c.expect);
      expect(m, `an answer like 200 from "name", 302 location: URL or 503: ${c.expect}`).not.toBeNull();
      const s = answer(c, 0.5);
      if (m![2] !== undefined) {
        expect(s.kind).toBe("forward");
        expect(nameOf(s.upstreamUrl)).toBe(m![2]);
      } else expect(s.status).toBe(Number(m![1]));
      if (m![3] !== undefined) expect(s.location).toBe(m![3]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Links: every `](#anchor)` names a heading of its page (or a section the lead reserved with a
// placeholder such as `<!-- SECURITY -->`), every `](path)` a committed file relative to the page,
// and every `](page.md#anchor)` a heading of that page.

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) => heading.toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");

/** Heading anchors of a page (headings inside code blocks are not headings). */
function anchorsOf(lines: string[]): Set<string> {
  const out = new Set<string>();
  let inBlock = false;
  for (const l of lines) {
    if (/^\s*```/.test(l)) inBlock = !inBlock;
    else if (!inBlock && /^#{1,6} /.test(l)) out.add(slug(l.replace(/^#+ /, "")));
  }
  return out;
}

describe("Documentation links", () => {
  it("every docs/ page is linked from the README", () => {
    const readme = PAGES.find((p) => p.file === "README.md")!;
    for (const p of PAGES.filter((p) => p.file !== "README.md")) expect(readme.text, p.file).toContain(`](${p.file}`);
  });
  for (const page of PAGES) {
    const anchors = anchorsOf(page.lines);
    const placeholders = new Set([...page.text.matchAll(/<!-- ([A-Z]+) -->/g)].map((m) => m[1]!.toLowerCase()));
    const links = [...page.text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    it(`${page.file} has links`, () => expect(links.length).toBeGreaterThan(0));
    for (const link of links) {
      if (link.startsWith("#")) {
        const a = link.slice(1);
        it(`${page.file}: #${a} is a heading, or a section the lead reserved with <!-- ${a.toUpperCase()} --> (rule "lead placeholder")`, () => {
          expect(anchors.has(a) || placeholders.has(a), `headings: ${[...anchors].join(", ")}`).toBe(true);
        });
        continue;
      }
      if (/^https?:/.test(link)) continue;
      const [target, anchor] = link.split("#") as [string, string | undefined];
      const file = path.join(path.dirname(path.join(ROOT, page.file)), target);
      it(`${page.file}: ${link} exists`, () => {
        const text = readFileSync(file, "utf8");
        if (anchor !== undefined) expect([...anchorsOf(text.split("\n"))], `${target} headings`).toContain(anchor);
      });
    }
  }
});
