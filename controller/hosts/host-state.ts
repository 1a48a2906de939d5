import type { HostStateName } from "../../common/wire/states.js";

/** What the controller knows live about a connected host's agent (its session). */
export interface HostLiveState {
  /** The agent's last heartbeat said it cannot reach its libvirtd. */
  libvirtUnreachable: boolean;
}

/**
 * A host's state as every view shows it (HOST_STATES, spec/cli.md): disconnected without a
 * stream; libvirt-unreachable when connected but its agent cannot reach libvirtd (its
 * compliance then describes the last time it could look, not now); else connected.
 * (`removed` hosts are forgotten, so never listed.)
 */
export function hostState(connected: boolean, live: HostLiveState | undefined): HostStateName {
  if (!connected) return "disconnected";
  if (live?.libvirtUnreachable) return "libvirt-unreachable";
  return "connected";
}
