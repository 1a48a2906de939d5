import { failedHosts, isRollingBack } from "./queries.js";
import type { RolloutStatusJson } from "../../common/wire/admin-documents.js";
import type { Rollout } from "./types.js";

/** The `rollout status --json` document's types: owned by the wire contract, common/wire/admin-documents.ts. */
export type { RolloutStageJson, RolloutStatusJson } from "../../common/wire/admin-documents.js";

const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());

/** Renders `r` as the `rollout status --json` document; absent optional keys are left out. */
export function rolloutStatusJson(r: Rollout): RolloutStatusJson {
  const out: RolloutStatusJson = {
    policy: r.policy,
    id: r.id,
    revision: r.toRevision,
    state: r.state,
    rollingBack: isRollingBack(r),
    createdAt: iso(r.createdAt) as string,
    stages: r.stages.map((s) =>
      dropUndefined({
        index: s.index,
        kind: s.kind,
        hosts: [...s.hosts],
        state: s.state,
        startedAt: iso(s.startedAt),
        finishedAt: iso(s.finishedAt),
        soakUntil: iso(s.soakUntil),
      }),
    ),
    failedHosts: failedHosts(r),
    hosts: Object.values(r.hosts)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((h) =>
        dropUndefined({
          name: h.name,
          stage: h.stage,
          phase: h.phase,
          online: h.online,
          reason: h.reason ?? undefined,
        }),
      ),
    lateHosts: [...r.lateHosts],
  };
  if (r.fromRevision !== null) out.previousRevision = r.fromRevision;
  if (r.reason !== null) out.reason = r.reason;
  if (r.startedAt !== null) out.startedAt = iso(r.startedAt);
  if (r.finishedAt !== null) out.finishedAt = iso(r.finishedAt);
  if (r.plan !== null) out.plan = r.plan;
  return out;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
