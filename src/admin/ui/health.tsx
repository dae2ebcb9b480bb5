/** @jsxImportSource hono/jsx */
/**
 * Health: what the state plane's per-cluster objects know (src/state/admin.ts healthReport, the
 * `health` part of GET /__gateway/state): per endpoint whether it is ejected and until when, its
 * consecutive errors, how often it was ejected, and the last active health-check probe.
 */
import { ErrorBox, Layout, type Viewer } from "./layout.tsx";
import type { EndpointHealth } from "../../state/health-object.ts";

type ClusterHealth =
  | { cluster: string; outlierDetection: boolean; healthCheck: { path: string; intervalMs: number } | null; endpoints: EndpointHealth[]; at: string }
  | { cluster: string; error: string; endpoints: [] };

/** The `health` section of the state report. */
export interface HealthReport {
  clusters: ClusterHealth[];
  omitted: number;
  lastError: { at: string | null; detail?: string } | null;
}

/** What watches this upstream: passive outlier detection, an active health check, or both. */
function kinds(c: { outlierDetection: boolean; healthCheck: { path: string; intervalMs: number } | null }): string {
  const parts = [c.outlierDetection ? "outlier detection" : "", c.healthCheck ? `health check ${c.healthCheck.path} every ${c.healthCheck.intervalMs / 1000} s` : ""];
  return parts.filter(Boolean).join(" · ");
}

function status(e: EndpointHealth): [string, string] {
  if (e.ejected) return ["bad", `ejected${e.returnsAt ? ` until ${e.returnsAt}` : ""}`];
  if (e.healthy === false) return ["bad", "failing its health check"];
  return ["ok", "in service"];
}

export function HealthPage(props: { viewer: Viewer; health: HealthReport | null }) {
  const h = props.health;
  return (
    <Layout title="Endpoint health" page="health" viewer={props.viewer}>
      {!h ? (
        <p>
          No state plane: endpoint health is per isolate. Configure the <code>STATE</code> Durable Object binding (wrangler.toml) to share outlier detection and
          health checks across isolates and see them here.
        </p>
      ) : (
        <>
          {h.lastError ? <ErrorBox>Last report to the state plane failed at {h.lastError.at}: {h.lastError.detail}</ErrorBox> : null}
          {h.clusters.length === 0 ? <p>No upstream has outlierDetection or a health check.</p> : null}
          {h.clusters.map((c) => (
            <section class="host" aria-labelledby={`cl-${c.cluster}`}>
              <h2 id={`cl-${c.cluster}`}>
                <code>{c.cluster}</code>
              </h2>
              <div class="body">
                {"error" in c ? (
                  <ErrorBox>state object not answering: {c.error}</ErrorBox>
                ) : c.endpoints.length === 0 ? (
                  <p class="muted">
                    {kinds(c)}: no isolate has reported a request to this upstream yet (as of {c.at}).
                  </p>
                ) : (
                  <table>
                    <caption class="muted">
                      {kinds(c)} · as of {c.at}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">Endpoint</th>
                        <th scope="col">Status</th>
                        <th scope="col">Consecutive 5xx</th>
                        <th scope="col">Consecutive gateway errors</th>
                        <th scope="col">Ejections</th>
                        <th scope="col">Last probe</th>
                      </tr>
                    </thead>
                    <tbody>
                      {c.endpoints.map((e) => {
                        const [cls, text] = status(e);
                        return (
                          <tr>
                            <td class="mono">{e.url}</td>
                            <td class={cls}>{text}</td>
                            <td>{e.consecutive5xx}</td>
                            <td>{e.consecutiveGatewayErrors}</td>
                            <td>{e.ejections}</td>
                            <td>
                              {e.lastProbe
                                ? `${e.lastProbe.ok ? "pass" : "fail"}${e.lastProbe.status !== undefined ? ` ${e.lastProbe.status}` : ""}${e.lastProbe.detail ? ` (${e.lastProbe.detail})` : ""} at ${e.lastProbe.at}`
                                : "—"}
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                )}
              </div>
            </section>
          ))}
          {h.omitted > 0 ? <p class="muted">{h.omitted} more upstreams not shown.</p> : null}
        </>
      )}
    </Layout>
  );
}
