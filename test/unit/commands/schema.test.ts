import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { configJsonSchema, originsJsonSchema } from "../../../src/config/index.ts";
import { runCli } from "../../../scripts/cli.ts";
import { memoryIo } from "../../../scripts/lib/io.ts";

describe("routes schema", () => {
  it("the committed schema/routes.schema.json is what `npm run routes -- schema` generates now", () => {
    // If this fails, the config schemas changed: run `npm run routes -- schema` and commit schema/.
    expect(JSON.parse(readFileSync("schema/routes.schema.json", "utf8"))).toEqual(configJsonSchema());
  });

  it("the committed schema/origins.schema.json is what `npm run routes -- schema` generates now", () => {
    expect(JSON.parse(readFileSync("schema/origins.schema.json", "utf8"))).toEqual(originsJsonSchema());
  });

  it("every example in routes/ points its editor at the schema", () => {
    for (const name of ["bookinfo", "traffic-shifting", "canary", "ab-test", "resilience"]) {
      expect(readFileSync(`routes/${name}.yaml`, "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/routes.schema.json");
    }
  });

  it("--out - prints the schema instead of writing it", async () => {
    const io = memoryIo();
    expect(await runCli(["schema", "--out", "-"], io)).toBe(0);
    expect(JSON.parse(io.stdout.join("\n"))).toEqual(configJsonSchema());
  });
});
