import { describe, expect, it } from "vitest";
import { explainInput } from "./explain-input.ts";

describe("explain form → request", () => {
  it("reads the fields as `routes route` reads its flags", () => {
    const r = explainInput({ method: "post", url: " https://a.example/x?y=1 ", headers: "End-User: jason\n\nx-a:  1 ", cookies: "a=1; b=2\nc=3", visitor: "v-1", random: "0.25" }, "BASE");
    expect(r).toEqual({
      ok: true,
      request: { method: "POST", url: "https://a.example/x?y=1", headers: { "End-User": "jason", "x-a": "1" }, cookies: { a: "1", b: "2", c: "3" }, visitor: "v-1", random: 0.25, pathNormalization: "BASE" },
    });
  });

  it("defaults: GET, random 0.5, no visitor, the Worker's path normalization", () => {
    const r = explainInput({ url: "http://a.example/" }, "MERGE_SLASHES");
    expect(r).toEqual({ ok: true, request: { method: "GET", url: "http://a.example/", headers: {}, cookies: {}, random: 0.5, pathNormalization: "MERGE_SLASHES" } });
  });

  it.each([
    [{ url: "" }, /^URL: an absolute/],
    [{ url: "/relative" }, /^URL: an absolute/],
    [{ url: "ftp://a.example/" }, /^URL: the scheme must be http or https/],
    [{ url: "http://a/", method: "G3T" }, /^method:/],
    [{ url: "http://a/", headers: "no colon" }, /^headers line 1:/],
    [{ url: "http://a/", headers: "ok: 1\nbad name: 2" }, /^headers line 2:/],
    [{ url: "http://a/", cookies: "=x" }, /^cookies line 1:/],
    [{ url: "http://a/", random: "1" }, /^random: a number in \[0, 1\)/],
    [{ url: "http://a/", random: "abc" }, /^random:/],
  ])("%j is refused with the field named", (form, error) => {
    const r = explainInput(form, "BASE");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});
