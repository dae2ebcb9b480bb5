/**
 * Issue #18 item 1: a rewrite must not climb out of its folder. With `prefix: /static` →
 * `rewrite.uri: /assets/` and a deny rule on `/admin`, `GET /static../admin` used to be forwarded
 * as `/assets/../admin`, which fetch() (and any origin) resolves to `/admin`. The decision is
 * made here exactly as `routes route` / `routes test` make it (decideCase: facts → decide).
 */
import { describe, expect, it } from "vitest";
import { decideCase } from "../../../src/cases/run.ts";
import { CaseRequest } from "../../../src/cases/schema.ts";
import { rewrittenPathProblem } from "../../../src/actions/rewrite.ts";
import { prepare } from "../../../src/prepare.ts";
import { attackTable } from "../../fixtures/attack-config.ts";

const table = prepare(await attackTable({ origin: 9001, originB: 9002, shadow: 9003 }));

function decideUrl(path: string) {
  const req = CaseRequest.parse({ url: `http://site.test${path}`, random: 0 });
  return decideCase(table, req).decision!;
}

describe("a rewrite that would produce a dot segment is a 400, never a forward", () => {
  it.each([
    ["/static../admin", "prefix rewrite: /static + ../admin"],
    ["/static%2e%2e/admin/users?x=1", "percent-encoded dots (decoded by path normalisation)"],
    ["/static%2E%2E/admin", "upper-case escapes"],
    ["/static.%2e/admin", "mixed"],
    ["/static..", "a trailing .. segment"],
    ["/static.", "a trailing . segment"],
    ["/static..;x/admin", "a dot piece behind a ;param"],
    ["/static..%2Fadmin", "a dot piece behind an escaped slash"],
    ["/img../admin", "uriRegexRewrite: ^/img(.*)$ → /cdn/images/\\1"],
    ["/img%2e%2e/admin", "uriRegexRewrite with encoded dots"],
    ["/img/../../admin", "dots the request normalisation already removed: /admin is denied"],
  ])("%s (%s)", (path) => {
    const d = decideUrl(path);
    expect(d.kind, JSON.stringify(d.kind === "forward" ? d.target.url : d.kind)).not.toBe("forward");
    if (d.kind === "badRequest") expect(d.reason).toMatch(/dot segment/);
    else expect(d.kind).toBe("directResponse"); // normalised to /admin before routing: the deny rule
  });

  it("the mirror never receives the escaped path either (no forward, no mirror)", () => {
    const d = decideUrl("/img../admin");
    expect(d.kind).toBe("badRequest");
  });

  it("ordinary rewrites still forward exactly the decided path", () => {
    const a = decideUrl("/static/app.js?v=1");
    expect(a.kind === "forward" && a.target.url).toBe("http://127.0.0.1:9001/assets//app.js?v=1");
    const b = decideUrl("/static.min.js");
    expect(b.kind === "forward" && b.upstreamPath).toBe("/assets/.min.js");
    const c = decideUrl("/img/cat.png");
    expect(c.kind === "forward" && c.upstreamPath).toBe("/cdn/images//cat.png");
    expect(c.kind === "forward" && c.mirrors.map((m) => m.url)).toEqual(["http://127.0.0.1:9003/cdn/images//cat.png"]);
    const e = decideUrl("/img...png");
    expect(e.kind === "forward" && e.upstreamPath).toBe("/cdn/images/...png");
  });

  it("the upstream URL the Worker fetches has exactly the decided path (WHATWG parsing changes nothing)", () => {
    for (const p of ["/static/a/b", "/static.x", "/img/a.b/c", "/static/a%2Fb", "/img/%41"]) {
      const d = decideUrl(p);
      if (d.kind !== "forward") throw new Error(`${p}: ${d.kind}`);
      const u = new URL(d.target.url);
      expect(u.pathname + u.search).toBe(d.upstreamPath);
    }
  });
});

describe("rewrittenPathProblem", () => {
  it.each([
    ["/a/../b", true],
    ["/a/./b", true],
    ["/a/%2e%2E/b", true],
    ["/a\\..\\b", true],
    ["/a/..;x/b", true],
    ["/a/..%2fb", true],
    ["/a/#/b", true],
    ["/a/..b/c", false],
    ["/a/.b", false],
    ["/a/b?x=/../", false],
    ["/...", false],
  ])("%s → problem: %s", (p, bad) => expect(rewrittenPathProblem(p) !== null).toBe(bad));
});
