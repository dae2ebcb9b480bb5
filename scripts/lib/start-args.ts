/**
 * `npm start` arguments: which routes to serve. None: the examples in routes/ (and the demo
 * tour). `--routes PATH` (repeatable) or plain paths: those files and folders instead — e.g.
 * Istio's bookinfo-gateway.yaml as shipped next to an origins file.
 */
import { parseArgs } from "node:util";

export const DEFAULT_ROUTES = "routes";

export interface StartArgs {
  paths: string[];
  /** true when the user chose the routes (the routes/ demo tour does not apply). */
  custom: boolean;
}

export function startArgs(argv: readonly string[]): StartArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { routes: { type: "string", multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  const paths = [...(values.routes ?? []), ...positionals];
  return paths.length ? { paths, custom: true } : { paths: [DEFAULT_ROUTES], custom: false };
}
