import type { GetHostResponse } from "../../generated/proto/fleet/v1/GetHostResponse.js";
import type { HostCompliance } from "../../generated/proto/fleet/v1/HostCompliance.js";
import { storedChangesToWire } from "../../common/wire/index.js";
import { hostSummary, type ComplianceService } from "../compliance/index.js";

type DetailFields = Pick<
  GetHostResponse,
  "policies" | "resources" | "generation" | "observedGeneration" | "lastReportAt"
>;

/** The compliance part of `GetHost`: policies with status, latest outcome per resource. */
export async function toHostDetail(
  compliance: ComplianceService,
  name: string,
): Promise<{ summary: HostCompliance; fields: DetailFields } | undefined> {
  const h = await compliance.host(name);
  if (!h) return undefined;
  const labels = await compliance.reader.domainLabels(name);
  return {
    summary: { ...hostSummary(h), unknownReason: h.unknownReason ?? "" },
    fields: {
      generation: h.generation,
      observedGeneration: h.observedGeneration,
      lastReportAt: h.lastReportAt ?? "",
      policies: h.policies.map((p) => ({
        name: p.name,
        revision: p.revision,
        observedRevision: p.observedRevision ?? "",
        status: p.status,
        ok: p.resources.ok,
        drift: p.resources.drift,
        failed: p.resources.failed,
      })),
      resources: (await compliance.reader.resourceStatus(name)).map((r) => ({
        policy: r.policy,
        kind: r.kind,
        name: r.name,
        outcome: r.outcome,
        error: r.error,
        pendingRestart: r.pendingRestart,
        updatedAt: new Date(r.updatedAt).toISOString(),
        changes: storedChangesToWire(r.changesJson),
        labels: (r.kind === "domain" && labels.get(r.name)) || {},
      })),
    },
  };
}
