/** @jsxImportSource hono/jsx */
/**
 * Explain: a request → the decision the live table makes for it, from decideCase + summarize +
 * explainRows, the code `routes route` runs. The form is GET, so an explanation is a link.
 */
import type { ExplainRow } from "../../cases/explain.ts";
import type { ExplainForm } from "../explain-input.ts";
import { ErrorBox, Layout, UI, type Viewer } from "./layout.tsx";

export type ExplainResult = { kind: "rows"; rows: ExplainRow[] } | { kind: "badRequest"; reason: string } | { kind: "error"; error: string };

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export function ExplainPage(props: { viewer: Viewer; form: ExplainForm; result: ExplainResult | null; version: string | null; pathNormalization: string }) {
  const f = props.form;
  const method = (f.method ?? "GET").toUpperCase();
  return (
    <Layout title="Explain a request" page="explain" viewer={props.viewer}>
      <p>
        The decision the live table (version <code>{props.version?.slice(0, 12) ?? "none"}</code>, path normalization {props.pathNormalization}) makes for a request: the same code as{" "}
        <code>npm run routes -- route</code>. Nothing is sent to any origin.
      </p>
      <form method="get" action={`${UI}/explain`}>
        <div class="row">
          <div class="field">
            <label for="ex-method">Method</label>
            <select id="ex-method" name="method">
              {METHODS.map((m) => (
                <option value={m} selected={m === method}>
                  {m}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ex-url">URL</label>
            <input id="ex-url" name="url" type="url" size={60} required value={f.url ?? ""} placeholder="https://shop.example.com/cart" />
          </div>
        </div>
        <div class="row">
          <div class="field">
            <label for="ex-headers">Headers</label>
            <textarea id="ex-headers" name="headers" rows={4} cols={40} aria-describedby="ex-headers-help">
              {f.headers ?? ""}
            </textarea>
            <span id="ex-headers-help" class="muted">
              one <code>name: value</code> per line
            </span>
          </div>
          <div class="field">
            <label for="ex-cookies">Cookies</label>
            <textarea id="ex-cookies" name="cookies" rows={4} cols={30} aria-describedby="ex-cookies-help">
              {f.cookies ?? ""}
            </textarea>
            <span id="ex-cookies-help" class="muted">
              <code>name=value</code>, one per line
            </span>
          </div>
        </div>
        <div class="row">
          <div class="field">
            <label for="ex-visitor">Visitor id (sticky splits)</label>
            <input id="ex-visitor" name="visitor" type="text" value={f.visitor ?? ""} />
          </div>
          <div class="field">
            <label for="ex-random">Random value [0, 1)</label>
            <input id="ex-random" name="random" type="text" inputmode="decimal" size={6} value={f.random ?? "0.5"} />
          </div>
          <button type="submit">Explain</button>
        </div>
      </form>
      {props.result ? (
        <section aria-labelledby="ex-result" aria-live="polite">
          <h2 id="ex-result">Decision</h2>
          {props.result.kind === "error" ? <ErrorBox>{props.result.error}</ErrorBox> : null}
          {props.result.kind === "badRequest" ? <p class="warn">400 bad request: {props.result.reason}</p> : null}
          {props.result.kind === "rows" ? (
            <table class="explain">
              <tbody>
                {props.result.rows.map(([k, v]) => (
                  <tr>
                    {k ? <th scope="row">{k}</th> : <td></td>}
                    <td class="mono">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      ) : null}
    </Layout>
  );
}
