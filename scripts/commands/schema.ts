/** `routes schema`: the JSON Schema of the config files, for editor completion and checks. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "../lib/io.ts";
import { EXIT_OK, stringFlag } from "../lib/args.ts";
import { configJsonSchema, originsJsonSchema } from "../../src/config/index.ts";
import { casesJsonSchema } from "../../src/cases/schema.ts";

export const DEFAULT_SCHEMA_PATH = "schema/routes.schema.json";
/** The golden cases' schema is written beside the routes' one (`*.cases.yaml` reference it). */
export const CASES_SCHEMA_NAME = "cases.schema.json";
/** The origins file's schema too (`routes/origins.yaml` references it). */
export const ORIGINS_SCHEMA_NAME = "origins.schema.json";

export const schemaCommand: Command = {
  spec: {
    name: "schema",
    summary: "Write the JSON Schemas of the route files (Gateway/VirtualService/…), of *.cases.yaml and of origins.yaml.",
    usage: `[--out ${DEFAULT_SCHEMA_PATH}]`,
    flags: [{ name: "out", type: "string", value: "FILE", description: `where to write the routes schema (default ${DEFAULT_SCHEMA_PATH}; - for stdout); ${CASES_SCHEMA_NAME} and ${ORIGINS_SCHEMA_NAME} go beside it` }],
    positionals: { min: 0, max: 0, name: "arguments" },
    notes: [
      "Start a config with `# yaml-language-server: $schema=../schema/routes.schema.json` to use it in an editor.",
      `Golden cases: \`# yaml-language-server: $schema=../schema/${CASES_SCHEMA_NAME}\`.`,
      `Origins file: \`# yaml-language-server: $schema=../schema/${ORIGINS_SCHEMA_NAME}\`.`,
    ],
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
    const casesOut = path.join(path.dirname(out), CASES_SCHEMA_NAME);
    const casesText = JSON.stringify(casesJsonSchema(), null, 2) + "\n";
    writeFileSync(casesOut, casesText);
    io.out(`wrote ${casesOut} (${Buffer.byteLength(casesText)} bytes)`);
    const originsOut = path.join(path.dirname(out), ORIGINS_SCHEMA_NAME);
    const originsText = JSON.stringify(originsJsonSchema(), null, 2) + "\n";
    writeFileSync(originsOut, originsText);
    io.out(`wrote ${originsOut} (${Buffer.byteLength(originsText)} bytes)`);
    return EXIT_OK;
  },
};
