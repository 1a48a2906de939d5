/**
 * Where a UEFI guest's NVRAM (its UEFI variable store) lives. libvirt creates it from the
 * firmware's template the first time the guest starts and never replaces an existing file
 * (libvirt 9.0 does not check which template it came from). So a Secure Boot guest gets its own
 * store, `NAME_SECBOOT_VARS.fd`, next to libvirt's default `NAME_VARS.fd` of a guest without
 * Secure Boot: turning Secure Boot on always starts from the Microsoft-keys template (keys
 * enrolled, Secure Boot enforced) instead of the key-less store the guest used before.
 */
export const LIBVIRT_NVRAM_DIR = "/var/lib/libvirt/qemu/nvram";

/** The NVRAM file of a Secure Boot guest named `name` (written into its definition). */
export function secureBootNvramPath(name: string): string {
  return `${LIBVIRT_NVRAM_DIR}/${name}_SECBOOT_VARS.fd`;
}
