/**
 * The real Worker (bundled by wrangler, run by Miniflare) in front of real echo origins:
 * routing, what the origin saw, header ops, rewrites, redirects, direct responses, local replies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway, type RawInit, type RawResponse } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, istioDoc, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";
import { clusterKey } from "../../src/table/types.ts";

let a: EchoOrigin;
let b: EchoOrigin;
let gw: Gateway;
let deadPort: number;
/** The pushed table's version (its content hash). */
let version: string;

interface Echo {
  server: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: { size: number; sha256: string };
}

/** The routes under test, as an operator writes them (compiled through the real path in beforeAll). */
const HTTP = `
- name: to-a
  match: [{ uri: { prefix: /a } }]
  route: [{ destination: { host: a.internal } }]
  retries: { attempts: 0 }
- name: rewrite
  match: [{ uri: { prefix: /foo/ } }]
  rewrite: { uri: / }
  route: [{ destination: { host: b.internal } }]
  retries: { attempts: 0 }
- name: authority
  match: [{ uri: { prefix: /rewrite-authority } }]
  rewrite: { authority: internal.b.example }
  route: [{ destination: { host: b.internal } }]
  retries: { attempts: 0 }
- name: header-ops
  match: [{ uri: { prefix: /ops } }]
  headers:
    request: { remove: [z], set: { x: "1", x-client: "%DOWNSTREAM_REMOTE_ADDRESS%" }, add: { y: "2" } }
    response: { remove: [x-echo-server], set: { x-route: ops }, add: { x-added: "yes" } }
  route: [{ destination: { host: b.internal } }]
  retries: { attempts: 0 }
- name: redirect
  match: [{ uri: { exact: /old } }]
  redirect: { uri: /new, redirectCode: 301 }
- name: direct
  match: [{ uri: { exact: /direct } }]
  headers: { response: { set: { x-direct: "1" } } }
  directResponse: { status: 503, body: { string: "unknown error" } }
- name: direct-bytes
  match: [{ uri: { exact: /bytes } }]
  directResponse: { status: 200, body: { bytes: "AAEC/w==" } }
- name: fault
  match: [{ uri: { exact: /fault } }]
  fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
  route: [{ destination: { host: a.internal } }]
  retries: { attempts: 0 }
- name: no-cluster
  match: [{ uri: { exact: /nc } }]
  route: [{ destination: { host: ghost.internal } }]
  retries: { attempts: 0 }
- name: no-endpoints
  match: [{ uri: { exact: /uh } }]
  route: [{ destination: { host: empty.internal, subset: canary } }]
  retries: { attempts: 0 }
- name: dead
  match: [{ uri: { exact: /dead } }]
  route: [{ destination: { host: dead.internal } }]
  retries: { attempts: 0 }
- name: to-b
  match: [{ uri: { prefix: /b } }]
  route: [{ destination: { host: b.internal } }]
  retries: { attempts: 0 }
`;

beforeAll(async () => {
  [a, b] = await Promise.all([startEchoOrigin("a"), startEchoOrigin("b")]);
  const dead = await startEchoOrigin("dead");
  deadPort = dead.port;
  await dead.close(); // a port that refuses connections
  gw = await startGateway();
  const t = await compiledTable(
    yamlFile(
      gatewayYaml(),
      serviceEntryYaml("a.internal", [a.url]),
      serviceEntryYaml("b.internal", [b.url]),
      serviceEntryYaml("ghost.internal", [a.url]),
      // A subset whose labels select no endpoint compiles to an empty cluster (503 no healthy upstream).
      serviceEntryYaml("empty.internal", [{ address: "127.0.0.1", port: a.port, labels: { track: "stable" } }]),
      istioDoc("DestinationRule", "empty", "host: empty.internal\nsubsets: [{ name: canary, labels: { track: canary } }]"),
      serviceEntryYaml("dead.internal", [`http://127.0.0.1:${deadPort}`]),
      virtualServiceYaml(HTTP),
    ),
  );
  // The one malformed part: a destination whose cluster the table lacks (the compiler never
  // writes one; Envoy answers such a route 503 with an empty body, cluster_not_found).
  delete t.clusters[clusterKey("ghost.internal", undefined, 80)];
  version = t.hash;
  await gw.push(t);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

async function echo(path: string, init?: RawInit): Promise<{ res: RawResponse; body: Echo }> {
  const res = await gw.fetch(`http://shop.example${path}`, init);
  return { res, body: res.json<Echo>() };
}

describe("routing to origins", () => {
  it.each([
    ["/a/x", "a"],
    ["/b/x", "b"],
    ["/abc", "a"],
  ])("%s reaches origin %s", async (path, server) => {
    const { res, body } = await echo(path);
    expect(res.status).toBe(200);
    expect(body.server).toBe(server);
    expect(body.path).toBe(path);
  });

  it("passes the raw path and query to the origin", async () => {
    const { body } = await echo("/a/p%20q?x=1&y=%2F");
    expect(body.path).toBe("/a/p%20q?x=1&y=%2F");
  });

  it("stamps server and config version on proxied responses and keeps the upstream status", async () => {
    const res = await gw.fetch("http://shop.example/a?echo-status=418");
    expect(res.status).toBe(418);
    expect(res.headers.get("server")).toBe("istio-envoy");
    expect(res.headers.get("x-gateway-config-version")).toBe(version);
    expect(res.headers.get("x-envoy-upstream-service-time")).toMatch(/^\d+$/);
  });
});

describe("what the origin sees", () => {
  it("gets its own host as Host and the client's Host in x-forwarded-host", async () => {
    const { body } = await echo("/a");
    expect(body.headers.host).toBe(`127.0.0.1:${a.port}`);
    expect(body.headers["x-forwarded-host"]).toBe("shop.example");
  });

  it("gets x-forwarded-proto from the downstream scheme, not from the client", async () => {
    // (Miniflare itself trusts a client `x-forwarded-proto: https` to build request.url, which
    // Cloudflare does not; a value it cannot use shows the Worker overwrites the header.)
    const { body } = await echo("/a", { headers: { "x-forwarded-proto": "spoofed" } });
    expect(body.headers["x-forwarded-proto"]).toBe("http");
  });

  it("gets x-forwarded-for with the client address appended", async () => {
    const { body } = await echo("/a", { headers: { "x-forwarded-for": "198.51.100.1", "cf-connecting-ip": "203.0.113.9" } });
    expect(body.headers["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.9");
  });

  it("gets a generated x-request-id, or the client's when it sent one", async () => {
    const generated = await echo("/a");
    expect(generated.body.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await echo("/a", { headers: { "x-request-id": "trace-abc-123" } });
    expect(kept.body.headers["x-request-id"]).toBe("trace-abc-123");
  });

  it("gets x-envoy-attempt-count 1 and none of the client's x-envoy-* control headers", async () => {
    const { body } = await echo("/a", { headers: { "x-envoy-retry-on": "5xx", "x-envoy-max-retries": "9", "x-envoy-attempt-count": "7" } });
    expect(body.headers["x-envoy-attempt-count"]).toBe("1");
    expect(body.headers["x-envoy-retry-on"]).toBeUndefined();
    expect(body.headers["x-envoy-max-retries"]).toBeUndefined();
  });

  it("does not get hop-by-hop headers (RFC 9110 §7.6.1)", async () => {
    const { body } = await echo("/a", {
      headers: { connection: "x-hop", "x-hop": "1", "keep-alive": "timeout=5", te: "trailers", "proxy-authorization": "Basic eDp5", "x-end-to-end": "kept" },
    });
    expect(body.headers["x-hop"]).toBeUndefined();
    expect(body.headers["keep-alive"]).toBeUndefined();
    expect(body.headers.te).toBeUndefined();
    expect(body.headers["proxy-authorization"]).toBeUndefined();
    expect(body.headers["x-end-to-end"]).toBe("kept");
  });

  it("gets route request header ops applied (remove → set → add, %VAR% substituted)", async () => {
    const { res, body } = await echo("/ops", { headers: { x: "0", y: "1", z: "9", "cf-connecting-ip": "203.0.113.9" } });
    expect(body.headers.x).toBe("1");
    expect(body.headers.y).toBe("1, 2");
    expect(body.headers.z).toBeUndefined();
    expect(body.headers["x-client"]).toBe("203.0.113.9");
    // response ops at the client
    expect(res.headers.get("x-route")).toBe("ops");
    expect(res.headers.get("x-added")).toBe("yes");
    expect(res.headers.has("x-echo-server")).toBe(false);
  });

  it("gets the rewritten path and x-envoy-original-path after a prefix rewrite", async () => {
    const { body } = await echo("/foo/bar?q=1");
    expect(body.path).toBe("/bar?q=1");
    expect(body.headers["x-envoy-original-path"]).toBe("/foo/bar?q=1");
  });

  it("keeps its own Host under rewrite.authority with an IP endpoint (local rule, DESIGN §6)", async () => {
    const { body } = await echo("/rewrite-authority");
    expect(body.headers.host).toBe(`127.0.0.1:${b.port}`);
    expect(body.headers["x-forwarded-host"]).toBe("shop.example");
  });
});

describe("local replies", () => {
  async function local(path: string): Promise<{ status: number; body: string; type: string | null; headers: Headers }> {
    const res = await gw.fetch(`http://shop.example${path}`);
    return { status: res.status, body: res.text(), type: res.headers.get("content-type"), headers: res.headers };
  }

  it.each([
    ["no route", "/nowhere", 404, "", null],
    ["redirect", "/old?a=1", 301, "", null],
    ["direct response", "/direct", 503, "unknown error", "text/plain"],
    ["fault abort", "/fault", 418, "fault filter abort", "text/plain"],
    ["unknown cluster", "/nc", 503, "", null],
    ["no endpoints", "/uh", 503, "no healthy upstream", "text/plain"],
    [
      "connection refused",
      "/dead",
      503,
      "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure",
      "text/plain",
    ],
  ])("%s: %s → %i", async (_name, path, status, body, type) => {
    const r = await local(path);
    expect(r.status).toBe(status);
    expect(r.body).toBe(body);
    expect(r.type).toBe(type);
    expect(r.headers.get("server")).toBe("istio-envoy");
  });

  it("redirects with the query kept (ISTIO-SEMANTICS §2.16 #15)", async () => {
    const r = await local("/old?a=1");
    expect(r.headers.get("location")).toBe("http://shop.example/new?a=1");
  });

  it("applies route response header ops to a direct response", async () => {
    const r = await local("/direct");
    expect(r.headers.get("x-direct")).toBe("1");
  });

  it("decodes a base64 direct-response body", async () => {
    const res = await gw.fetch("http://shop.example/bytes");
    expect([...res.body]).toEqual([0, 1, 2, 255]);
  });

  it("does not contact the origin on a fault abort", async () => {
    const before = a.seen.length;
    await local("/fault");
    expect(a.seen.length).toBe(before);
  });
});
