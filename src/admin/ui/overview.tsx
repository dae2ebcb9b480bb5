/** @jsxImportSource hono/jsx */
/**
 * Overview: what this isolate serves (version, since when, last refresh error), whether KV
 * answers right now and what its pointer names, and the size of the live table.
 */
import type { configReport } from "../report.ts";
import { ErrorBox, Layout, UI, type Viewer } from "./layout.tsx";

export type KvProbe =
  | { ok: true; ms: number; pointerVersion: string | null; pointerActivatedAt: string | null }
  | { ok: false; ms: number; error: string };

/** The parts of `GET /__gateway/state` (src/state/admin.ts stateReport) the overview shows. */
export interface StatePlaneReport {
  pointer: {
    object: { pointer: { version: string; activatedAt: string } | null } | { error: string };
    isolate: { objectReadAt: string | null; objectError: { at: string | null; detail: string } | null };
  };
  settings: { refreshSeconds: number; cacheSeconds: number };
}

const short = (v: string | null | undefined) => (v ? v.slice(0, 12) : "none");

function StateCard(props: { state: StatePlaneReport }) {
  const { object, isolate } = props.state.pointer;
  return (
    <section class="card" aria-labelledby="ov-state">
      <h2 id="ov-state">State plane</h2>
      {"error" in object ? (
        <p class="bad">pointer object not answering: {object.error}</p>
      ) : (
        <dl class="kv">
          <dt>status</dt>
          <dd class="ok">answering</dd>
          <dt>pointer</dt>
          <dd>
            <code title={object.pointer?.version ?? ""}>{short(object.pointer?.version)}</code>
            {object.pointer ? ` since ${object.pointer.activatedAt}` : " (not set: KV's pointer rules)"}
          </dd>
          <dt>read here</dt>
          <dd>{isolate.objectReadAt ?? "not yet"}</dd>
          <dt>re-read every</dt>
          <dd>{props.state.settings.refreshSeconds} s</dd>
        </dl>
      )}
      {isolate.objectError ? <p class="warn">
          last read failed at {isolate.objectError.at}: {isolate.objectError.detail}
        </p> : null}
    </section>
  );
}

export function OverviewPage(props: { viewer: Viewer; report: ReturnType<typeof configReport>; kv: KvProbe; state: StatePlaneReport | null; refreshSeconds: number }) {
  const r = props.report;
  const kv = props.kv;
  const pending = kv.ok && kv.pointerVersion !== null && kv.pointerVersion !== r.version;
  return (
    <Layout title="Overview" page="overview" viewer={props.viewer}>
      <div class="cards">
        <section class="card" aria-labelledby="ov-active">
          <h2 id="ov-active">Active version (this isolate)</h2>
          {r.version ? (
            <dl class="kv">
              <dt>version</dt>
              <dd>
                <code title={r.version}>{short(r.version)}</code>
              </dd>
              <dt>activated</dt>
              <dd>{r.activatedAt ?? "unknown"}</dd>
              <dt>loaded here</dt>
              <dd>{r.loadedAt}</dd>
              <dt>last check</dt>
              <dd>{r.lastCheckAt ?? "never"}</dd>
              <dt>re-check every</dt>
              <dd>{props.refreshSeconds === 0 ? "request" : `${props.refreshSeconds} s`}</dd>
            </dl>
          ) : (
            <p class="bad">No route table: this isolate answers 503 to every request. Push one with <code>npm run routes -- push</code>.</p>
          )}
        </section>
        <section class="card" aria-labelledby="ov-refresh">
          <h2 id="ov-refresh">Refresh</h2>
          {r.lastError ? (
            <>
              <p class="bad">Last check failed ({r.lastError.reason}) at {r.lastError.at}</p>
              <p class="mono">{r.lastError.detail}</p>
              {r.version ? <p>Still serving the last good table.</p> : null}
            </>
          ) : (
            <p class="ok">No refresh errors.</p>
          )}
        </section>
        <section class="card" aria-labelledby="ov-kv">
          <h2 id="ov-kv">Workers KV</h2>
          {kv.ok ? (
            <dl class="kv">
              <dt>status</dt>
              <dd class="ok">answering ({kv.ms} ms)</dd>
              <dt>pointer</dt>
              <dd>
                <code title={kv.pointerVersion ?? ""}>{short(kv.pointerVersion)}</code>
                {kv.pointerActivatedAt ? ` since ${kv.pointerActivatedAt}` : ""}
              </dd>
            </dl>
          ) : (
            <p class="bad">
              not answering ({kv.ms} ms): {kv.error}
            </p>
          )}
          {pending ? <p class="warn">KV names a newer version: this isolate switches at its next re-check.</p> : null}
        </section>
        {props.state ? <StateCard state={props.state} /> : null}
        {r.table ? (
          <section class="card" aria-labelledby="ov-table">
            <h2 id="ov-table">Route table</h2>
            <dl class="kv">
              <dt>hosts</dt>
              <dd>
                <a href={`${UI}/routes`}>{r.table.vhosts}</a>
              </dd>
              <dt>routes</dt>
              <dd>{r.table.routes}</dd>
              <dt>upstreams</dt>
              <dd>
                {r.table.clusters} ({r.table.endpoints} endpoints)
              </dd>
              <dt>warnings</dt>
              <dd>{r.table.warnings}</dd>
              <dt>format</dt>
              <dd>
                table v{r.table.tableVersion}, Istio {r.table.istio}
              </dd>
            </dl>
          </section>
        ) : null}
      </div>
      {r.version ? null : <ErrorBox>Nothing is being served. See Versions for what KV holds.</ErrorBox>}
    </Layout>
  );
}
