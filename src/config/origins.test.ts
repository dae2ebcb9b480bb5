import { describe, expect, it } from "vitest";
import { formatIssue, loadConfig, type Issue } from "./index.ts";
import { isOriginsFile, originsJsonSchema, serviceEntryLine } from "./origins.ts";
import { parseYamlFile } from "./yaml-doc.ts";

function load(text: string, extra = "") {
  const files = [{ path: "routes/origins.yaml", text }];
  if (extra) files.push({ path: "routes/app.yaml", text: extra });
  return loadConfig(files);
}
const errorsOf = (issues: Issue[]) => issues.filter((i) => i.severity === "error").map(formatIssue);

describe("origins file", () => {
  it("is recognised by its name", () => {
    expect(isOriginsFile("routes/origins.yaml")).toBe(true);
    expect(isOriginsFile("origins.yml")).toBe(true);
    expect(isOriginsFile("routes/shop.origins.yaml")).toBe(true);
    expect(isOriginsFile("routes/myorigins.yaml")).toBe(false);
    expect(isOriginsFile("routes/bookinfo.yaml")).toBe(false);
  });

  it("reads every form: a URL, a map with labels and weight, a list; keys with and without a port", () => {
    const { objects, issues } = load(`namespace: bookinfo
origins:
  productpage:9080: http://127.0.0.1:9080/
  reviews.bookinfo:9080:
    - { url: "http://127.0.0.1:9081", labels: { version: v1 } }
    - { url: "http://127.0.0.1:9082", labels: { version: v2 }, weight: 3 }
  ratings.bookinfo.svc.cluster.local: { url: "https://ratings.example.net:443" }
  api.example.com: https://api-origin.example.net
`);
    expect(issues).toEqual([]);
    const entries = objects.origins![0]!.value.entries;
    expect(entries).toEqual([
      { key: "productpage:9080", host: "productpage.bookinfo.svc.cluster.local", port: 9080, endpoints: [{ url: "http://127.0.0.1:9080", weight: 1 }] },
      {
        key: "reviews.bookinfo:9080",
        host: "reviews.bookinfo.svc.cluster.local",
        port: 9080,
        endpoints: [
          { url: "http://127.0.0.1:9081", weight: 1, labels: { version: v("v1") } },
          { url: "http://127.0.0.1:9082", weight: 3, labels: { version: v("v2") } },
        ],
      },
      { key: "ratings.bookinfo.svc.cluster.local", host: "ratings.bookinfo.svc.cluster.local", endpoints: [{ url: "https://ratings.example.net", weight: 1 }] },
      { key: "api.example.com", host: "api.example.com", endpoints: [{ url: "https://api-origin.example.net", weight: 1 }] },
    ]);
  });

  it("reports every bad key and URL at its line and column, and keeps nothing", () => {
    const { objects, issues } = load(`origins:
  reviews:9080: ftp://127.0.0.1
  "reviews:99999": http://a.example
  "bad host": http://a.example
  ratings: http://a.example/api?x=1
  details:
    - url: http://u:p@a.example
    - { url: http://a.example, colour: red }
  empty: []
`);
    expect(objects.origins).toEqual([]);
    expect(errorsOf(issues)).toEqual([
      'routes/origins.yaml:2:17: origins["reviews:9080"]: origin URL must use http or https, got "ftp"',
      'routes/origins.yaml:3:3: origins["reviews:99999"]: port must be 1-65535, got 99999',
      'routes/origins.yaml:4:3: origins["bad host"]: expected HOST or HOST:PORT (e.g. reviews, reviews.default:9080, reviews.default.svc.cluster.local:9080), got "bad host"',
      'routes/origins.yaml:5:12: origins.ratings: origin URL must be scheme://host[:port] only (the request\'s path is kept; use rewrite.uri to change it), got "http://a.example/api?x=1"',
      "routes/origins.yaml:7:12: origins.details[0].url: origin URL must not carry credentials (user:password@)",
      'routes/origins.yaml:8:32: origins.details[1].colour: unknown field "colour"; allowed fields: url, labels, weight',
      "routes/origins.yaml:9:3: origins.empty: expected at least one origin",
    ]);
  });

  it("rejects the same host and port twice, also when written differently", () => {
    const { issues } = load(`origins:
  reviews:9080: http://127.0.0.1:1
  reviews.default.svc.cluster.local:9080: http://127.0.0.1:2
  reviews: http://127.0.0.1:3
`);
    expect(errorsOf(issues)).toEqual([
      "routes/origins.yaml:3:3: origins[\"reviews.default.svc.cluster.local:9080\"]: reviews.default.svc.cluster.local:9080 already has origins (reviews:9080 at routes/origins.yaml:2:3)",
    ]);
  });

  it("reads NAME.NS keys against the namespaces of the config", () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: r, namespace: shop }
spec: { host: reviews }
`;
    const { objects } = load(`origins:\n  reviews.shop: http://127.0.0.1:1\n  example.com: https://b.example\n`, vs);
    expect(objects.origins![0]!.value.entries.map((e) => e.host)).toEqual(["reviews.shop.svc.cluster.local", "example.com"]);
  });

  it("reports YAML syntax errors located", () => {
    const { issues } = load("origins:\n  a: [\n");
    expect(issues[0]).toMatchObject({ severity: "error", file: "routes/origins.yaml", code: "yaml-syntax" });
  });

  it("has a JSON Schema for editors that accepts the URL, map and list forms", () => {
    const schema = originsJsonSchema() as { properties: { origins: { additionalProperties: { anyOf: unknown[] } } } };
    expect(schema.properties.origins.additionalProperties.anyOf).toHaveLength(3);
  });

  it("suggests a one-line ServiceEntry that is itself a valid config", () => {
    const line = serviceEntryLine("reviews.default.svc.cluster.local", 9080, "default");
    const { issues, objects } = loadConfig([{ path: "se.yaml", text: line }]);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(objects.serviceEntries[0]!.value.spec.hosts).toEqual(["reviews.default.svc.cluster.local"]);
    expect(parseYamlFile(line).docs).toHaveLength(1);
  });
});

function v(s: string): string {
  return s;
}
