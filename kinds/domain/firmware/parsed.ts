/** The firmware and boot area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedFirmware {
  /** `uefi` when `<os firmware='efi'>` or a pflash `<loader>`; otherwise `bios`. */
  firmware: "bios" | "uefi";
  /** `<os><kernel>`, `<initrd>`, `<cmdline>`; null without a kernel. */
  kernel: { path: string; initrd?: string; cmdline?: string } | null;
}
