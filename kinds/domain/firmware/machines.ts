/**
 * Which QEMU machine types the firmware can run on (x86): OVMF runs on q35 and pc (i440fx);
 * Secure Boot needs SMM with a flash the guest OS cannot write, which only q35 offers
 * (Debian's Secure Boot firmware descriptors list `pc-q35-*` only).
 */
const Q35 = /^(q35|pc-q35-\d+(\.\d+)*)$/;
const I440FX = /^(pc|pc-i440fx-\d+(\.\d+)*|pc-\d+(\.\d+)*)$/;

/** What `machine` can run: `q35`, `i440fx`, or `other` (microvm, isapc, …). */
export function machineFamily(machine: string): "q35" | "i440fx" | "other" {
  if (Q35.test(machine)) return "q35";
  return I440FX.test(machine) ? "i440fx" : "other";
}
