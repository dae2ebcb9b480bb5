import { describe, it, expect } from "vitest";
import { localEndpoints, moveEndpoints } from "./demo-overlay.ts";
import { cluster, route, table, vhost } from "../../test/fixtures/store.ts";

const t = table([vhost("a.example.com", [route("r")])], {
  "reviews.bookinfo.internal|v1|": { ...cluster("reviews.bookinfo.internal", "v1", []), endpoints: [{ url: "http://127.0.0.1:9081", weight: 1, labels: { version: "v1" } }] },
  "reviews.bookinfo.internal|v2|": { ...cluster("reviews.bookinfo.internal", "v2", []), endpoints: [{ url: "http://127.0.0.1:9082", weight: 1, labels: { version: "v2" } }] },
  "reviews.bookinfo.internal||": {
    ...cluster("reviews.bookinfo.internal", undefined, []),
    endpoints: [
      { url: "http://127.0.0.1:9081", weight: 1, labels: { version: "v1" } },
      { url: "http://127.0.0.1:9082", weight: 1, labels: { version: "v2" } },
    ],
  },
  "api.example.net||": cluster("api.example.net", undefined, ["https://api.example.net", "http://localhost:9100"]),
});

describe("npm start demo overlay", () => {
  it("finds each local http endpoint once, named after its host and labels", () => {
    expect(localEndpoints(t)).toEqual([
      { url: "http://127.0.0.1:9081", port: 9081, name: "reviews v1" },
      { url: "http://127.0.0.1:9082", port: 9082, name: "reviews v2" },
      { url: "http://localhost:9100", port: 9100, name: "api" },
    ]);
  });

  it("moves an endpoint in every cluster that uses it and leaves the original table alone", () => {
    const moved = moveEndpoints(t, new Map([["http://127.0.0.1:9082", "http://127.0.0.1:40001"]]));
    expect(moved.clusters["reviews.bookinfo.internal|v2|"]!.endpoints[0]!.url).toBe("http://127.0.0.1:40001");
    expect(moved.clusters["reviews.bookinfo.internal||"]!.endpoints.map((e) => e.url)).toEqual(["http://127.0.0.1:9081", "http://127.0.0.1:40001"]);
    expect(t.clusters["reviews.bookinfo.internal|v2|"]!.endpoints[0]!.url).toBe("http://127.0.0.1:9082");
  });
});
