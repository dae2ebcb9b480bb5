/**
 * `npm run dev -- [wrangler dev options]`: the gateway under `wrangler dev`, every argument passed
 * through (`--port 8787 --ip 127.0.0.1 --persist-to .dev-state --var CONFIG_REFRESH_SECONDS:0`).
 * It reads the same local KV state that `npm run routes -- push --local --persist-to DIR` writes
 * (both default to .wrangler/state), and a push while it runs is picked up at the Worker's next
 * pointer check (every request with CONFIG_REFRESH_SECONDS:0) — no restart.
 */
import { startWrangler, flagValue } from "./lib/wrangler-dev.ts";
import { DEFAULT_PERSIST_DIR } from "./lib/local-kv.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(`usage: npm run dev -- [--port P] [--ip 127.0.0.1] [--persist-to DIR] [--var CONFIG_REFRESH_SECONDS:0] [other wrangler dev options]

Runs \`wrangler dev\` with these options. Push routes into the same state:
  npm run routes -- push --local --persist-to DIR routes/
`);
  process.exit(0);
}
const state = flagValue(args, "persist-to") ?? DEFAULT_PERSIST_DIR;
console.error(`gateway: wrangler dev on the local KV state in ${state}`);
console.error(`gateway: push routes with: npm run routes -- push --local --persist-to ${state} routes/`);

// stdin is not passed: wrangler runs in a background process group, where reading the terminal would stop it (SIGTTIN).
const dev = startWrangler(["dev", ...args], ["ignore", "inherit", "inherit"]);
// Ctrl-C reaches only our process group (wrangler runs in its own): pass it on, once.
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void dev.stop();
  });
}
process.exitCode = await dev.exited;
