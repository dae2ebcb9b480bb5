// A stand-in for `wrangler` in the routes CLI tests (ROUTES_WRANGLER="node fake-wrangler.mjs").
// Implements `kv key get|put|delete <key> --namespace-id ID --remote [--path FILE]` against a JSON
// file ($FAKE_KV_FILE) and appends every invocation to $FAKE_WRANGLER_LOG, so a test can check
// what was executed, in which order, and that a dry run executed nothing.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2);
if (process.env.FAKE_WRANGLER_LOG) appendFileSync(process.env.FAKE_WRANGLER_LOG, JSON.stringify(args) + "\n");
const file = process.env.FAKE_KV_FILE;
const store = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
const [kv, key, verb, name] = args;
const flag = (n) => {
  const i = args.indexOf(n);
  return i === -1 ? undefined : args[i + 1];
};
if (kv !== "kv" || key !== "key" || !args.includes("--remote") || !flag("--namespace-id")) {
  process.stderr.write(`fake wrangler: unsupported ${args.join(" ")}\n`);
  process.exit(2);
}
const id = `${flag("--namespace-id")}/${name}`;
if (verb === "get") {
  if (!(id in store)) {
    process.stderr.write(`✘ [ERROR] Failed to fetch https://api.cloudflare.com/.../values/${encodeURIComponent(name)} - 404: Not Found\n`);
    process.exit(1);
  }
  process.stdout.write(store[id]);
} else if (verb === "put") {
  store[id] = readFileSync(flag("--path"), "utf8");
  writeFileSync(file, JSON.stringify(store));
} else if (verb === "delete") {
  delete store[id];
  writeFileSync(file, JSON.stringify(store));
} else process.exit(2);
