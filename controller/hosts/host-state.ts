import type { HostStateName } from "../../common/wire/states.js";

/** What the controller knows live about a connected host's agent (its session). */
export interface HostLiveState {
  /** The agent's last heartbeat said it cannot reach its libvirtd. */
  libvirtUnreachable: boolean;
}

/** The longest reason kept from an agent's AgentHealth (the rest is clipped). */
const MAX_REASON_CHARS = 500;

/**
 * What the controller knows about its hosts beyond their stored rows, live and in memory
 * (a restarted controller learns it again from each agent's Hello):
 * - an agent's own condition (AgentHealth: its state folder cannot be written);
 * - hosts whose latest events the controller's store could not write (the agent holds them
 *   in its outbox and replays; until then what the controller shows of them is stale).
 */
export class HostConditions {
  private readonly agentDegraded = new Map<string, string>();
  private readonly storeFailures = new Map<string, string>();

  /** From a Hello or Heartbeat: "" = healthy. */
  setAgentHealth(host: string, degradedReason: string): void {
    if (degradedReason) this.agentDegraded.set(host, clip(degradedReason));
    else this.agentDegraded.delete(host);
  }

  /** The host's stream ended: its agent's condition is no longer known. */
  forgetAgent(host: string): void {
    this.agentDegraded.delete(host);
  }

  /** The store could (null) or could not write this host's events. */
  setStoreFailure(host: string, reason: string | null): void {
    if (reason === null) this.storeFailures.delete(host);
    else this.storeFailures.set(host, clip(reason));
  }

  agentDegradedReason(host: string): string {
    return this.agentDegraded.get(host) ?? "";
  }

  /** Non-empty when the host's compliance is unknown (its latest events are not stored). */
  complianceUnknownReason(host: string): string {
    const f = this.storeFailures.get(host);
    return f ? `the controller could not store this host's latest events (${f}); shown again once stored` : "";
  }
}

/**
 * The one computation of a host's state (common/wire/states.ts HOST_STATES) for every view:
 * disconnected when its stream is down; else libvirt-unreachable when its agent's last heartbeat
 * said it cannot reach libvirtd; else degraded when its agent says so; else connected.
 * (`removed` hosts are forgotten, so never listed.)
 * `detail` explains a state other than plain connected/disconnected ("" otherwise).
 */
export function hostState(
  row: { name: string; connected: boolean; disconnectReason?: string },
  conditions?: HostConditions,
  live?: HostLiveState,
): { state: HostStateName; detail: string } {
  if (!row.connected) return { state: "disconnected", detail: "" };
  // its compliance then describes the last time the agent could look, not now
  if (live?.libvirtUnreachable) return { state: "libvirt-unreachable", detail: "its agent cannot reach libvirtd" };
  const degraded = conditions?.agentDegradedReason(row.name) ?? "";
  if (degraded) return { state: "degraded", detail: degraded };
  return { state: "connected", detail: "" };
}

function clip(s: string): string {
  return s.length > MAX_REASON_CHARS ? `${s.slice(0, MAX_REASON_CHARS - 1)}…` : s;
}
