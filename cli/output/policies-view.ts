import type { ListPoliciesResponse__Output } from "../../generated/proto/fleet/v1/ListPoliciesResponse.js";
import { renderTable } from "./table.js";

/** `virtfleet policies --json`: one document. */
export interface PoliciesJson {
  policies: {
    name: string;
    description: string;
    revision: string;
    generation: number;
    file: string;
    mode: string;
    priority: number;
    /** Hosts the policy applies to now: targeted, and holding a revision of it (its rollout decides). */
    hosts: string[];
    createdAt: string | null;
    rolloutState: string | null;
    history: { revision: string; generation: number; createdAt: string }[];
  }[];
  /** Errors of the last load when it was rejected (`file:line:col: path: message`). */
  errors: string[];
  loadedAt: string | null;
  policiesDir: string;
  /** Hosts whose bundle leaves policies out, with why. */
  hostProblems: { host: string; problems: string[] }[];
}

export const SHORT_REVISION = 12;

export function policiesToJson(res: ListPoliciesResponse__Output): PoliciesJson {
  return {
    policies: res.policies.map((p) => ({
      name: p.name,
      description: p.description,
      revision: p.revision,
      generation: Number(p.generation),
      file: p.file,
      mode: p.mode,
      priority: p.priority,
      hosts: p.hosts,
      createdAt: p.createdAt || null,
      rolloutState: p.rolloutState || null,
      history: p.history.map((h) => ({
        revision: h.revision,
        generation: Number(h.generation),
        createdAt: h.createdAt,
      })),
    })),
    errors: res.errors,
    loadedAt: res.loadedAt || null,
    policiesDir: res.policiesDir,
    hostProblems: res.hostProblems.map((h) => ({ host: h.host, problems: h.problems })),
  };
}

const hostsCell = (hosts: string[]) =>
  hosts.length <= 3 ? hosts.join(",") : `${hosts.slice(0, 3).join(",")} +${hosts.length - 3}`;

/**
 * Table NAME REVISION GEN MODE HOSTS ROLLOUT FILE (HOSTS: the hosts the policy applies to now —
 * a new policy whose rollout rolled back applies to none), earlier revisions when asked, then a
 * rejected change's errors.
 */
export function renderPolicies(view: PoliciesJson): string {
  const out: string[] = [];
  if (view.policies.length === 0)
    out.push(
      view.policiesDir
        ? `no policies in force (folder ${view.policiesDir})\n`
        : "no policies in force (no policies folder: virtfleet policy push DIR)\n",
    );
  else {
    out.push(
      renderTable(
        ["NAME", "REVISION", "GEN", "MODE", "HOSTS", "ROLLOUT", "FILE"],
        view.policies.map((p) => [
          p.name,
          p.revision.slice(0, SHORT_REVISION),
          p.generation,
          p.mode,
          p.hosts.length > 0 ? hostsCell(p.hosts) : "(none)",
          p.rolloutState ?? "-",
          p.file,
        ]),
      ),
    );
    const withHistory = view.policies.filter((p) => p.history.length > 0);
    for (const p of withHistory) {
      out.push(`\n${p.name} earlier revisions:\n`);
      for (const h of p.history)
        out.push(`  gen ${h.generation}  ${h.revision.slice(0, SHORT_REVISION)}  ${h.createdAt}\n`);
    }
  }
  if (view.errors.length > 0) {
    const files = new Set(view.errors.map((e) => e.split(":")[0]));
    const kept = view.policies.filter((p) => files.has(p.file));
    const inForce =
      kept.length > 0
        ? kept.map((p) => `${p.name} revision ${p.revision.slice(0, SHORT_REVISION)} (gen ${p.generation})`).join(", ")
        : "the revisions listed above";
    out.push(
      `\nlast change rejected${view.loadedAt ? ` at ${view.loadedAt}` : ""} (${view.errors.length} error${view.errors.length === 1 ? "" : "s"}):\n`,
    );
    for (const e of view.errors) out.push(`  ${e}\n`);
    out.push(`${inForce} stay${kept.length === 1 ? "s" : ""} in force\n`);
  }
  for (const h of view.hostProblems) {
    out.push(`\nhost ${h.host}: left out of its bundle:\n`);
    for (const p of h.problems) out.push(`  ${p}\n`);
  }
  return out.join("");
}
