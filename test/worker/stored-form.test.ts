/**
 * The Worker reads the exact bytes the CLI stores (canonicalJson: sorted keys, interned route
 * actions) and serves every route with its own action; a pool index out of range is a bad table
 * that never replaces the last good one.
 */
import { describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { canonicalJson } from "../../src/table/codec.ts";
import { pushTable, versioned } from "../fixtures/pushed.ts";
import { compiledTable, gatewayYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

async function served(path: string, want: string, tries = 40): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const res = await exports.default.fetch(`http://a.example${path}`);
    if ((await res.text()) === want) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never answered ${want}`);
}

describe("stored table form", () => {
  it("serves a table pushed in the CLI's interned form, then keeps it over a broken pool", async () => {
    // /a and /b answer the same direct response (one pool entry), /c its own.
    const t = versioned(
      "interned-1",
      await compiledTable(
        yamlFile(
          gatewayYaml(),
          virtualServiceYaml(`
            - { name: a, match: [{ uri: { exact: /a } }], directResponse: { status: 200, body: { string: shared } } }
            - { name: b, match: [{ uri: { exact: /b } }], directResponse: { status: 200, body: { string: shared } } }
            - { name: c, match: [{ uri: { exact: /c } }], directResponse: { status: 200, body: { string: own } } }`),
        ),
      ),
    );
    const raw = canonicalJson(t);
    expect((JSON.parse(raw) as { actionPool: unknown[] }).actionPool).toHaveLength(2);
    await pushTable(env.ROUTES, { hash: t.hash, raw });
    await served("/c", "own");
    await served("/a", "shared");
    await served("/b", "shared");

    const broken = raw.replace(/"action":1/, '"action":7').replace('"hash":"interned-1"', '"hash":"interned-broken"');
    await pushTable(env.ROUTES, { hash: "interned-broken", raw: broken });
    for (let i = 0; i < 5; i++) {
      const res = await exports.default.fetch("http://a.example/c");
      expect(res.headers.get("x-gateway-config-version")).toBe("interned-1");
      expect(await res.text()).toBe("own");
    }
    const admin = await exports.default.fetch("http://a.example/__gateway/config", { headers: { authorization: "Bearer test-admin-token" } });
    const report = (await admin.json()) as { lastError: { reason: string; detail?: string; message?: string } | null };
    expect(JSON.stringify(report.lastError)).toMatch(/route action 7 is not in actionPool/);
  });
});
