/** The firmware and boot area's closed value sets, shared by the schema and the agent's checks (no TypeBox here). */
export const FIRMWARES = ["bios", "uefi"] as const;
export const BOOT_DEVICES = ["disk", "cdrom", "network"] as const;
