import type { HypervisorEvent } from "../../libvirt/index.js";

/** The domain a libvirt event concerns (re-check `domain/NAME`), or null. Events carry no trusted state. */
export function domainOfEvent(e: HypervisorEvent): string | null {
  switch (e.kind) {
    case "domain-lifecycle":
    case "domain-metadata-change":
    case "domain-device-removed":
      return e.domain.name;
    default:
      return null;
  }
}

/** libvirt's autostart folder for domains (`virsh autostart` adds or removes NAME.xml there; no libvirt event exists for it). */
export const DOMAIN_AUTOSTART_DIR = "/etc/libvirt/qemu/autostart";

/**
 * libvirt's persistent domain definitions (NAME.xml, rewritten on every `--config` change, e.g.
 * `virsh setvcpus --config`, which raises no libvirt event).
 */
export const DOMAIN_CONFIG_DIR = "/etc/libvirt/qemu";
