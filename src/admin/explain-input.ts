/**
 * The explain form's fields → the request `routes route` would build from its flags (the same
 * CaseRequest shape decideCase takes), or the first problem in words. Hand-checked rather than
 * through the zod schema so zod stays out of the Worker bundle; the rules are the schema's
 * (src/cases/schema.ts CaseRequest).
 */
import type { CaseRequest } from "../cases/schema.ts";
import type { PathNormalization } from "../match/path.ts";

export interface ExplainForm {
  method?: string;
  url?: string;
  /** One `name: value` per line (as `routes route -H`). */
  headers?: string;
  /** `name=value` per line or separated by `;` (as `routes route --cookie`). */
  cookies?: string;
  visitor?: string;
  random?: string;
}

export type ExplainInput = { ok: true; request: CaseRequest } | { ok: false; error: string };

export function explainInput(form: ExplainForm, pathNormalization: PathNormalization): ExplainInput {
  const method = (form.method ?? "GET").trim().toUpperCase() || "GET";
  if (!/^[A-Z]+$/.test(method)) return { ok: false, error: `method: an HTTP method like GET, got ${JSON.stringify(method)}` };
  const url = (form.url ?? "").trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: `URL: an absolute http(s) URL like https://shop.example.com/cart, got ${JSON.stringify(url)}` };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { ok: false, error: `URL: the scheme must be http or https, got ${parsed.protocol}` };

  const headers: Record<string, string> = {};
  for (const [n, line] of lines(form.headers)) {
    const i = line.indexOf(":");
    const name = i > 0 ? line.slice(0, i).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return { ok: false, error: `headers line ${n}: "name: value", got ${JSON.stringify(line)}` };
    headers[name] = line.slice(i + 1).trim();
  }
  const cookies: Record<string, string> = {};
  for (const [n, line] of lines(form.cookies)) {
    for (const pair of line.split(";").map((p) => p.trim()).filter(Boolean)) {
      const i = pair.indexOf("=");
      if (i <= 0) return { ok: false, error: `cookies line ${n}: name=value, got ${JSON.stringify(pair)}` };
      cookies[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
    }
  }
  const randomText = (form.random ?? "").trim();
  const random = randomText === "" ? 0.5 : Number(randomText);
  if (!Number.isFinite(random) || random < 0 || random >= 1) return { ok: false, error: `random: a number in [0, 1), got ${JSON.stringify(randomText)}` };
  const visitor = (form.visitor ?? "").trim();

  return {
    ok: true,
    request: {
      url,
      method,
      headers,
      cookies,
      random,
      ...(visitor ? { visitor } : {}),
      pathNormalization,
    },
  };
}

function lines(text: string | undefined): Array<[number, string]> {
  return (text ?? "")
    .split(/\r?\n/)
    .map((l, i): [number, string] => [i + 1, l.trim()])
    .filter(([, l]) => l !== "");
}
