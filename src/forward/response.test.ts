import { describe, expect, it } from "vitest";
import { cluster, decision } from "../../test/fixtures/forward.ts";
import type { HeaderVars } from "../actions/header-ops.ts";
import { HOP_BY_HOP_NAMES, RUNTIME_DROPPED_RESPONSE } from "./hop-by-hop.ts";
import { proxiedResponse } from "./response.ts";

/** Vars whose `protocol` counts its reads (the pipeline's is a getter over `request.cf`). */
function countingVars(): { vars: HeaderVars; reads: () => number } {
  let reads = 0;
  const vars: HeaderVars = {
    clientIp: "203.0.113.7",
    get protocol() {
      reads++;
      return "HTTP/2";
    },
    request: new Headers({ "x-user": "ann" }),
    pseudo: { authority: "a.com", path: "/p", method: "GET", scheme: "https" },
  };
  return { vars, reads: () => reads };
}

function upstream(headers: Record<string, string>, status = 200): Response {
  return new Response("body", { status, headers });
}

describe("proxiedResponse", () => {
  it("never reads the protocol when no response header operation asks for it", () => {
    const { vars, reads } = countingVars();
    proxiedResponse(upstream({ "x-a": "1" }), decision(cluster(1)), vars, 3);
    proxiedResponse(upstream({ "x-a": "1" }), decision(cluster(1), { responseHeaders: [{ set: [["x-b", "%REQ(x-user)%"]] }] }), vars, 3);
    expect(reads()).toBe(0);
  });

  it("expands %PROTOCOL%, %RESP()% and %REQ()% in response header operations", async () => {
    const { vars, reads } = countingVars();
    const d = decision(cluster(1), {
      responseHeaders: [{ set: [["x-proto", "%PROTOCOL%"], ["x-echo", "%RESP(x-up)%/%REQ(x-user)%"]] }],
    });
    const res = proxiedResponse(upstream({ "x-up": "v2" }), d, vars, 3);
    expect(res.headers.get("x-proto")).toBe("HTTP/2");
    expect(res.headers.get("x-echo")).toBe("v2/ann");
    expect(reads()).toBe(1);
    expect(await res.text()).toBe("body");
  });

  it("drops hop-by-hop headers, applies route ops, lets CORS win, appends cookies and the service time", () => {
    const { vars } = countingVars();
    const d = decision(cluster(1), {
      responseHeaders: [{ remove: ["x-drop"], set: [["access-control-allow-origin", "*"], ["x-set", "1"]], add: [["x-keep", "2"]] }],
      corsHeaders: [["access-control-allow-origin", "https://a.com"]],
      setCookies: ["v=1; Path=/"],
    });
    const res = proxiedResponse(
      upstream({ connection: "x-conn", "x-conn": "c", "keep-alive": "timeout=5", "proxy-connection": "keep-alive", "x-drop": "d", "x-keep": "1", "set-cookie": "u=0" }, 503),
      d,
      vars,
      12.6,
    );
    expect(res.status).toBe(503);
    for (const gone of ["connection", "x-conn", "proxy-connection", "x-drop"]) expect(res.headers.has(gone), gone).toBe(false);
    // `keep-alive` stays on the object: workerd's HTTP layer never sends it to the client
    // (RUNTIME_DROPPED_RESPONSE; test/e2e/hop-by-hop-response.test.ts checks the wire).
    // Every other hop-by-hop name is gone from the object itself.
    expect([...res.headers.keys()].filter((n) => HOP_BY_HOP_NAMES.has(n) && !RUNTIME_DROPPED_RESPONSE.has(n))).toEqual([]);
    expect(res.headers.get("x-set")).toBe("1");
    expect(res.headers.get("x-keep")).toBe("1, 2");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://a.com");
    expect(res.headers.getSetCookie()).toEqual(["u=0", "v=1; Path=/"]);
    expect(res.headers.get("x-envoy-upstream-service-time")).toBe("13");
  });

  it("returns a response whose headers the pipeline may still stamp", () => {
    const { vars } = countingVars();
    const res = proxiedResponse(upstream({}), decision(cluster(1)), vars, 0);
    res.headers.set("server", "istio-envoy");
    expect(res.headers.get("server")).toBe("istio-envoy");
  });
});
