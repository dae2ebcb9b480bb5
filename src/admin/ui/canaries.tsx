/** @jsxImportSource hono/jsx */
/**
 * Canaries (issue #14): the rollouts of the active table as GET /__gateway/rollouts reports them
 * (src/state/rollout-admin.ts, the same call `routes rollout status` makes): per rollout its
 * phase, step and the weights the Worker serves, the interval history (each variant's metrics,
 * the decision and its reason), and promote / pause / resume / abort behind a confirmation page
 * that says what the action does. The words come from src/rollout/describe.ts, as the CLI's do.
 */
import { actionsFor, entryKind, fmtAnalysis, fmtFailures, fmtP99, fmtRate, fmtState, fmtStep, fmtSteps, fmtTime, isInterval, lastEntry } from "../../rollout/describe.ts";
import { ROLLOUTS_PAGE_DEFAULT, type RolloutAction, type RolloutList, type RolloutStatus } from "../../rollout/status.ts";
import { ErrorBox, Layout, UI, type Viewer } from "./layout.tsx";

export const CANARIES = `${UI}/canaries`;

export const rolloutHref = (name: string) => `${CANARIES}/rollout?name=${encodeURIComponent(name)}`;
export const confirmHref = (name: string, action: RolloutAction) => `${CANARIES}/confirm?name=${encodeURIComponent(name)}&action=${action}`;

/** What the badge does not say already: the step while it runs or is paused, or why the state is not the object's. */
function stateDetail(s: RolloutStatus): string {
  if (s.source === "unreachable") return "(object unreachable)";
  if (s.source === "initial") return "";
  const step = fmtStep(s.spec, { ...s.state, phase: "progressing" });
  return s.state.phase === "progressing" ? step : s.state.phase === "paused" ? `at ${step}` : "";
}

function PhaseBadge(props: { s: RolloutStatus }) {
  const { s } = props;
  const phase = s.source === "object" ? s.state.phase : s.source === "initial" ? "not started" : "unknown";
  const cls = phase === "aborted" || phase === "unknown" ? "badge bad" : phase === "promoted" ? "badge active" : "badge";
  return <span class={cls}>{phase}</span>;
}

/** Primary and canary as one bar (SVG attributes, no inline style: the CSP allows none). */
function WeightBar(props: { s: RolloutStatus }) {
  const { primary, canary } = props.s.weights;
  return (
    <figure>
      <svg class="split" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`weights of ${props.s.name}: primary ${primary}%, canary ${canary}%`}>
        <rect class="c0" x={0} y={0} width={primary} height={10} />
        <rect class="c1" x={primary} y={0} width={canary} height={10} />
      </svg>
      <ul class="legend">
        <li>
          <span class="swatch c0" aria-hidden="true"></span>primary <code>{props.s.primary}</code> {primary}%
        </li>
        <li>
          <span class="swatch c1" aria-hidden="true"></span>canary <code>{props.s.canary}</code> {canary}%
        </li>
      </ul>
    </figure>
  );
}

function Notices(props: { notice?: string; error?: string }) {
  return (
    <>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.error ? <ErrorBox>{props.error}</ErrorBox> : null}
    </>
  );
}

function NoStatePlane() {
  return (
    <p class="warn" id="no-state-plane">
      No state plane (the <code>STATE</code> Durable Object binding is not configured): rollouts do not run, the Worker serves the pushed weights, and the
      actions are unavailable.
    </p>
  );
}

/** Where the list is one page of several: which Canaries this page shows, and links to the others. */
function Pager(props: { list: RolloutList; offset: number }) {
  const { list, offset } = props;
  if (offset === 0 && list.next === undefined) return null;
  const shown = list.rollouts.length;
  const previous = Math.max(0, offset - ROLLOUTS_PAGE_DEFAULT);
  return (
    <p class="muted" id="rollouts-pager">
      {shown > 0 ? `Canaries ${offset + 1}–${offset + shown} of ${list.total}.` : `No Canaries from ${offset + 1} on (${list.total} in all).`}{" "}
      {offset > 0 ? <a href={previous === 0 ? CANARIES : `${CANARIES}?offset=${previous}`}>← Previous</a> : null}{" "}
      {list.next !== undefined ? <a href={`${CANARIES}?offset=${list.next}`}>Next →</a> : null}
    </p>
  );
}

export function CanariesPage(props: { viewer: Viewer; list: RolloutList; offset: number; statePlane: boolean; notice?: string; error?: string }) {
  const rollouts = props.list.rollouts;
  return (
    <Layout title="Canaries" page="canaries" viewer={props.viewer}>
      <Notices notice={props.notice} error={props.error} />
      {props.statePlane ? null : <NoStatePlane />}
      {rollouts.length === 0 && props.list.total === 0 ? (
        <p>
          The active route table has no Canary. Put a <code>Canary</code> document beside the VirtualService it drives and push it (<code>docs/canary.md</code>).
        </p>
      ) : (
        <table class="rollouts">
          <caption class="muted">Every Canary of the active table, with the weights the Worker serves now (as <code>npm run routes -- rollout status</code> prints them).</caption>
          <thead>
            <tr>
              <th scope="col">Rollout</th>
              <th scope="col">State</th>
              <th scope="col">Weights</th>
              <th scope="col">Last decision</th>
            </tr>
          </thead>
          <tbody>
            {rollouts.map((s) => {
              const last = s.source === "object" ? lastEntry(s.state) : undefined;
              return (
                <tr data-rollout={s.name}>
                  <td>
                    <a href={rolloutHref(s.name)}>{s.name}</a>
                    <div class="muted">
                      {s.virtualService} · rule {s.rule}
                    </div>
                  </td>
                  <td>
                    <PhaseBadge s={s} /> {stateDetail(s)}
                  </td>
                  <td>
                    <WeightBar s={s} />
                  </td>
                  <td>{s.source === "unreachable" ? (s.error ?? "") : last ? `${entryKind(last)} at ${fmtTime(last.at)}: ${last.reason}` : "none yet"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager list={props.list} offset={props.offset} />
    </Layout>
  );
}

const ACTION_LABEL: Record<RolloutAction, string> = { promote: "Promote", pause: "Pause", resume: "Resume", abort: "Abort" };

/** What an action does, said before it is done (the confirmation page) — judge.act's effect. */
export function actionEffect(s: RolloutStatus, action: RolloutAction): string {
  switch (action) {
    case "promote":
      return `The canary gets 100% of the traffic now and the analysis ends: every visitor goes to ${s.canary}.`;
    case "abort":
      return `The canary gets 0% now: every visitor returns to the primary ${s.primary} (and keeps its visitor id). The analysis ends.`;
    case "pause":
      return `The weights stay at primary ${s.weights.primary}%, canary ${s.weights.canary}%, and intervals are not judged until you resume.`;
    case "resume":
      return `The analysis judges again from ${fmtStep(s.spec, s.state).replace(/^paused at /, "")}, every interval.`;
  }
}

export function RolloutPage(props: { viewer: Viewer; rollout: RolloutStatus; statePlane: boolean; notice?: string; error?: string }) {
  const s = props.rollout;
  const last = s.source === "object" ? lastEntry(s.state) : undefined;
  // An unreachable object cannot be acted on; without a state plane nothing runs.
  const actions = props.statePlane && s.source !== "unreachable" ? actionsFor(s.state.phase) : [];
  const history = s.source === "object" ? [...s.state.history].reverse() : [];
  return (
    <Layout title={`Canary ${s.name}`} page="canaries" viewer={props.viewer}>
      <p>
        <a href={CANARIES}>← All canaries</a>
      </p>
      <Notices notice={props.notice} error={props.error} />
      {props.statePlane ? null : <NoStatePlane />}
      {s.source === "unreachable" ? <ErrorBox>The rollout's object did not answer ({s.error ?? "no reason given"}); the Worker serves the weights it last knew.</ErrorBox> : null}
      <dl class="kv rollout">
        <dt>State</dt>
        <dd>
          <PhaseBadge s={s} /> {stateDetail(s)}
        </dd>
        <dt>Drives</dt>
        <dd>
          VirtualService <code>{s.virtualService}</code>, rule <code>{s.rule}</code>
        </dd>
        <dt>Weights</dt>
        <dd>
          <WeightBar s={s} />
          {s.pushedWeights.canary !== s.weights.canary ? (
            <span class="muted">
              pushed: primary {s.pushedWeights.primary}%, canary {s.pushedWeights.canary}%
            </span>
          ) : null}
        </dd>
        <dt>Steps</dt>
        <dd>{fmtSteps(s.spec)}</dd>
        <dt>Analysis</dt>
        <dd>{fmtAnalysis(s.spec)}</dd>
        <dt>Failures</dt>
        <dd>{fmtFailures(s.failures)} count as failed requests</dd>
        <dt>Failed checks</dt>
        <dd>
          {s.state.failedChecks} of {s.spec.threshold}
        </dd>
        <dt>Last decision</dt>
        <dd id="last-decision">{last ? `${entryKind(last)} at ${fmtTime(last.at)}: ${last.reason}` : s.source === "unreachable" ? "unknown (the object did not answer)" : "none yet"}</dd>
      </dl>
      {actions.length ? (
        <>
          <h2>Actions</h2>
          <ul class="actions row">
            {actions.map((a) => (
              <li>
                <a href={confirmHref(s.name, a)} aria-label={`${ACTION_LABEL[a]} ${s.name}…`}>
                  {ACTION_LABEL[a]}…
                </a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2 id="history">History</h2>
      {history.length === 0 ? (
        <p class="muted">Nothing yet: the first interval is judged {s.source === "initial" ? "once the rollout starts" : "at the end of the current interval"}.</p>
      ) : (
        <table class="history">
          <caption class="muted">Every interval's metrics per variant, the decision and why; operator actions too. Newest first.</caption>
          <thead>
            <tr>
              <th scope="col" rowspan={2}>
                Time (UTC)
              </th>
              <th scope="col" rowspan={2}>
                Decision
              </th>
              <th scope="col" rowspan={2}>
                Canary weight
              </th>
              <th scope="colgroup" colspan={4}>
                Primary
              </th>
              <th scope="colgroup" colspan={4}>
                Canary
              </th>
              <th scope="col" rowspan={2}>
                Reason
              </th>
            </tr>
            <tr>
              <th scope="col">requests</th>
              <th scope="col">failed</th>
              <th scope="col">success</th>
              <th scope="col">p99</th>
              <th scope="col">requests</th>
              <th scope="col">failed</th>
              <th scope="col">success</th>
              <th scope="col">p99</th>
            </tr>
          </thead>
          <tbody>
            {history.map((e) => {
              const kind = entryKind(e);
              return (
                <tr class={kind === "abort" || kind === "hold" ? "bad-row" : undefined} data-kind={kind}>
                  <td class="mono">{fmtTime(e.at)}</td>
                  <td>{kind}</td>
                  <td>{e.canaryWeight}%</td>
                  {isInterval(e) ? (
                    <>
                      <td>{e.primary.requests}</td>
                      <td>{e.primary.failures}</td>
                      <td>{fmtRate(e.primary)}</td>
                      <td>{fmtP99(e.primary)}</td>
                      <td>{e.canary.requests}</td>
                      <td>{e.canary.failures}</td>
                      <td>{fmtRate(e.canary)}</td>
                      <td>{fmtP99(e.canary)}</td>
                    </>
                  ) : (
                    <td colspan={8} class="muted">
                      {e.event === "start" || e.event === "restart" ? "rollout event" : "operator action"}
                    </td>
                  )}
                  <td>{e.reason}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function RolloutConfirmPage(props: { viewer: Viewer; rollout: RolloutStatus; action: RolloutAction; csrf: string | null }) {
  const { rollout: s, action } = props;
  const label = `${ACTION_LABEL[action]} ${s.name}`;
  return (
    <Layout title={`${label}?`} page="canaries" viewer={props.viewer}>
      <p>
        <strong>{fmtState(s)}</strong>, primary {s.weights.primary}%, canary {s.weights.canary}%.
      </p>
      <p id="effect">{actionEffect(s, action)}</p>
      <p class="muted">
        The same as <code>npm run routes -- rollout {action} {s.name}</code>: this location serves the new weight at once, every other within its state refresh.
      </p>
      <form method="post" action={`${CANARIES}/act`} class="row">
        <input type="hidden" name="name" value={s.name} />
        <input type="hidden" name="action" value={action} />
        {props.csrf !== null ? <input type="hidden" name="_csrf" value={props.csrf} /> : null}
        <button type="submit" class={action === "abort" || action === "promote" ? "danger" : undefined}>
          {label}
        </button>
        <a href={rolloutHref(s.name)}>Cancel</a>
      </form>
    </Layout>
  );
}
