import type { HypervisorEvent } from "../../libvirt/index.js";

/** The network a libvirt event concerns (re-check `network/NAME`), or null. Events carry no trusted state. */
export function networkOfEvent(e: HypervisorEvent): string | null {
  return e.kind === "network-lifecycle" ? e.network.name : null;
}

/** libvirt's autostart folder for networks (`virsh autostart` adds or removes NAME.xml there; no libvirt event exists for it). */
export const NETWORK_AUTOSTART_DIR = "/etc/libvirt/qemu/networks/autostart";

/** libvirt's persistent network definitions (NAME.xml, rewritten on every change of the definition). */
export const NETWORK_CONFIG_DIR = "/etc/libvirt/qemu/networks";
