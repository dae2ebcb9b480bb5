/**
 * What the client receives of an origin's hop-by-hop response headers (RFC 9110 §7.6.1), end to
 * end: the real bundled Worker (Miniflare/workerd) in front of a raw `net` origin that writes
 * every hop-by-hop field, a field named in `Connection`, and a reason phrase of its own.
 *
 * The gateway deletes from the response `Connection` and the names it lists, and what workerd
 * would pass through (`Proxy-Connection`, `Proxy-Authenticate`, `Proxy-Authorization`,
 * `HTTP2-Settings`); it leaves `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade` to
 * workerd's HTTP layer, which never sends the origin's copies (src/forward/hop-by-hop.ts
 * RUNTIME_DROPPED_RESPONSE). These tests pin the combination: if a workerd release started passing
 * one of those through, they fail.
 *
 * The status line carries the standard reason phrase for the code, not the origin's: Envoy's
 * HTTP/1 codec writes `CodeUtility::toString(status)` (ISTIO-SEMANTICS: Istio configures no
 * reason-phrase-preserving formatter), and HTTP/2 and HTTP/3 have no reason phrase at all.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { rawHttp } from "./harness/raw-http.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

/** Every hop-by-hop field an origin may send (and a field that `Connection` names). */
const HOP_LINES = [
  "Keep-Alive: timeout=5, max=100",
  "Proxy-Connection: keep-alive",
  "TE: trailers",
  "Trailer: x-checksum",
  "Upgrade: h2c",
  "Proxy-Authenticate: Basic realm=origin",
  "Proxy-Authorization: Basic eDp5",
  "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA",
  "X-Secret-Hop: from-origin",
  "X-End-To-End: kept",
];
const HOP_NAMES = ["keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "http2-settings", "x-secret-hop"];

/** The origin's answer per path: `/length` frames with Content-Length, `/chunked` with chunked encoding. */
function answer(path: string): string {
  const connection = "Connection: keep-alive, X-Secret-Hop";
  if (path.startsWith("/chunked")) {
    return ["HTTP/1.1 200 Fine By Origin", connection, "Transfer-Encoding: chunked", ...HOP_LINES, "", "2\r\nok\r\n0\r\n\r\n"].join("\r\n");
  }
  return ["HTTP/1.1 200 Fine By Origin", connection, "Content-Length: 2", ...HOP_LINES, "", "ok"].join("\r\n");
}

let origin: Server;
let gw: Gateway;
const sockets = new Set<Socket>();

beforeAll(async () => {
  origin = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffered = "";
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      // GETs only: every request ends at its blank line.
      for (let end = buffered.indexOf("\r\n\r\n"); end >= 0; end = buffered.indexOf("\r\n\r\n")) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        socket.write(answer(head.split(" ")[1] ?? "/"));
      }
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const port = (origin.address() as { port: number }).port;
  gw = await startGateway();
  await gw.push(
    await compiledTable(
      yamlFile(
        gatewayYaml(),
        serviceEntryYaml("hop.internal", [`http://127.0.0.1:${port}`]),
        virtualServiceYaml(`
- name: hop
  route: [{ destination: { host: hop.internal } }]
  retries: { attempts: 0 }
`),
      ),
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => origin?.close(resolve));
});

describe.each(["/length", "/chunked"])("an origin answer framed as %s", (path) => {
  it("reaches the client without any hop-by-hop field of the origin", async () => {
    const res = await gw.fetch(`http://shop.example${path}`);
    expect(res.status).toBe(200);
    expect(res.text()).toBe("ok");
    for (const name of HOP_NAMES) expect(res.headers.get(name), name).toBeNull();
    expect(res.headers.get("x-end-to-end")).toBe("kept");
    // Connection / Transfer-Encoding, when present, are the gateway's own framing for this client
    // connection, never the origin's values.
    expect(res.headers.get("connection") ?? "close").toMatch(/^(close|keep-alive)$/i);
    expect(res.headers.get("transfer-encoding") ?? "chunked").toBe("chunked");
  });

  it("carries the standard reason phrase, not the origin's (as Envoy's HTTP/1 codec writes it)", async () => {
    const raw = await rawHttp(gw.url, `GET ${path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`);
    expect(raw.raw.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    expect(raw.body).toBe("ok");
    for (const name of HOP_NAMES) expect(raw.headers.has(name), name).toBe(false);
  });
});
