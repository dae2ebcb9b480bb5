/** @jsxImportSource hono/jsx */
/**
 * Versions: the push history in KV (newest first, the active one marked), the diff between any
 * two (the lines `routes diff` prints, from src/table/diff.ts), and rollback behind a confirmation
 * page that shows what the rollback changes. Everything is a plain link or form.
 */
import type { ActivePointer, VersionEntry } from "../../store/keys.ts";
import { ErrorBox, Layout, UI, type Viewer } from "./layout.tsx";

const short = (v: string) => v.slice(0, 12);

export type DiffView = { from: string; to: string; lines: string[] } | { from: string; to: string; error: string };

/** `+`, `-`, `~` lines of formatDiff get a class (and keep their sign: colour is never the only cue). */
function DiffBlock(props: { lines: string[]; label: string }) {
  return (
    <pre class="diff" aria-label={props.label}>
      {props.lines.map((l) => {
        const t = l.trimStart();
        const cls = t.startsWith("+") ? "add" : t.startsWith("-") ? "del" : t.startsWith("~") ? "chg" : undefined;
        return (
          <>
            <span class={cls}>{l}</span>
            {"\n"}
          </>
        );
      })}
    </pre>
  );
}

function VersionSelect(props: { id: string; name: string; label: string; entries: VersionEntry[]; selected?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name}>
        {props.entries.map((e) => (
          <option value={e.version} selected={e.version === props.selected}>
            {short(e.version)} · {e.pushedAt}
          </option>
        ))}
      </select>
    </div>
  );
}

export function VersionsPage(props: {
  viewer: Viewer;
  history: VersionEntry[];
  active: ActivePointer | null;
  served: string | null;
  diff: DiffView | null;
  notice?: string;
  error?: string;
}) {
  const { history, active } = props;
  const activeVersion = active?.version ?? null;
  const defaultTo = props.diff?.to ?? activeVersion ?? history[0]?.version;
  const defaultFrom = props.diff?.from ?? history.find((e) => e.version !== defaultTo)?.version;
  return (
    <Layout title="Versions" page="versions" viewer={props.viewer}>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.error ? <ErrorBox>{props.error}</ErrorBox> : null}
      {history.length === 0 ? (
        <p>No versions in KV yet: push one with <code>npm run routes -- push</code>.</p>
      ) : (
        <>
          <table>
            <caption class="muted">Pushed versions in KV, newest first. The active version is what KV's pointer names; isolates switch within their refresh interval.</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Pushed</th>
                <th scope="col">Summary</th>
                <th scope="col">Sources</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {history.map((e) => {
                const isActive = e.version === activeVersion;
                return (
                  <tr class={isActive ? "active" : undefined}>
                    <td>
                      <code title={e.version}>{short(e.version)}</code>{" "}
                      {isActive ? <span class="badge active">active since {active!.activatedAt} ({active!.reason})</span> : null}
                      {e.version === props.served && !isActive ? <span class="badge">served by this isolate</span> : null}
                    </td>
                    <td>{e.pushedAt}</td>
                    <td>{e.summary}</td>
                    <td class="mono">{e.sources.join(", ")}</td>
                    <td>
                      {isActive ? (
                        <span class="muted">active</span>
                      ) : (
                        <a href={`${UI}/versions/rollback?to=${encodeURIComponent(e.version)}`} aria-label={`Roll back to ${short(e.version)}`}>
                          Roll back…
                        </a>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {activeVersion && !history.some((e) => e.version === activeVersion) ? (
            <p class="warn">
              The active version <code>{short(activeVersion)}</code> is not in the history.
            </p>
          ) : null}
          <h2 id="diff">Compare two versions</h2>
          <form method="get" action={`${UI}/versions`} class="row">
            <VersionSelect id="diff-from" name="from" label="From (before)" entries={history} selected={defaultFrom} />
            <VersionSelect id="diff-to" name="to" label="To (after)" entries={history} selected={defaultTo} />
            <button type="submit">Diff</button>
          </form>
          {props.diff ? (
            "error" in props.diff ? (
              <ErrorBox>{props.diff.error}</ErrorBox>
            ) : (
              <>
                <p>
                  <code>{short(props.diff.from)}</code> → <code>{short(props.diff.to)}</code> (as <code>npm run routes -- diff</code> prints it)
                </p>
                <DiffBlock lines={props.diff.lines} label={`changes from ${short(props.diff.from)} to ${short(props.diff.to)}`} />
              </>
            )
          ) : null}
        </>
      )}
    </Layout>
  );
}

export function RollbackConfirmPage(props: { viewer: Viewer; target: VersionEntry; active: ActivePointer | null; diff: DiffView; csrf: string | null }) {
  const t = props.target;
  return (
    <Layout title={`Roll back to ${short(t.version)}?`} page="versions" viewer={props.viewer}>
      <p>
        This makes <code title={t.version}>{short(t.version)}</code> (pushed {t.pushedAt}, {t.summary}) the active version
        {props.active ? (
          <>
            {" "}
            instead of <code title={props.active.version}>{short(props.active.version)}</code>
          </>
        ) : null}
        . Only the active-version pointer changes, as with <code>npm run routes -- rollback</code>; every isolate switches within its refresh interval.
      </p>
      <h2>What changes</h2>
      {"error" in props.diff ? <ErrorBox>{props.diff.error}</ErrorBox> : <DiffBlock lines={props.diff.lines} label="changes the rollback makes" />}
      <form method="post" action={`${UI}/versions/rollback`} class="row">
        <input type="hidden" name="to" value={t.version} />
        {props.csrf !== null ? <input type="hidden" name="_csrf" value={props.csrf} /> : null}
        <button type="submit" class="danger">
          Roll back to {short(t.version)}
        </button>
        <a href={`${UI}/versions`}>Cancel</a>
      </form>
    </Layout>
  );
}
