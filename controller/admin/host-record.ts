import type { HostCompliance } from "../../generated/proto/fleet/v1/HostCompliance.js";
import type { HostRecord } from "../../generated/proto/fleet/v1/HostRecord.js";
import { hostState, type HostConditions, type HostLiveState, type HostRow } from "../hosts/index.js";

function iso(ms: number | null): string {
  return ms === null || ms === 0 ? "" : new Date(ms).toISOString();
}

/** No policies assigned: vacuously compliant. */
export const NO_POLICIES: HostCompliance = { compliant: true, policies: 0, drifted: 0, unknownReason: "" };

/** A host's inventory resolution; empty when no inventory view is wired in. */
export interface HostResolution {
  groups: readonly string[];
  labels: Readonly<Record<string, string>>;
}

const UNRESOLVED: HostResolution = { groups: [], labels: {} };

/**
 * Maps a stored host, its compliance summary, inventory resolution and live conditions to the
 * admin API's HostRecord (its state from hostState, controller/hosts/host-state.ts).
 */
export function toHostRecord(
  h: HostRow,
  compliance: HostCompliance = NO_POLICIES,
  resolution: HostResolution = UNRESOLVED,
  live?: HostLiveState,
  conditions?: HostConditions,
): HostRecord {
  const { state, detail } = hostState(h, conditions, live);
  return {
    state,
    stateDetail: detail,
    name: h.name,
    connected: h.connected,
    firstSeen: iso(h.firstSeen),
    lastSeen: iso(h.lastSeen),
    agentVersion: h.agentVersion,
    factsJson: h.factsJson,
    factsFingerprint: h.factsFingerprint,
    sessionId: h.sessionId,
    peer: h.peer,
    disconnectReason: h.disconnectReason,
    connectedSince: iso(h.connectedSince),
    compliance,
    groups: [...resolution.groups],
    labels: { ...resolution.labels },
  };
}
