/**
 * The two YAML paths of src/config/yaml-doc.ts must agree: the fast one (js-yaml, values only)
 * and the precise one (`yaml`, with node ranges) give equal values for every YAML file of the
 * repository, for tricky scalars of the YAML 1.2 core schema, and the same rule lines; and
 * everything js-yaml would read differently goes the precise way (errors, anchors).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseYamlFile, parseYamlFilePrecise } from "../../../src/config/yaml-doc.ts";
import { manyHosts, toYaml } from "../../../bench/gen.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const values = (r: ReturnType<typeof parseYamlFile>) => r.docs.filter((d) => d.value !== undefined).map((d) => [d.index, d.value]);

describe("fast and precise YAML paths", () => {
  const files = [...yamlFiles(path.join(ROOT, "routes")), ...yamlFiles(path.join(ROOT, "test"))];
  it("finds the repository's YAML files", () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(`${path.relative(ROOT, f)}: equal values, equal errors`, () => {
      const text = readFileSync(f, "utf8");
      const fast = parseYamlFile(text);
      const precise = parseYamlFilePrecise(text);
      expect(values(fast)).toEqual(values(precise));
      expect(fast.errors).toEqual(precise.errors);
    });
  }

  it("reads the scalars of the YAML 1.2 core schema as `yaml` does", () => {
    const text = [
      "a: 1_000", "b: 0o17", "c: 017", "d: 1e3", "e: .5", "f: +1", "g: 0x1F", "h: 2001-12-14", "i: yes", "j: ~", "k: .inf",
      "l: -.Inf", "m: .NaN", "n: True", "o: NULL", "p: '0x1F'", 'q: "a\\tb"', "r: 1.5s", "s: 08", "t: 0b101", "u: 12:30",
      "v: >-\n  folded\n  text", "w: |\n  literal\n  text", "x: !!str 5", "y: [1, '2', three]", "z: { a: 1 }", "aa: 100%", "ab: null",
      "ac: -0", "ad: 1.", "ae: +.5e-3", "af: -0x1F", "ag: 1e", "ah: 0o8", "ai: -.inf", "aj: .Inf", "ak: 1_0.5", "al: TRUE", "am: tRue", "an: -", "ao: 1:2:3",
    ].join("\n");
    expect(values(parseYamlFile(text))).toEqual(values(parseYamlFilePrecise(text)));
  });

  it("gives a generated 1,000-route config the same values and the same rule lines", () => {
    const text = toYaml(manyHosts({ routes: 1_000 }).objects);
    const fast = parseYamlFile(text);
    const precise = parseYamlFilePrecise(text);
    expect(values(fast)).toEqual(values(precise));
    let checked = 0;
    fast.docs.forEach((d, i) => {
      const http = ((d.value as { spec?: { http?: unknown[] } }).spec?.http ?? []) as unknown[];
      http.forEach((_, r) => {
        expect(d.line(["spec", "http", r])).toBe(precise.docs[i]!.locate(["spec", "http", r]).line);
        checked++;
      });
    });
    expect(checked).toBe(1_000);
  }, 60_000);

  it("gives rule lines equal to locate's for block, flow and `-` on its own line", () => {
    const text = "spec:\n  http:\n    - name: a\n      route: []\n    - { name: b }\n    -\n      name: c\n    -   name: d\n---\nspec: { http: [ { name: e },\n  { name: f } ] }\n";
    const fast = parseYamlFile(text);
    const precise = parseYamlFilePrecise(text);
    for (const [doc, n] of [[0, 4], [1, 2]] as const) {
      for (let r = 0; r < n; r++) expect(fast.docs[doc]!.line(["spec", "http", r]), `doc ${doc} rule ${r}`).toBe(precise.docs[doc]!.locate(["spec", "http", r]).line);
    }
  });

  it("gives deeper list items (answered by the precise parse) and top-level lists the lines locate gives", () => {
    // `line` keeps cheap lines only for list items up to 3 deep (memory, issue #16); deeper ones
    // and lists at the top or as a whole document must still answer as before.
    const text = "spec:\n  http:\n  - name: a\n    match:\n    - uri: { prefix: /a }\n    -\n      uri: { prefix: /b }\n    route:\n      - destination: { host: x }\n---\n- { a: 1 }\n-\n  b: 2\n";
    const fast = parseYamlFile(text);
    const precise = parseYamlFilePrecise(text);
    const paths: Array<[number, Array<string | number>]> = [
      [0, ["spec", "http", 0]], [0, ["spec", "http", 0, "match", 0]], [0, ["spec", "http", 0, "match", 1]],
      [0, ["spec", "http", 0, "route", 0]], [0, ["spec", "http", 5]], [0, ["spec", "http"]], [1, [0]], [1, [1]],
    ];
    for (const [doc, p] of paths) expect(fast.docs[doc]!.line(p), `${doc} ${p.join(".")}`).toBe(precise.docs[doc]!.locate(p).line);
  });

  it("compiles a generated config to the same table, findings and rule sources on the fast and the precise path", async () => {
    const { loadConfig } = await import("../../../src/config/index.ts");
    const { compile, canonicalJson } = await import("../../../src/compile/index.ts");
    const objects = manyHosts({ routes: 600 }).objects;
    const parts = [toYaml(objects.slice(0, 30)), toYaml(objects.slice(30))];
    // A comment with `&` sends a file down the precise path from the start (MAY_HAVE_ANCHOR),
    // at its end, so no line moves.
    const run = async (suffix: string) => {
      const files = parts.map((text, i) => ({ path: `routes/part-${i}.yaml`, text: text + suffix }));
      const loaded = loadConfig(files);
      const { table, issues } = await compile(loaded.objects, { sources: files.map((f) => f.path) });
      return { json: canonicalJson(table!), sources: table!.vhosts.flatMap((v) => v.routes.map((r) => r.source)), issues: [...loaded.issues, ...issues] };
    };
    const fast = await run("");
    const precise = await run("# &precise\n");
    expect(fast.sources.length).toBe(600);
    expect(fast).toEqual(precise);
    expect(fast.issues.length).toBeGreaterThan(0); // the generated origin is a raw IP: located warnings
  }, 60_000);

  it("with `reread`, locates from the text read again: the same positions, one read per file in a row, none from a changed file", () => {
    // The CLI passes `reread` so that loaded objects do not hold every file's text (issue #16
    // item 2); positions must not change, and a file edited since it was loaded must not give
    // positions of its new text.
    const a = toYaml(manyHosts({ routes: 30 }).objects);
    const b = "x: 1\nspec:\n  http:\n  - name: y\n    route: []\n---\nz: [1, {w: 2}]\n";
    let onDisk = { a, b };
    const reads = { a: 0, b: 0 };
    const fastA = parseYamlFile(a, () => (reads.a++, onDisk.a));
    const fastB = parseYamlFile(b, () => (reads.b++, onDisk.b));
    const preciseA = parseYamlFilePrecise(a);
    const preciseB = parseYamlFilePrecise(b);
    expect(reads).toEqual({ a: 0, b: 0 }); // nothing read again until a position is asked for
    const paths: Array<[number, Array<string | number>]> = [[1, ["spec", "ports", 0, "number"]], [2, ["spec", "http", 3, "match", 0, "uri"]], [3, ["metadata", "name"]], [2, ["spec", "hosts", 0]]];
    for (const [doc, p] of paths) expect(fastA.docs[doc]!.locate(p)).toEqual(preciseA.docs[doc]!.locate(p));
    expect(reads.a).toBe(1); // the last text read is kept: findings come file after file
    expect(fastB.docs[1]!.locate(["z", 1, "w"])).toEqual(preciseB.docs[1]!.locate(["z", 1, "w"]));
    expect(fastB.docs[0]!.locate(["spec", "http", 0, "name"])).toEqual(preciseB.docs[0]!.locate(["spec", "http", 0, "name"]));
    expect(reads.b).toBe(1);
    // Rule lines need no text at all.
    expect(fastA.docs[2]!.line(["spec", "http", 5])).toBe(preciseA.docs[2]!.locate(["spec", "http", 5]).line);
    expect(reads.a).toBe(1);
    // Edited on disk since (same length, other bytes): no position rather than a wrong one.
    onDisk = { a, b: b.replace("name: y", "name: q") };
    const fresh = parseYamlFile(b, () => onDisk.b);
    expect(fresh.docs[1]!.locate(["z", 0])).toEqual({ line: 1, col: 1 });
    // Unreadable: the same.
    const gone = parseYamlFile(b, () => {
      throw new Error("ENOENT");
    });
    expect(gone.docs[0]!.locate(["x"])).toEqual({ line: 1, col: 1 });
  });

  it("locates every path of every document as the whole file's precise parse does (one document is parsed alone)", () => {
    const paths = (v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> =>
      v !== null && typeof v === "object" ? [prefix, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]))] : [prefix];
    const texts = [
      "# lead comment\na: 1\nspec:\n  http:\n  - name: x\n    route: [ {destination: {host: a}} ]\n---\n---\n# c\nb: [1, {c: 2}]\n--- {flow: [1, 2], x: y}\n--- plain\n...\n---\nx: |\n  y\n  ---\nz:\n  - q: 1\n\n",
      "a: 1\r\nb:\r\n  - c: 2\r\n    d: \"e\"\r\n---\r\nf:\r\n  g: [h]\r\n",
      toYaml(manyHosts({ routes: 40 }).objects),
    ];
    let checked = 0;
    for (const text of texts) {
      const fast = parseYamlFile(text);
      const precise = parseYamlFilePrecise(text);
      expect(fast.docs.length).toBe(precise.docs.length);
      precise.docs.forEach((pd, i) => {
        for (const p of [...paths(pd.value), [...paths(pd.value).at(-1)!, "missing"]]) {
          expect(fast.docs[i]!.locate(p), `doc ${i} ${p.join(".")}`).toEqual(pd.locate(p));
          expect(fast.docs[i]!.locate(p, true), `doc ${i} ${p.join(".")} (key)`).toEqual(pd.locate(p, true));
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(400);
  });

  it("locates findings exactly as the precise path does (parsed on demand)", () => {
    const text = "a: 1\nspec:\n  timeout: 5\n  http:\n    - { name: x, timeout: bad }\n";
    const fast = parseYamlFile(text).docs[0]!;
    const precise = parseYamlFilePrecise(text).docs[0]!;
    for (const p of [["spec", "timeout"], ["spec", "http", 0, "timeout"], ["spec", "http"], ["nope"]]) {
      expect(fast.locate(p)).toEqual(precise.locate(p));
      expect(fast.locate(p, true)).toEqual(precise.locate(p, true));
    }
  });

  it("takes the precise path for a duplicate key (yaml's error message and position)", () => {
    const r = parseYamlFile("a: 1\na: 2\n");
    expect(r.errors).toEqual(parseYamlFilePrecise("a: 1\na: 2\n").errors);
    expect(r.errors.length).toBe(1);
  });

  it("takes the precise path for anchors, so the alias budget still stops a billion laughs", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    const r = parseYamlFile(bomb);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors[0]!.message).toMatch(/alias/i);
  });

  it("takes the precise path on a syntax error (same message and position)", () => {
    const text = "a: [1, 2\nb: 3\n";
    expect(parseYamlFile(text).errors).toEqual(parseYamlFilePrecise(text).errors);
    expect(parseYamlFile(text).errors.length).toBeGreaterThan(0);
  });
});
