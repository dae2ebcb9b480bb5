import { describe, expect, it } from "vitest";
import { prepareListener, selectVhost } from "./vhost.ts";

const l = prepareListener({
  port: 80,
  fallback: false,
  exact: { "a.foo.com": 0, "foo.com": 1 },
  suffix: { ".foo.com": 2, "-bar.foo.com": 3, ".com": 4 },
  suffixLengths: [4, 8, 12],
  star: 5,
});

describe("selectVhost (exact → longest suffix → *)", () => {
  it.each([
    ["a.foo.com", 0, "exact wins over every wildcard"],
    ["foo.com", 1, "exact bare domain; *.foo.com does not cover foo.com"],
    ["b.foo.com", 2, "suffix wildcard"],
    ["x-bar.foo.com", 3, "the longest suffix wins"],
    ["-bar.foo.com", 2, "a wildcard never matches the empty string"],
    ["z.com", 4, "a shorter suffix when the longer ones miss"],
    [".com", 5, "the empty label cannot match *.com"],
    ["example.org", 5, "the * vhost catches the rest"],
  ])("%s ⇒ %i (%s)", (host, want) => {
    expect(selectVhost(l, host)).toBe(want);
  });

  it("returns null without a * vhost", () => {
    const none = prepareListener({ port: 80, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null });
    expect(selectVhost(none, "a.com")).toBeNull();
  });

  it("does not resolve hosts through Object.prototype", () => {
    const none = prepareListener({ port: 80, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null });
    expect([selectVhost(none, "__proto__"), selectVhost(none, "constructor")]).toEqual([null, null]);
  });
});
