/**
 * An origin on 127.0.0.1 that fails on demand, as a whole: `fail = true` makes every request
 * (including its health-check path) answer 503 until it is set back. Counts what it served.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SwitchOrigin {
  name: string;
  url: string;
  fail: boolean;
  /** Requests seen, by path. */
  hits: string[];
  close(): Promise<void>;
}

export async function startSwitchOrigin(name: string): Promise<SwitchOrigin> {
  const o = { name, url: "", fail: false, hits: [] as string[], close: async () => {} } as SwitchOrigin;
  const server: Server = createServer((req, res) => {
    o.hits.push(req.url ?? "/");
    const status = o.fail ? 503 : 200;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ server: name, ok: !o.fail }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  o.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  o.close = () => new Promise<void>((r) => server.close(() => r()));
  return o;
}
