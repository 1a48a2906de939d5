import type { HostCompliance } from "../../generated/proto/fleet/v1/HostCompliance.js";
import type { HostRecord } from "../../generated/proto/fleet/v1/HostRecord.js";
import { hostState, type HostLiveState, type HostRow } from "../hosts/index.js";

function iso(ms: number | null): string {
  return ms === null || ms === 0 ? "" : new Date(ms).toISOString();
}

/** No policies assigned: vacuously compliant. */
export const NO_POLICIES: HostCompliance = { compliant: true, policies: 0, drifted: 0 };

/** A host's inventory resolution; empty when no inventory view is wired in. */
export interface HostResolution {
  groups: readonly string[];
  labels: Readonly<Record<string, string>>;
}

const UNRESOLVED: HostResolution = { groups: [], labels: {} };

/** Maps a stored host, its compliance summary and inventory resolution to the admin API's HostRecord. */
export function toHostRecord(
  h: HostRow,
  compliance: HostCompliance = NO_POLICIES,
  resolution: HostResolution = UNRESOLVED,
  live?: HostLiveState,
): HostRecord {
  return {
    name: h.name,
    connected: h.connected,
    state: hostState(h.connected, live),
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
