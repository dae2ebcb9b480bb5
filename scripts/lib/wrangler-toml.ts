/**
 * Reads the one thing the routes CLI needs from wrangler.toml: the id of the KV namespace bound
 * as `ROUTES` for an environment. Wrangler does not inherit bindings into environments, so
 * `--env staging` reads only `[[env.staging.kv_namespaces]]`, and no `--env` reads only the
 * top-level `[[kv_namespaces]]` (https://developers.cloudflare.com/workers/wrangler/environments/).
 *
 * Deliberately not a TOML parser: it understands table headers, `key = "string"` pairs and the
 * inline form `kv_namespaces = [{ binding = "ROUTES", id = "…" }]`, which is all wrangler
 * configs use for this binding. Anything it cannot read is reported, never guessed.
 */
import { readFileSync } from "node:fs";

export const ROUTES_BINDING = "ROUTES";

export interface KvNamespaceBinding {
  binding: string;
  id?: string;
  preview_id?: string;
}

/** Every `kv_namespaces` entry per environment ("" = top level). */
export function parseKvNamespaces(toml: string): Map<string, KvNamespaceBinding[]> {
  const result = new Map<string, KvNamespaceBinding[]>();
  const add = (env: string, entry: Record<string, string>) => {
    const list = result.get(env) ?? [];
    list.push({ binding: entry.binding ?? "", id: entry.id, preview_id: entry.preview_id });
    result.set(env, list);
  };
  let current: { env: string; entry: Record<string, string> } | null = null;
  let table = "";
  for (const raw of toml.split(/\r?\n/)) {
    const line = stripComment(raw).trim();
    if (line === "") continue;
    const header = /^(\[\[?)\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (header) {
      if (current) add(current.env, current.entry);
      current = null;
      table = header[2]!.replace(/\s+/g, "");
      const envOf = kvArrayEnv(table);
      if (header[1] === "[[" && envOf !== null) current = { env: envOf, entry: {} };
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    if (current) {
      const value = stringValue(pair[2]!);
      if (value !== null) current.entry[pair[1]!] = value;
      continue;
    }
    // Inline array: `kv_namespaces = [ { binding = "ROUTES", id = "…" } ]` (top level or in [env.X]).
    if (pair[1] === "kv_namespaces") {
      const env = table === "" ? "" : /^env\.([^.]+)$/.exec(table)?.[1];
      if (env === undefined) continue;
      for (const inline of pair[2]!.matchAll(/\{([^}]*)\}/g)) {
        const entry: Record<string, string> = {};
        for (const kv of inline[1]!.matchAll(/([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')/g)) {
          entry[kv[1]!] = stringValue(kv[2]!) ?? "";
        }
        add(env, entry);
      }
    }
  }
  if (current) add(current.env, current.entry);
  return result;
}

/** `kv_namespaces` → "", `env.staging.kv_namespaces` → "staging", anything else → null. */
function kvArrayEnv(table: string): string | null {
  if (table === "kv_namespaces") return "";
  const m = /^env\.([^.]+)\.kv_namespaces$/.exec(table);
  return m ? m[1]! : null;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

function stringValue(text: string): string | null {
  const t = text.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    return t.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1);
  return null;
}

/**
 * The ROUTES namespace id for `env` (undefined/"" = top level).
 * @throws Error naming the file and the table it looked for.
 */
export function routesNamespaceId(configPath: string, env: string | undefined): string {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch {
    throw new Error(`cannot read ${configPath}`);
  }
  const envName = env ?? "";
  const entries = parseKvNamespaces(text).get(envName) ?? [];
  const where = envName === "" ? "[[kv_namespaces]]" : `[[env.${envName}.kv_namespaces]]`;
  const entry = entries.find((e) => e.binding === ROUTES_BINDING);
  if (!entry) throw new Error(`${configPath}: no ${where} entry with binding = "${ROUTES_BINDING}"`);
  if (!entry.id) throw new Error(`${configPath}: the ${where} entry for ${ROUTES_BINDING} has no id`);
  return entry.id;
}
