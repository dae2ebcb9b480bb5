/**
 * Rough measurement (not a test, no thresholds): decide() on a 1,000-route vhost matching the
 * LAST route vs the naive in-order reference, plus prepare() time for 10,000 routes.
 * Run: npx node --experimental-strip-types --no-warnings test/reference/measure-decide.ts
 */
import type { Route, StringMatch } from "../../src/table/types.ts";
import { decide } from "../../src/decide.ts";
import { prepare } from "../../src/prepare.ts";
import { candidateLists, firstAccepted } from "../../src/match/route-index.ts";
import { MatchInput, matchesRoute } from "../../src/match/route-match.ts";
import { naiveDecide, naiveMatch } from "./naive-decide.ts";
import { req, route, table, to } from "../fixtures/table.ts";

function routes(n: number): Route[] {
  const out: Route[] = [];
  for (let i = 0; i < n; i++) {
    let uri: StringMatch;
    switch (i % 4) {
      case 0: uri = { prefix: `/svc${i}/` }; break;
      case 1: uri = { exact: `/page/${i}` }; break;
      case 2: uri = { regex: `/item/${i}/\\d+`, js: `^(?:/item/${i}/\\d+)$`, flags: "u" }; break;
      default: uri = { prefix: `/api/v${i}/` };
    }
    const headers: Array<[string, StringMatch]> | undefined = i % 10 === 3 ? [["x-tenant", { exact: `t${i}` }]] : undefined;
    out.push(route({ match: { uri, ...(headers ? { headers } : {}) }, action: to("s1") }));
  }
  return out;
}

function bench(name: string, fn: () => unknown, minMs = 400): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    elapsed = performance.now() - start;
  }
  const ns = (elapsed * 1e6) / n;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(8)} ns/op  (${n} ops)`);
  return ns;
}

// Cold first: a Worker isolate prepares a table exactly once, with nothing JIT-compiled yet.
const big = table([{ domain: "a.com", routes: routes(10_000) }]);
const c0 = performance.now();
prepare(big);
console.log(`prepare() 10,000 routes, cold (first call in the process): ${(performance.now() - c0).toFixed(1)} ms`);

const t = table([{ domain: "a.com", routes: routes(1000) }]);
const p = prepare(t);
const lastRoute = t.vhosts[0]!.routes[999]!;
const url = "http://a.com/api/v999/x?y=1";
const facts = req(url);
const opts = { rand: () => 0.5, now: 0 };

const d = decide(p, facts, opts);
const nd = naiveDecide(p, facts, opts);
if (d.kind !== "forward" || nd.kind !== "forward" || d.match.route !== lastRoute || nd.match.route !== lastRoute) throw new Error("fixture does not hit the last route");

let evaluated = 0;
const input = new MatchInput(facts);
firstAccepted(candidateLists(p.vhosts[0]!.index, input), (i) => (evaluated++, matchesRoute(p.vhosts[0]!.routes[i]!.match, input)));
console.log(`matcher evaluations to reach route #999: indexed ${evaluated}, naive ${naiveMatch(t, facts).route + 1}`);

const a = bench("decide() indexed, last of 1000 routes", () => decide(p, facts, opts));
const b = bench("naiveDecide() in-order scan, last of 1000", () => naiveDecide(p, facts, opts));
console.log(`speed-up: ${(b / a).toFixed(1)}×`);
const first = req("http://a.com/svc0/x");
const none = req("http://a.com/nothing/here");
bench("decide() indexed, first route", () => decide(p, first, opts));
bench("naiveDecide(), first route", () => naiveDecide(p, first, opts));
bench("decide() indexed, no route (404)", () => decide(p, none, opts));
bench("naiveDecide(), no route (404)", () => naiveDecide(p, none, opts));
bench("factsFromParts via req() (per-request facts)", () => req(url));

const t0 = performance.now();
for (let i = 0; i < 5; i++) prepare(big);
console.log(`prepare() 10,000 routes, warm: ${((performance.now() - t0) / 5).toFixed(1)} ms`);

const manyHosts = table(Array.from({ length: 10_000 }, (_, i) => ({ domain: `h${i}.example.com`, routes: [route({ action: to("s1") })] })));
const pm = prepare(manyHosts);
const hostFacts = req("http://h9999.example.com/");
bench("decide() with 10,000 vhosts (exact host)", () => decide(pm, hostFacts, opts));
