import type { DomainStateName } from "../libvirt/index.js";

export type PolicyDomainState = "running" | "shutoff" | "paused";

/** Maps libvirt's domain state to the policy's vocabulary (a guest shutting down still runs). */
export function policyState(s: DomainStateName | "unknown"): PolicyDomainState {
  switch (s) {
    case "running":
    case "blocked":
    case "shutdown":
      return "running";
    case "paused":
    case "pmsuspended":
      return "paused";
    default:
      return "shutoff";
  }
}
