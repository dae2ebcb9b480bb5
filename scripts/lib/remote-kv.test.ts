import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { RemoteKv, formatCommand, shellQuote } from "./remote-kv.ts";
import type { CommandResult } from "./remote-kv.ts";

function fakeRunner(reply: (argv: string[]) => Partial<CommandResult>) {
  const calls: string[][] = [];
  const run = async (argv: string[]): Promise<CommandResult> => {
    calls.push(argv);
    return { code: 0, stdout: Buffer.from(""), stderr: "", ...reply(argv) };
  };
  return { calls, run };
}

describe("RemoteKv (wrangler CLI)", () => {
  it("runs wrangler kv key commands against the namespace id, always with --remote", async () => {
    const fake = fakeRunner((argv) => (argv[4] === "get" ? { stdout: Buffer.from('{"version":"abc"}') } : {}));
    const kv = new RemoteKv({ namespaceId: "ns1", command: ["npx", "wrangler"], run: fake.run });
    expect(await kv.get("routes/active")).toBe('{"version":"abc"}');
    await kv.put("routes/versions/abc", '{"x":1}');
    await kv.delete("routes/versions/old");
    const staged = kv.staged!;
    expect(fake.calls).toEqual([
      ["npx", "wrangler", "kv", "key", "get", "routes/active", "--namespace-id", "ns1", "--remote"],
      ["npx", "wrangler", "kv", "key", "put", "routes/versions/abc", "--namespace-id", "ns1", "--remote", "--path", `${staged}/routes__versions__abc.json`],
      ["npx", "wrangler", "kv", "key", "delete", "routes/versions/old", "--namespace-id", "ns1", "--remote"],
    ]);
    await kv.close();
    expect(existsSync(staged)).toBe(false);
  });

  it("reads a missing key as null (remote 404, or the local 'Value not found' line)", async () => {
    const remote = new RemoteKv({
      namespaceId: "n",
      run: fakeRunner(() => ({ code: 1, stderr: "✘ [ERROR] Failed to fetch https://api/values/routes%2Factive - 404: Not Found" })).run,
    });
    expect(await remote.get("routes/active")).toBeNull();
    const local = new RemoteKv({ namespaceId: "n", run: fakeRunner(() => ({ stdout: Buffer.from("Value not found\n") })).run });
    expect(await local.get("routes/active")).toBeNull();
  });

  it("fails loudly on any other wrangler error", async () => {
    const kv = new RemoteKv({ namespaceId: "n", command: ["wrangler"], run: fakeRunner(() => ({ code: 1, stderr: "Not logged in" })).run });
    await expect(kv.get("routes/active")).rejects.toThrow("wrangler kv key get routes/active --namespace-id n --remote failed (exit 1): Not logged in");
    await expect(kv.put("k", "v")).rejects.toThrow(/failed \(exit 1\)/);
  });

  it("describes a put as the exact command line, staging the value but executing nothing", async () => {
    const fake = fakeRunner(() => ({}));
    const kv = new RemoteKv({ namespaceId: "ns1", command: ["npx", "wrangler"], run: fake.run, keepStaged: true });
    const line = await kv.describePut("routes/active", '{"version":"abc"}');
    expect(line).toBe(`npx wrangler kv key put routes/active --namespace-id ns1 --remote --path ${kv.staged}/routes__active.json`);
    expect(readFileSync(`${kv.staged}/routes__active.json`, "utf8")).toBe('{"version":"abc"}');
    expect(kv.describeDelete("routes/versions/x")).toBe("npx wrangler kv key delete routes/versions/x --namespace-id ns1 --remote");
    expect(fake.calls).toEqual([]);
    await kv.close();
    expect(existsSync(kv.staged!)).toBe(true);
  });

  it("passes the wrangler configuration on when one was named", () => {
    const kv = new RemoteKv({ namespaceId: "n", command: ["wrangler"], configPath: "deploy/wrangler.toml" });
    expect(kv.describeDelete("k")).toBe("wrangler kv key delete k --namespace-id n --remote --config deploy/wrangler.toml");
  });

  it("quotes arguments a shell would split", () => {
    expect(shellQuote("routes/versions/ab")).toBe("routes/versions/ab");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(formatCommand(["echo", "x y"])).toBe("echo 'x y'");
  });
});
