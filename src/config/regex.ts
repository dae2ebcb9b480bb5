// Placeholder replaced by the full RE2 → JS translator (committed early so the compiler can import it).
import { RE2JS } from "re2js";

export type RegexCheck = { ok: true; js: string; flags: string } | { ok: false; message: string };

export function checkRegex(re2Source: string): RegexCheck {
  if (re2Source.length > 1024) return { ok: false, message: `regex is ${re2Source.length} characters long; the maximum is 1024` };
  try {
    RE2JS.compile(re2Source);
  } catch (e) {
    return { ok: false, message: `invalid RE2 regex: ${(e as Error).message}` };
  }
  return { ok: true, js: `^(?:${re2Source})$`, flags: "u" };
}
