import type { HypervisorEvent } from "../libvirt/index.js";
import { DOMAIN_AUTOSTART_DIR, DOMAIN_CONFIG_DIR, domainOfEvent } from "./domain/events.js";
import type { KindName } from "./names.js";
import { NETWORK_AUTOSTART_DIR, NETWORK_CONFIG_DIR, networkOfEvent } from "./network/events.js";
import { POOL_AUTOSTART_DIR, POOL_CONFIG_DIR, poolOfEvent } from "./pool/events.js";

/** What the agent needs to know of a kind besides its resource: which events and watched paths concern it. */
export interface AgentKind {
  /** The object of this kind a libvirt event concerns, or null (no events: never). */
  objectOfEvent?: (e: HypervisorEvent) => string | null;
  /** libvirt's autostart folder for the kind, watched for `virsh autostart` changes. */
  autostartDir?: string;
  /**
   * libvirt's folder of persistent definitions (NAME.xml) for the kind, watched for changes
   * that raise no libvirt event (`virsh setvcpus --config`, `setmaxmem --config`).
   */
  configDir?: string;
}

/**
 * The agent's face of every kind (kinds/names.ts lists them; the compiler asks for each).
 * Resources are built by build-resources.ts; the policy face (schemas, resolve, claims) is
 * kinds/policy-kinds.ts, kept apart so the agent never loads the policy language.
 */
export const AGENT_KINDS: { readonly [K in KindName]: AgentKind } = {
  host: {},
  network: { objectOfEvent: networkOfEvent, autostartDir: NETWORK_AUTOSTART_DIR, configDir: NETWORK_CONFIG_DIR },
  pool: { objectOfEvent: poolOfEvent, autostartDir: POOL_AUTOSTART_DIR, configDir: POOL_CONFIG_DIR },
  volume: {},
  domain: { objectOfEvent: domainOfEvent, autostartDir: DOMAIN_AUTOSTART_DIR, configDir: DOMAIN_CONFIG_DIR },
};
