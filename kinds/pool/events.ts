import type { HypervisorEvent } from "../../libvirt/index.js";

/**
 * The pool a libvirt event concerns (re-check `pool/NAME`), or null. Its volumes are
 * re-checked by the caller, which knows them. Events carry no trusted state.
 */
export function poolOfEvent(e: HypervisorEvent): string | null {
  return e.kind === "pool-lifecycle" || e.kind === "pool-refresh" ? e.pool.name : null;
}

/** libvirt's autostart folder for pools (`virsh autostart` adds or removes NAME.xml there; no libvirt event exists for it). */
export const POOL_AUTOSTART_DIR = "/etc/libvirt/storage/autostart";

/** libvirt's persistent pool definitions (NAME.xml, rewritten on every change of the definition). */
export const POOL_CONFIG_DIR = "/etc/libvirt/storage";
