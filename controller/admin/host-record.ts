import type { HostRecord } from "../../generated/proto/fleet/v1/HostRecord.js";
import type { HostRow } from "../store/index.js";

function iso(ms: number | null): string {
  return ms === null || ms === 0 ? "" : new Date(ms).toISOString();
}

/** Maps a stored host to the admin API's HostRecord. Compliance is vacuous until policies exist. */
export function toHostRecord(h: HostRow): HostRecord {
  return {
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
    compliance: { compliant: true, policies: 0, drifted: 0 },
  };
}
