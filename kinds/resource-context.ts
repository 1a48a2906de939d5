import type { EventLog } from "../common/event-log.js";
import { isLibvirtNotFound, type Hypervisor } from "../libvirt/index.js";
import type { OwnershipScope } from "./ownership/ledger.js";
import type { HostNetworkRuntime } from "./host/network/runtime.js";
import type { ProgressReporter } from "./progress.js";

/** What every libvirt-backed resource gets from the engine's caller. */
export interface ResourceContext {
  hv: Hypervisor;
  log: EventLog;
  /** How long a graceful guest shutdown may take before the guest is forced off. */
  shutdownTimeoutMs: number;
  /** Receives throttled (at most ~4/s) progress of long steps such as a volume import. */
  progress?: ProgressReporter;
  /** A volume import fails when no byte arrives for this long (default DEFAULT_IMPORT_IDLE_TIMEOUT_MS). */
  importIdleTimeoutMs?: number;
  /** Who owns what (kinds/ownership); absent where no agent state is kept (`apply --local`). */
  ownership?: OwnershipScope;
  /** Host networking's persistent-config folder and the uplink to protect (kinds/host/network/). */
  hostNetwork?: HostNetworkRuntime;
  /** This host's fleet name (the agent's --name, apply --local's --name), for errors that only the host can tell. */
  hostName?: string;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 60_000;

/** Runs a lookup; a libvirt "not found" becomes null, anything else propagates. */
export async function orNull<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (err) {
    if (isLibvirtNotFound(err)) return null;
    throw err;
  }
}

/** Throws the signal's reason if it was aborted (resources call this between mutations). */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
}
