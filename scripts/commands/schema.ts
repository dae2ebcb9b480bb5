/** `routes schema`: the JSON Schema of the config files, for editor completion and checks. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "../lib/io.ts";
import { EXIT_OK, stringFlag } from "../lib/args.ts";
import { configJsonSchema } from "../../src/config/index.ts";

export const DEFAULT_SCHEMA_PATH = "schema/routes.schema.json";

export const schemaCommand: Command = {
  spec: {
    name: "schema",
    summary: "Write the JSON Schema of Gateway/VirtualService/DestinationRule/ServiceEntry files.",
    usage: `[--out ${DEFAULT_SCHEMA_PATH}]`,
    flags: [{ name: "out", type: "string", value: "FILE", description: `where to write it (default ${DEFAULT_SCHEMA_PATH}; - for stdout)` }],
    positionals: { min: 0, max: 0, name: "arguments" },
    notes: ["Start a config with `# yaml-language-server: $schema=../schema/routes.schema.json` to use it in an editor."],
  },
  async run(args, io) {
    const out = stringFlag(args, "out") ?? DEFAULT_SCHEMA_PATH;
    const text = JSON.stringify(configJsonSchema(), null, 2) + "\n";
    if (out === "-") {
      io.out(text.trimEnd());
      return EXIT_OK;
    }
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, text);
    io.out(`wrote ${out} (${Buffer.byteLength(text)} bytes)`);
    return EXIT_OK;
  },
};
