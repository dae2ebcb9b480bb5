import { describe, it, expect } from "vitest";
import { UsageError, formatHelp, parseArgs } from "./args.ts";
import type { CommandSpec } from "./args.ts";

const spec: CommandSpec = {
  name: "push",
  summary: "Push.",
  usage: "[options] <file|dir>...",
  flags: [
    { name: "local", type: "boolean", description: "local" },
    { name: "persist-to", type: "string", value: "DIR", description: "dir" },
  ],
  positionals: { min: 1, name: "<file|dir>" },
};

describe("parseArgs", () => {
  it.each([
    { name: "boolean and spaced value", argv: ["--local", "--persist-to", "s", "routes/"], flags: { local: true, "persist-to": "s" }, pos: ["routes/"] },
    { name: "value after =", argv: ["--persist-to=s", "a.yaml", "b.yaml"], flags: { "persist-to": "s" }, pos: ["a.yaml", "b.yaml"] },
    { name: "-- ends the options", argv: ["--", "--local"], flags: {}, pos: ["--local"] },
  ])("parses $name", ({ argv, flags, pos }) => {
    const r = parseArgs(spec, argv);
    expect(r.flags).toEqual(flags);
    expect(r.positionals).toEqual(pos);
  });

  it.each([
    { name: "an unknown flag", argv: ["--locl", "x"], msg: "unknown option --locl" },
    { name: "a short flag it does not know", argv: ["-x", "x"], msg: "unknown option -x" },
    { name: "a missing value", argv: ["x", "--persist-to"], msg: "--persist-to needs a value (DIR)" },
    { name: "a flag as a value", argv: ["--persist-to", "--local", "x"], msg: "--persist-to needs a value (DIR)" },
    { name: "a value on a boolean", argv: ["--local=yes", "x"], msg: "--local takes no value" },
    { name: "a repeated flag", argv: ["--local", "--local", "x"], msg: "--local given twice" },
    { name: "missing positionals", argv: ["--local"], msg: "missing <file|dir>" },
  ])("rejects $name", ({ argv, msg }) => {
    expect(() => parseArgs(spec, argv)).toThrow(new UsageError(msg));
  });

  it("lets --help through without positionals", () => {
    expect(parseArgs(spec, ["--help"]).help).toBe(true);
  });

  it("documents every flag in the help text", () => {
    const help = formatHelp(spec);
    expect(help).toContain("usage: npm run routes -- push [options] <file|dir>...");
    expect(help).toContain("--persist-to DIR  dir");
    expect(help).toContain("--local           local");
  });
});
