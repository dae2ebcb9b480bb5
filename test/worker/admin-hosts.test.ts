/**
 * ADMIN_HOSTS inside workerd, on the real Worker: the admin API and the console answer only on
 * the listed hosts; on any other host `/__gateway/*` is the same bare 404 as with the surface
 * off, with the right token or a valid session alike, and nothing reaches the route table.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/worker.ts";
import type { Env } from "../../src/env.ts";

const BEARER = { authorization: "Bearer test-admin-token" };
const restricted = { ...(env as unknown as Env), ADMIN_HOSTS: "admin.example.com, *.ops.example.net" };

async function get(url: string, init: RequestInit = {}, e: Env = restricted): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("ADMIN_HOSTS", () => {
  it("a listed host: the API and the console answer as usual", async () => {
    expect((await get("http://admin.example.com/__gateway/config", { headers: BEARER })).status).toBe(200);
    expect((await get("http://ADMIN.example.com:8443/__gateway/config", { headers: BEARER })).status).toBe(200);
    expect((await get("http://eu.ops.example.net/__gateway/config", { headers: BEARER })).status).toBe(200);
    expect((await get("http://admin.example.com/__gateway/config")).status).toBe(401);
    const login = await get("http://admin.example.com/__gateway/ui/login");
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("<form");
  });

  it("any other host: a bare 404 for the API, the console, its login and assets, token or not", async () => {
    for (const path of ["/__gateway/config", "/__gateway/ui/", "/__gateway/ui/login", "/__gateway/rollouts", "/%5F%5Fgateway/config"]) {
      for (const headers of [BEARER, {}]) {
        const res = await get(`http://shop.example.com${path}`, { headers });
        expect(res.status, path).toBe(404);
        expect(await res.text(), path).toBe("");
        expect(res.headers.get("www-authenticate"), path).toBeNull();
      }
    }
    // The login form's POST cannot start a session there either.
    const post = await get("http://shop.example.com/__gateway/ui/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://shop.example.com" },
      body: "token=test-admin-token",
    });
    expect(post.status).toBe(404);
    expect(post.headers.get("set-cookie")).toBeNull();
    expect((await get("http://ops.example.net/__gateway/config", { headers: BEARER })).status).toBe(404);
  });

  it("unset: every host (the default)", async () => {
    expect((await get("http://shop.example.com/__gateway/config", { headers: BEARER }, env as unknown as Env)).status).toBe(200);
  });
});
