import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import { renderTable } from "./table.js";

/**
 * The human `rollout status` view of a status document: a headline (policy, revisions,
 * state, reason), one row per stage (state, timing, hosts) and the hosts that failed.
 * `now` (ms) measures stages still in progress.
 */
export function renderRolloutStatus(s: RolloutStatusJson, now: number): string {
  const out: string[] = [];
  const state = s.rollingBack ? "failed, rolling back" : s.state;
  out.push(`Rollout of ${s.policy}: ${short(s.previousRevision ?? "(none)")} → ${short(s.revision)}  ${state.toUpperCase()}\n`);
  if (s.reason) out.push(`Reason: ${s.reason}\n`);
  const byName = new Map(s.hosts.map((h) => [h.name, h]));
  const rows = s.stages.map((st) => [
    st.index,
    st.kind,
    st.state,
    st.startedAt ? clock(st.startedAt) : "",
    timing(st, now),
    st.kind === "plan" ? "(fleet dry-run)" : st.hosts.map((h) => `${h}${mark(byName.get(h)?.phase)}`).join(" "),
  ]);
  out.push(renderTable(["STAGE", "KIND", "STATE", "STARTED", "TOOK", "HOSTS"], rows));
  const done = s.hosts.filter((h) => h.stage >= 0 && (h.phase === "converged" || h.phase === "rolledback")).length;
  const total = s.hosts.filter((h) => h.stage >= 0).length;
  out.push(`Hosts: ${done}/${total} done, ${s.failedHosts.length} failed${s.lateHosts.length > 0 ? `, ${s.lateHosts.length} enrolled during the rollout (${s.lateHosts.join(", ")})` : ""}\n`);
  for (const name of s.failedHosts) out.push(`  ✗ ${name}: ${byName.get(name)?.reason ?? "failed"}\n`);
  out.push("Marks: ✓ converged  ✗ failed  … waiting  ⌁ offline  − skipped  ↺ rolling back  ↩ rolled back\n");
  return out.join("");
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

function timing(st: { startedAt?: string; finishedAt?: string; soakUntil?: string; state: string }, now: number): string {
  if (!st.startedAt) return "";
  const start = Date.parse(st.startedAt);
  const end = st.finishedAt ? Date.parse(st.finishedAt) : now;
  const soak = st.state === "soaking" && st.soakUntil ? ` (soak ${seconds(Math.max(0, Date.parse(st.soakUntil) - now))} left)` : "";
  return `${seconds(end - start)}${soak}`;
}

const seconds = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`);
const clock = (iso: string) => iso.slice(11, 19);
const short = (rev: string) => (rev.length > 12 ? rev.slice(0, 12) : rev);
