/** The devices area's value sets, without TypeBox (the agent face imports these; schema.ts re-exports them). */

/** The string form of `graphics` (as before): `vnc` listens on 127.0.0.1 without a password. */
export const GRAPHICS = ["none", "vnc"] as const;
export const GRAPHICS_TYPES = ["vnc", "spice", "none"] as const;
export const CONSOLES = ["serial", "none"] as const;
/** x86 watchdog models; `itco` is part of q35's ICH9 chipset and needs libvirt 9.1 or later (9.0 refuses it at define). */
export const WATCHDOG_MODELS = ["i6300esb", "ib700", "itco"] as const;
export const WATCHDOG_ACTIONS = ["reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi"] as const;
export const MDEV_MODELS = ["vfio-pci", "vfio-ccw", "vfio-ap"] as const;
export const FILESYSTEM_DRIVERS = ["virtiofs"] as const;
/** Where a graphics console listens unless the policy says otherwise. */
export const DEFAULT_GRAPHICS_LISTEN = "127.0.0.1";
