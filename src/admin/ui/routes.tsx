/** @jsxImportSource hono/jsx */
/**
 * Routes: the live table as the Worker matches it — per virtual host its routes in first-match
 * order, each with its match, action (a bar per weighted split), rewrite and policies. The words
 * come from src/table/describe.ts, the same descriptions `routes diff` prints.
 *
 * Source file:line is shown when the table carries it; tables read from KV do not (the CLI keeps
 * `source` out of the stored bytes so moving a rule in its file is not a new version), so each
 * rule is named the way Istio names it: VirtualService, http[i], match[j].
 */
import { routeRetries, type Route, type RouteTable, type VirtualHost, type WeightedDestination } from "../../table/types.ts";
import {
  describeAction,
  describeCors,
  describeDestination,
  describeFault,
  describeHeaders,
  describeMatch,
  describeMirrors,
  describeRetries,
  describeRewrite,
  describeTimeout,
} from "../../table/describe.ts";
import { Layout, UI, type Viewer } from "./layout.tsx";

function percent(part: number, total: number): string {
  const p = (part * 100) / total;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** One bar per weighted split: SVG attributes, not inline styles, so the CSP needs no 'unsafe-inline'. */
function SplitBar(props: { destinations: WeightedDestination[]; total: number; label: string }) {
  let x = 0;
  return (
    <figure>
      <svg class="split" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={props.label}>
        {props.destinations.map((d, i) => {
          const w = (d.weight * 100) / props.total;
          const rect = <rect class={`c${i % 6}`} x={x} y={0} width={w} height={10} />;
          x += w;
          return rect;
        })}
      </svg>
      <ul class="legend">
        {props.destinations.map((d, i) => (
          <li>
            <span class={`swatch c${i % 6}`} aria-hidden="true"></span>
            <code>{describeDestination(d)}</code> {percent(d.weight, props.total)}
          </li>
        ))}
      </ul>
    </figure>
  );
}

function Policies(props: { route: Route }) {
  const r = props.route;
  const rows: Array<[string, string]> = [];
  const add = (k: string, v: string) => {
    if (v !== "none") rows.push([k, v]);
  };
  add("rewrite", describeRewrite(r.rewrite));
  add("headers", describeHeaders(r.headers));
  add("timeout", describeTimeout(r.timeoutMs));
  rows.push(["retries", r.retries ? describeRetries(r.retries) : `${describeRetries(routeRetries(r))} (Istio default)`]);
  add("fault", describeFault(r.fault));
  add("mirrors", describeMirrors(r.mirrors));
  add("CORS", describeCors(r.corsPolicy));
  return (
    <dl class="kv">
      {rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

function RouteRow(props: { route: Route; position: number }) {
  const r = props.route;
  const a = r.action;
  return (
    <tr>
      <td>{props.position}</td>
      <td>
        <strong>{r.name}</strong>
        <br />
        <span class="muted">
          {r.virtualService} http[{r.ruleIndex}]{r.matchIndex === null ? "" : `.match[${r.matchIndex}]`}
        </span>
        {r.source ? (
          <>
            <br />
            <code>{r.source}</code>
          </>
        ) : null}
      </td>
      <td>{describeMatch(r.match)}</td>
      <td>
        {a.kind === "route" && a.destinations.length > 1 ? (
          <>
            {a.sticky ? <p>sticky split by cookie <code>{a.sticky.cookie}</code></p> : <p>weighted split</p>}
            <SplitBar destinations={a.destinations} total={a.totalWeight} label={`split of ${r.name}: ${a.destinations.map((d) => `${describeDestination(d)} ${percent(d.weight, a.totalWeight)}`).join(", ")}`} />
          </>
        ) : (
          describeAction(a)
        )}
      </td>
      <td>
        <Policies route={r} />
      </td>
    </tr>
  );
}

function HostSection(props: { vh: VirtualHost; id: string; showPort: boolean }) {
  const vh = props.vh;
  const headingId = `${props.id}-h`;
  return (
    <section class="host" data-host={vh.domain} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {vh.domain}
        {props.showPort ? <span class="muted"> port {vh.port}</span> : null}
        {vh.httpsRedirect ? <span class="badge"> https redirect</span> : null}
      </h2>
      <div class="body">
        <table>
          <caption class="muted">{vh.routes.length} route(s), first match wins</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Rule</th>
              <th scope="col">Match</th>
              <th scope="col">Action</th>
              <th scope="col">Policies</th>
            </tr>
          </thead>
          <tbody>
            {vh.routes.map((r, i) => (
              <RouteRow route={r} position={i + 1} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function RoutesPage(props: { viewer: Viewer; table: RouteTable | null; version: string | null; filter: string }) {
  const t = props.table;
  const q = props.filter.trim().toLowerCase();
  const all = t?.vhosts ?? [];
  const shown = q ? all.filter((vh) => vh.domain.toLowerCase().includes(q)) : all;
  const ports = new Map<string, number>();
  for (const vh of all) ports.set(vh.domain, (ports.get(vh.domain) ?? 0) + 1);
  return (
    <Layout title="Routes" page="routes" viewer={props.viewer}>
      {t ? (
        <>
          <p>
            Version <code title={props.version ?? ""}>{props.version?.slice(0, 12)}</code>: the table this isolate serves.
          </p>
          <form method="get" action={`${UI}/routes`} role="search" class="row">
            <div class="field">
              <label for="host-filter">Filter hosts</label>
              <input id="host-filter" name="host" type="search" value={props.filter} placeholder="e.g. example.com" />
            </div>
            <button type="submit" class="secondary">
              Filter
            </button>
          </form>
          <p id="host-count" class="muted" aria-live="polite">
            {shown.length} of {all.length} hosts
          </p>
          {shown.map((vh, i) => (
            <HostSection vh={vh} id={`host-${i}`} showPort={(ports.get(vh.domain) ?? 0) > 1} />
          ))}
          {shown.length === 0 ? <p>No host matches “{props.filter}”.</p> : null}
        </>
      ) : (
        <p class="bad">No route table loaded in this isolate.</p>
      )}
    </Layout>
  );
}
