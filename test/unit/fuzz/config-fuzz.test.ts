/**
 * Bad config never becomes active: random mutations of valid Istio configs (the examples in
 * routes/ and the hardening config) — random YAML values at random paths, deleted, duplicated
 * and renamed fields, wrong types, random strings in regex fields, huge numbers, unicode, and
 * raw text damage (duplicated lines, inserted characters, broken indentation).
 *
 * Properties, for every generated config:
 *  1. loadConfig never throws and every issue is located: the file, line ≥ 1, col ≥ 1 (both within
 *     the text), a path string, a message;
 *  2. a config without load errors compiles: compile never throws, and it returns a table exactly
 *     when it reports no error (its errors are located too);
 *  3. for an accepted table (after a JSON round trip, as KV stores it), decide() never throws on
 *     random requests, and nothing the Worker renders from the decision throws (render.ts): no
 *     accepted config can turn a request into a 500;
 *  4. a forward never leaves the configured endpoint (URL origin = endpoint origin), mirrors too.
 * Bounded: FUZZ_RUNS configs per seed group (env FUZZ_RUNS, default 300), 12 requests each.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseAllDocuments, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/compile/index.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import { loadConfig, type Issue, type SourceFile } from "../../../src/config/index.ts";
import { decide } from "../../../src/decide.ts";
import { factsFromParts } from "../../../src/match/facts.ts";
import { headersFromObject } from "../../../src/match/headers.ts";
import { prepare } from "../../../src/prepare.ts";
import { hardeningYaml } from "../../fixtures/hardening-config.ts";
import { renderDecision } from "./render.ts";

const ROOT = join(import.meta.dirname, "../../..");
const SEEDS: SourceFile[] = [
  ...readdirSync(join(ROOT, "routes"))
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(".cases.yaml"))
    .map((f) => ({ path: `routes/${f}`, text: readFileSync(join(ROOT, "routes", f), "utf8") })),
  { path: "routes/hardening.yaml", text: hardeningYaml(9000) },
];

/**
 * Configs generated per property below (3 properties ⇒ 3 × FUZZ_RUNS configs in all). 300 in the
 * default `npm test`; the long run is on demand: `FUZZ_RUNS=34000 npm run fuzz` (≈ 100,000 configs).
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300) || 300;
/** Added to every property's seed, so long runs can be sharded: `FUZZ_SEED=1 FUZZ_RUNS=… npm run fuzz`. */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0) || 0;
/** Per-property time limit, scaled with FUZZ_RUNS (the default run takes well under it). */
const PROPERTY_TIMEOUT_MS = Math.max(120_000, FUZZ_RUNS * 500);
export const stats = { configs: 0, random: 0, loadAccepted: 0, compiled: 0, requests: 0 };
/** Long runs (scripts/fuzz-long.ts) print a line per this many random configs checked, so a shard stopped at a deadline still counts. */
const PROGRESS_EVERY = Number(process.env.FUZZ_PROGRESS ?? 0) || 0;

/** One random config checked without a finding. */
function counted(): void {
  stats.random++;
  if (PROGRESS_EVERY && stats.random % PROGRESS_EVERY === 0) console.log(`config fuzz progress: ${stats.random} random configs checked`);
}

// ---------------------------------------------------------------------------------------------
// Mutations of the parsed documents.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

const REGEXES = ["(a+)+$", "(a|aa)+", "(.*a){20}", ".*a.*a.*a.*b", "[", "a{2,1}", "(?<=a)b", "\\1", "(?i)/Shop", "/api/v[0-9]+/.*", "a".repeat(1100), "😀+", "\\p{Greek}+", "(?P<x>a)", "*", ""];
const STRINGS = [
  "", " ", "€", "😀", "é", "\u0000", "a\r\nb", "\t", "%", "%%", "%REQ(x)%", "%REQ(:path)%", "%RESP(x)%", "%START_TIME%", "%BOGUS(", "x%y",
  "1s", "0s", "-1s", "1.5h", "99999999999999s", "1e3ms", "/", "//", "/a/../b", "http://evil.com", "evil.com", "*", "*.example.com", "a".repeat(300),
  "ROUND_ROBIN", "HTTP", "HTTPS", "SIMPLE", "FROM_REQUEST_PORT", "5xx,reset", "GET", "v1", "default", "ünïcödé", "\u202e", "\ufeff",
  // Value classes that reach URLs and headers (issue #18 items 6 and 9): userinfo, astral and
  // lone-surrogate characters, NUL/CR/LF inside a path, dot segments, cookie separators.
  "good.test@evil.test", "evil.test/x", "a b", "/a\u0000b", "/a\r\nSet-Cookie: x=1", "\u{18AD5}", "/\u{1F600}", "\ud83d", "\u00ff", "/a;b", "a\u0085b", "/static../admin", "../../x",
];
const NUMBERS = [0, -1, 1, 0.5, 100, 101, 599, 600, 65535, 65536, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 1e-9];

const valueArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(...STRINGS),
  fc.constantFrom<Json>(...REGEXES),
  fc.constantFrom<Json>(...NUMBERS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.array(fc.constantFrom<Json>(...STRINGS), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("exact", "prefix", "regex", "name", "value", "x-a", "number"), fc.constantFrom<Json>(...STRINGS, ...REGEXES), { maxKeys: 2 }),
);

function allPaths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) allPaths(x, [...at, k], out);
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json[] | Record<string, Json>; key: string | number } | null {
  let cur: Json = root;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, Json>)[seg as string] ?? null;
  }
  if (cur === null || typeof cur !== "object") return null;
  return { parent: cur as Json[] | Record<string, Json>, key: path[path.length - 1]! };
}

type Mutation =
  | { op: "set"; pick: number; value: Json }
  | { op: "delete"; pick: number }
  | { op: "duplicate"; pick: number }
  | { op: "rename"; pick: number; suffix: string }
  | { op: "wrap"; pick: number }
  | { op: "regex"; pick: number; value: string }
  /** Same type, nasty value: keeps many configs valid, so the values reach compile/decide/render. */
  | { op: "retype"; pick: number; str: string; num: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("set" as const), pick: fc.nat(), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("duplicate" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("rename" as const), pick: fc.nat(), suffix: fc.constantFrom("s", "_", "X", "") }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("wrap" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("regex" as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(...REGEXES), fc.string({ maxLength: 10 })) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("retype" as const),
      pick: fc.nat(),
      str: fc.oneof(fc.constantFrom(...STRINGS), fc.string({ unit: "grapheme", maxLength: 6 }), fc.string({ maxLength: 8 })),
      num: fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -10, max: 1000 })),
    }),
  },
);

function mutate(doc: Json, m: Mutation): Json {
  const paths = allPaths(doc);
  if (m.op === "regex") {
    // Only fields that hold a regex: `regex`, and uriRegexRewrite.match.
    const rx = paths.filter((p) => p[p.length - 1] === "regex" || (p[p.length - 1] === "match" && p[p.length - 2] === "uriRegexRewrite"));
    const target = rx.length ? rx[m.pick % rx.length]! : paths.filter((p) => p.includes("match"))[0];
    if (!target) return doc;
    const pp = parentOf(doc, target);
    if (pp) (pp.parent as Record<string, Json>)[target[target.length - 1] as string] = m.value;
    return doc;
  }
  if (m.op === "retype") {
    const leaves = paths.filter((p) => {
      const pp = parentOf(doc, p);
      const v = pp ? (pp.parent as Record<string | number, Json>)[pp.key] : null;
      return typeof v === "string" || typeof v === "number";
    });
    if (!leaves.length) return doc;
    const p = leaves[m.pick % leaves.length]!;
    const { parent, key } = parentOf(doc, p)!;
    const obj = parent as Record<string | number, Json>;
    obj[key] = typeof obj[key] === "string" ? m.str : m.num;
    return doc;
  }
  if (!paths.length) return m.op === "set" ? m.value : doc;
  const path = paths[m.pick % paths.length]!;
  const pp = parentOf(doc, path);
  if (!pp) return doc;
  const { parent, key } = pp;
  const obj = parent as Record<string | number, Json>;
  switch (m.op) {
    case "set":
      obj[key] = m.value;
      break;
    case "delete":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete obj[key];
      break;
    case "duplicate":
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]!));
      else obj[`${key}`] = structuredClone(obj[key]!); // same key: a no-op on objects; text damage duplicates keys
      break;
    case "rename":
      if (!Array.isArray(parent) && m.suffix) {
        obj[`${key}${m.suffix}`] = obj[key]!;
        delete obj[key];
      } else if (!Array.isArray(parent)) {
        obj[String(key).toUpperCase()] = obj[key]!;
        if (String(key).toUpperCase() !== key) delete obj[key];
      }
      break;
    case "wrap":
      obj[key] = Array.isArray(obj[key]) ? ((obj[key] as Json[])[0] ?? null) : [obj[key]!];
      break;
  }
  return doc;
}

function parseDocs(text: string): Json[] {
  return parseAllDocuments(text).flatMap((d) => ("toJS" in d ? [d.toJS({ maxAliasCount: 100 }) as Json] : []));
}

/**
 * The seeds' documents, parsed once per process: re-parsing a seed for every generated config was
 * a third of the run time (profile of 450 configs). Callers get a deep copy they may mutate.
 */
const parsedSeeds = new Map<string, Json[]>();
function docsOf(text: string): Json[] {
  let docs = parsedSeeds.get(text);
  if (!docs) parsedSeeds.set(text, (docs = parseDocs(text)));
  return structuredClone(docs);
}

/** The strings of a seed (request material for the text-damage property), once per seed. */
const seedWords = new Map<string, string[]>();
function wordsOfSeed(text: string): string[] {
  let words = seedWords.get(text);
  if (!words) seedWords.set(text, (words = [...stringsOf(docsOf(text) as Json)]));
  return words;
}

function render(docs: Json[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

// Raw text damage: the validator must locate problems in text that is not even valid YAML.
type TextDamage = { op: "dupLine" | "dropLine" | "indent" | "insert"; at: number; text: string };
const textDamageArb: fc.Arbitrary<TextDamage> = fc.record({
  op: fc.constantFrom("dupLine", "dropLine", "indent", "insert"),
  at: fc.nat(),
  text: fc.constantFrom(":", "- ", "{", "}", "[", "\t", "'", '"', "&a ", "*a", "!!binary ", "---\n", "? ", "#", "\u0000", "😀", "%", "@"),
});

function damage(text: string, d: TextDamage): string {
  const lines = text.split("\n");
  const i = d.at % Math.max(1, lines.length);
  switch (d.op) {
    case "dupLine":
      lines.splice(i, 0, lines[i] ?? "");
      break;
    case "dropLine":
      lines.splice(i, 1);
      break;
    case "indent":
      lines[i] = " " + (lines[i] ?? "");
      break;
    case "insert": {
      const l = lines[i] ?? "";
      const c = d.at % (l.length + 1);
      lines[i] = l.slice(0, c) + d.text + l.slice(c);
      break;
    }
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Requests.

function stringsOf(v: Json, out = new Set<string>()): Set<string> {
  if (typeof v === "string") out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsOf(x, out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (out.add(k), stringsOf(x, out));
  return out;
}

interface Req {
  method: string;
  scheme: "http" | "https";
  host: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}

function requestArb(words: string[]): fc.Arbitrary<Req> {
  const hosts = words.filter((w) => /^[a-z0-9*.-]+$/i.test(w) && w.includes(".")).map((w) => w.replace(/^\*\./, "x."));
  const paths = words.filter((w) => w.startsWith("/"));
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const names = words.filter((w) => token.test(w) && w.length < 40).map((w) => w.toLowerCase());
  const value = fc.oneof(fc.constantFrom(...(words.length ? words : ["v"])), fc.string({ maxLength: 8 }), fc.constantFrom("", "always", "v1", "a".repeat(9000)));
  return fc.record({
    method: fc.constantFrom("GET", "POST", "OPTIONS", "HEAD", "PUT", "DELETE", "PATCH"),
    scheme: fc.constantFrom<"http" | "https">("http", "https"),
    host: fc.oneof(fc.constantFrom(...(hosts.length ? hosts : ["a.com"])), fc.constantFrom("unknown.test", "A.COM:8080", "[::1]:80")),
    path: fc.oneof(
      fc.constantFrom(...(paths.length ? paths : ["/"])),
      fc.tuple(fc.constantFrom(...(paths.length ? paths : ["/"])), fc.constantFrom("", "x", "/x", "/../admin", "%2e%2e", "/%2F", ";a", "é")).map(([a, b]) => a + b),
      fc.string({ maxLength: 10 }).map((s) => "/" + s),
    ),
    query: fc.constantFrom("", "?a=1", "?variant=b", "?x=%0d%0a", "?" + "q".repeat(50)),
    headers: fc.dictionary(fc.constantFrom("cookie", "origin", "access-control-request-method", "x-canary", "x-input", "user-agent", ...names.slice(0, 30)), value, { maxKeys: 4 }),
  });
}

function validHeaderValue(v: string): boolean {
  // What a real HTTP request can carry (the client's parser would reject anything else).
  return !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v) && !/[^\u0000-\u00ff]/.test(v) && v === v.trim();
}

// ---------------------------------------------------------------------------------------------
// The properties.

function assertLocated(issues: Issue[], files: SourceFile[]): void {
  const lineCounts = new Map<string, number>();
  for (const i of issues) {
    const file = files.find((f) => f.path === i.file);
    let lines = file ? lineCounts.get(file.path) : undefined;
    if (file && lines === undefined) lineCounts.set(file.path, (lines = file.text.split("\n").length));
    // Plain checks first: `expect` costs more than the rest of this function on a long run, so
    // it only runs (for its message) when one of them fails.
    const located =
      file !== undefined &&
      (i.severity === "error" || i.severity === "warning") &&
      Number.isInteger(i.line) && i.line >= 1 &&
      Number.isInteger(i.col) && i.col >= 1 &&
      i.line <= lines! + 1 &&
      typeof i.path === "string" &&
      typeof i.message === "string" && i.message.length > 0;
    if (located) continue;
    expect(file, `issue names a file we gave: ${JSON.stringify(i)}`).toBeDefined();
    expect(i.severity === "error" || i.severity === "warning").toBe(true);
    expect(Number.isInteger(i.line) && i.line >= 1, `line ≥ 1: ${JSON.stringify(i)}`).toBe(true);
    expect(Number.isInteger(i.col) && i.col >= 1, `col ≥ 1: ${JSON.stringify(i)}`).toBe(true);
    expect(i.line, `line within the file: ${JSON.stringify(i)}`).toBeLessThanOrEqual(lines! + 1);
    expect(typeof i.path).toBe("string");
    expect(typeof i.message === "string" && i.message.length > 0).toBe(true);
    throw new Error(`unlocated issue: ${JSON.stringify(i)}`);
  }
}

/** `requests` are generated only for an accepted table (most mutated configs are rejected, and the requests are the same either way). */
async function checkConfig(files: SourceFile[], requestsOf: Req[] | (() => Req[]), seed: number): Promise<void> {
  stats.configs++;
  const loaded = loadConfig(files);
  assertLocated(loaded.issues, files);
  if (loaded.issues.some((i) => i.severity === "error")) return;
  stats.loadAccepted++;
  const { table, issues } = await compile(loaded.objects, { sources: files.map((f) => f.path) });
  assertLocated(issues, files);
  const compileErrors = issues.filter((i) => i.severity === "error");
  expect(table === null, `table iff no compile error: ${JSON.stringify(compileErrors)}`).toBe(compileErrors.length > 0);
  if (!table) return;
  stats.compiled++;
  const prepared = prepare(JSON.parse(JSON.stringify(table)) as RouteTable);
  let dice = seed >>> 0;
  const rand = () => ((dice = (Math.imul(dice, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const requests = typeof requestsOf === "function" ? requestsOf() : requestsOf;
  for (const r of requests) {
    const headers = Object.fromEntries(Object.entries(r.headers).filter(([, v]) => validHeaderValue(v)));
    const facts = factsFromParts({ method: r.method, scheme: r.scheme, authority: r.host, path: r.path, query: r.query, headers: headersFromObject({ ...headers, host: r.host }) });
    if ("error" in facts) continue;
    stats.requests++;
    const d = decide(prepared, facts, { rand, now: 0, newVisitorId: () => "00000000-0000-4000-8000-000000000000" });
    let request: Request;
    try {
      request = new Request(`${r.scheme}://${facts.host.startsWith("[") ? "[::1]" : "gw.test"}${facts.path}${facts.query}`, { method: r.method, headers });
    } catch {
      continue; // not a request a client could send; decide() already did not throw
    }
    const out = renderDecision(d, request, facts);
    expect(out.status).toBeGreaterThanOrEqual(200);
    if (d.kind === "forward") {
      expect(new URL(out.upstreamUrl!).origin === new URL(d.target.endpoint.url).origin || out.upstreamUrl!.startsWith(d.target.endpoint.url.replace(/\/$/, "") + "/") || d.match.route.rewrite?.authority !== undefined, `${out.upstreamUrl} stays on ${d.target.endpoint.url}`).toBe(true);
      expect(d.target.url.startsWith(d.target.endpoint.url + "/")).toBe(true);
      for (const m of d.mirrors) expect(m.url.startsWith(m.endpoint.url + "/")).toBe(true);
    }
  }
}

const pending: Array<Promise<void>> = [];

function seedArb() {
  return fc.constantFrom(...SEEDS);
}

describe(`config fuzz (${FUZZ_RUNS} configs per property)`, () => {
  it("mutated values, deleted/duplicated/renamed fields, wrong types and regex strings: located issues or a safe table", async () => {
    await fc.assert(
      fc.asyncProperty(seedArb(), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer(), async (seed, mutations, docPick, dice) => {
        const docs = docsOf(seed.text);
        const i = docPick % docs.length;
        for (const m of mutations) docs[i] = mutate(docs[i]!, m);
        const text = render(docs);
        await checkConfig([{ path: seed.path, text }], () => fc.sample(requestArb([...stringsOf(docs as Json)]), { numRuns: 12, seed: dice }), dice);
        counted();
      }),
      { numRuns: FUZZ_RUNS, seed: 424242 + FUZZ_SEED, endOnFailure: true },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("raw text damage (duplicate keys, broken indentation, stray YAML syntax): located issues or a safe table", async () => {
    await fc.assert(
      fc.asyncProperty(seedArb(), fc.array(textDamageArb, { minLength: 1, maxLength: 3 }), fc.integer(), async (seed, damages, dice) => {
        let text = seed.text;
        for (const d of damages) text = damage(text, d);
        await checkConfig([{ path: seed.path, text }], () => fc.sample(requestArb(wordsOfSeed(seed.text)), { numRuns: 12, seed: dice }), dice);
        counted();
      }),
      { numRuns: FUZZ_RUNS, seed: 777 + FUZZ_SEED, endOnFailure: true },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("configs split over several files with mutations in each: located in the right file", async () => {
    await fc.assert(
      fc.asyncProperty(seedArb(), fc.array(mutationArb, { maxLength: 2 }), fc.integer(), async (seed, mutations, dice) => {
        const docs = docsOf(seed.text);
        if (mutations.length) docs[docs.length - 1] = mutations.reduce(mutate, docs[docs.length - 1]!);
        const files = docs.map((d, k) => ({ path: `routes/split-${k}.yaml`, text: render([d]) }));
        await checkConfig(files, () => fc.sample(requestArb([...stringsOf(docs as Json)]), { numRuns: 12, seed: dice }), dice);
        counted();
      }),
      { numRuns: FUZZ_RUNS, seed: 99 + FUZZ_SEED, endOnFailure: true },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("every string/number leaf of two seeds × boundary values (systematic, not random)", async () => {
    const LEAF_STRINGS = ["€", "é", "a\r\nb", "%", "%REQ(x)%", "", " ", "http://evil.com/x", "a.com/x#", "😀", "good.test@evil.test", "/\u{18AD5}", "\u0000", "/x/../y"];
    const LEAF_NUMBERS = [0, -1, 599, 600, 65536, 1e308, 0.5, 2 ** 53 + 1];
    const requests = fc.sample(requestArb(["/admin", "/public/x", "/rx/a", "/go/a", "/echo-header", "/", "shop.example.com", "ci.example.com"]), { numRuns: 6, seed: 5 });
    for (const seed of SEEDS.filter((x) => /hardening|resilience/.test(x.path))) {
      const base = docsOf(seed.text);
      base.forEach((doc, d) => {
        for (const path of allPaths(doc)) {
          const pp = parentOf(doc, path)!;
          const v = (pp.parent as Record<string | number, Json>)[pp.key];
          const values = typeof v === "string" ? LEAF_STRINGS : typeof v === "number" ? LEAF_NUMBERS : [];
          for (const value of values) {
            const docs = structuredClone(base);
            const target = parentOf(docs[d]!, path)!;
            (target.parent as Record<string | number, Json>)[target.key] = value;
            pending.push(checkConfig([{ path: seed.path, text: render(docs) }], requests, 1));
          }
        }
      });
    }
    await Promise.all(pending);
  }, PROPERTY_TIMEOUT_MS);

  it("the unmutated seeds are accepted (so the fuzz starts from valid configs) and a summary is reported", async () => {
    for (const s of SEEDS) {
      const loaded = loadConfig([s]);
      expect(loaded.issues.filter((i) => i.severity === "error"), s.path).toEqual([]);
      const { table } = await compile(loaded.objects, { sources: [s.path] });
      expect(table, s.path).not.toBeNull();
    }
    // Printed for the report: how much of the fuzz got past each gate.
    console.log(`config fuzz: ${stats.configs} configs (${stats.random} random), ${stats.loadAccepted} loaded without errors, ${stats.compiled} compiled, ${stats.requests} requests decided and rendered`);
    expect(stats.configs).toBeGreaterThanOrEqual(3 * FUZZ_RUNS);
  });
});
