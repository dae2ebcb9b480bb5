import { describe, it, expect } from "vitest";
import { exports } from "cloudflare:workers";

describe("worker smoke", () => {
  it("answers 503 without a table", async () => {
    const res = await exports.default.fetch("http://a.example/");
    expect(res.status).toBe(503);
  });
});
