/** The firmware and boot area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedFirmware {
  /** `uefi` when `<os firmware='efi'>` or a pflash `<loader>`; otherwise `bios`. */
  firmware: "bios" | "uefi";
  /**
   * UEFI with Secure Boot as the spec writes it: the `secure-boot` and `enrolled-keys`
   * firmware features enabled (or an explicit `<loader secure='yes'>`) and SMM on.
   */
  secureBoot: boolean;
  /** `<os><nvram>` (the store's path) when the definition names one; null otherwise. */
  nvram: string | null;
  /**
   * The `<tpm>` devices as `model/backend/version` (`tpm-crb/emulator/2.0` is what `tpm: true`
   * writes); empty without one.
   */
  tpms: string[];
  /** `<os><boot dev>` in order, as spec names (`hd` → disk; others as libvirt writes them). */
  boot: string[];
  /** `<os><kernel>`, `<initrd>`, `<cmdline>`; null without a kernel. */
  kernel: { path: string; initrd?: string; cmdline?: string } | null;
}
