import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import type { PlanJson } from "../../controller/plan/index.js";
import { renderPlanSummary } from "./plan-view.js";
import { renderTable } from "./table.js";

/**
 * True once the rollout has ended: succeeded, rolled back, aborted, or failed with its
 * rollback (if any) no longer converging hosts.
 */
export function rolloutEnded(s: Pick<RolloutStatusJson, "state" | "rollingBack">): boolean {
  return (
    s.state === "succeeded" ||
    s.state === "rolledback" ||
    s.state === "aborted" ||
    (s.state === "failed" && !s.rollingBack)
  );
}

/** The state as people read it: "failed, rolling back" while a rollback converges hosts. */
export function rolloutStateLabel(s: Pick<RolloutStatusJson, "state" | "rollingBack">): string {
  return s.rollingBack ? "failed, rolling back" : s.state;
}

/**
 * The human `rollout status` view of a status document: a headline (policy, revisions,
 * state, reason), one row per stage (state, timing, hosts) and the hosts that failed.
 * `now` (ms) measures stages still in progress.
 */
export function renderRolloutStatus(s: RolloutStatusJson, now: number): string {
  const out: string[] = [];
  out.push(
    `Rollout of ${s.policy}: ${short(s.previousRevision ?? "(none)")} → ${short(s.revision)}  ${rolloutStateLabel(s).toUpperCase()}\n`,
  );
  if (s.reason) out.push(`Reason: ${s.reason}\n`);
  const when = lifetime(s, now);
  if (when) out.push(`${when}\n`);
  const byName = new Map(s.hosts.map((h) => [h.name, h]));
  // A stage left in progress by a rollout that ended (stored before stages were closed on abort) stops at its end.
  const until = s.finishedAt ? Date.parse(s.finishedAt) : now;
  const rows = s.stages.map((st) => [
    st.index,
    st.kind,
    st.state,
    st.startedAt ? clock(st.startedAt) : "",
    timing(st, until),
    st.kind === "plan" ? "(fleet dry-run)" : st.hosts.map((h) => `${h}${mark(byName.get(h)?.phase)}`).join(" "),
  ]);
  out.push(renderTable(["STAGE", "KIND", "STATE", "STARTED", "TOOK", "HOSTS"], rows));
  const plan = recordedPlan(s);
  if (plan) out.push(`Plan: ${renderPlanSummary(plan)}\n`);
  const done = s.hosts.filter((h) => h.stage >= 0 && (h.phase === "converged" || h.phase === "rolledback")).length;
  const total = s.hosts.filter((h) => h.stage >= 0).length;
  const late =
    s.lateHosts.length > 0 ? `, ${s.lateHosts.length} enrolled during the rollout (${s.lateHosts.join(", ")})` : "";
  if (total === 0) out.push(`Hosts: none targeted when the rollout started${late}\n`);
  else out.push(`Hosts: ${done}/${total} done, ${s.failedHosts.length} failed${late}\n`);
  for (const name of s.failedHosts) out.push(`  ✗ ${name}: ${byName.get(name)?.reason ?? "failed"}\n`);
  if (total > 0)
    out.push("Marks: ✓ converged  ✗ failed  … waiting  ⌁ offline  − skipped  ↺ rolling back  ↩ rolled back\n");
  const next = nextSteps(s);
  if (next) out.push(`Next: ${next}\n`);
  return out.join("");
}

/** Stage 0's recorded fleet dry-run (a `plan --json` document), when the status carries one. */
function recordedPlan(s: RolloutStatusJson): PlanJson | undefined {
  const plan = (s as { plan?: unknown }).plan;
  if (typeof plan !== "object" || plan === null) return undefined;
  const summary = (plan as { summary?: unknown }).summary;
  if (typeof summary !== "object" || summary === null) return undefined;
  const keys = [
    "hostsPlanned",
    "hostsChanging",
    "hostsUnanswered",
    "create",
    "change",
    "remove",
    "guestsRestart",
    "guestsRecreate",
    "failed",
  ];
  return keys.every((k) => typeof (summary as Record<string, unknown>)[k] === "number")
    ? (plan as PlanJson)
    : undefined;
}

/** When the rollout started and how long it ran (or has been running). */
function lifetime(s: RolloutStatusJson, now: number): string {
  if (!s.startedAt)
    return s.state === "pending" || s.state === "paused" ? `Created ${stamp(s.createdAt)}, not started yet` : "";
  const start = Date.parse(s.startedAt);
  if (s.finishedAt)
    return `Started ${stamp(s.startedAt)}, ended ${stamp(s.finishedAt)} after ${seconds(Date.parse(s.finishedAt) - start)}`;
  return `Started ${stamp(s.startedAt)}, ${seconds(Math.max(0, now - start))} ago`;
}

/** The operator commands that apply in this state. */
function nextSteps(s: RolloutStatusJson): string {
  const cmd = (actions: string) => `virtfleet rollout ${actions} ${s.policy}`;
  if (s.state === "paused") return `${cmd("resume|abort|rollback")} [--reason TEXT]`;
  if (s.state === "running" || s.state === "pending") return `${cmd("pause|abort|rollback")} [--reason TEXT]`;
  return "";
}

function mark(phase: string | undefined): string {
  switch (phase) {
    case "converged":
      return "✓";
    case "failed":
    case "rollback-failed":
      return "✗";
    case "sent":
      return "…";
    case "rollback-sent":
      return "↺";
    case "offline":
      return "⌁";
    case "skipped":
      return "−";
    case "rolledback":
      return "↩";
    default:
      return "";
  }
}

function timing(
  st: { startedAt?: string; finishedAt?: string; soakUntil?: string; state: string },
  now: number,
): string {
  if (!st.startedAt) return "";
  const start = Date.parse(st.startedAt);
  const end = st.finishedAt ? Date.parse(st.finishedAt) : now;
  const soak =
    st.state === "soaking" && st.soakUntil
      ? ` (soak ${seconds(Math.max(0, Date.parse(st.soakUntil) - now))} left)`
      : "";
  return `${seconds(end - start)}${soak}`;
}

const seconds = (ms: number) =>
  ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
const clock = (iso: string) => iso.slice(11, 19);
const stamp = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
const short = (rev: string) => (rev.length > 12 ? rev.slice(0, 12) : rev);
