import { Type, type Static } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject } from "../../../policy-primitives/schema-builders.js";
import { BOOT_DEVICES, FIRMWARES } from "./values.js";

/**
 * The firmware and boot area of the domain kind: `firmware` (bios | uefi), `secureBoot`, `tpm`
 * (vTPM 2.0), `boot` (boot order by device type), `kernel` (direct kernel boot). Contract for
 * additions: a new spec field is optional and left out by the resolver when the policy does
 * not set it (the spec hash of a guest that does not use it stays the same).
 */

export { BOOT_DEVICES, FIRMWARES } from "./values.js";

export const KernelDocumentSchema = obj(
  {
    // `path` is checked by semantics.ts (so "initrd/cmdline without a kernel" gets its own message).
    path: Type.String({ minLength: 1, maxLength: 4096, description: "Absolute path of the kernel image on the host." }),
    initrd: Type.String({ minLength: 1, maxLength: 4096, description: "Absolute path of the initrd on the host." }),
    cmdline: Type.String({
      maxLength: 4096,
      description: "Kernel command line: free text, no control characters, no white space at either end.",
    }),
  },
  [],
  { description: "Direct kernel boot (libvirt's <os><kernel>, <initrd>, <cmdline>): QEMU loads the kernel itself." },
);

export const FIRMWARE_DOCUMENT_FIELDS = {
  firmware: choice(FIRMWARES, {
    description:
      "bios | uefi. uefi: OVMF (Debian's ovmf package), chosen by libvirt's firmware auto-selection, with a per-guest NVRAM kept across restarts and removed with the guest. Default bios.",
  }),
  secureBoot: Type.Boolean({
    description:
      "UEFI Secure Boot with Microsoft's keys enrolled (OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd; SMM on). Needs firmware uefi and a q35 machine (the machine defaults to q35). Default false.",
  }),
  tpm: Type.Boolean({ description: "A vTPM 2.0 (tpm-crb, emulated by swtpm). Default false." }),
  boot: list(choice(BOOT_DEVICES), "Boot order by device type (disk | cdrom | network). Default: libvirt's (disk)."),
  kernel: KernelDocumentSchema,
};

export const KernelSpecSchema = resolvedObject({
  path: Type.String(),
  initrd: Type.Optional(Type.String()),
  cmdline: Type.Optional(Type.String()),
});
export type KernelSpec = Static<typeof KernelSpecSchema>;

export const FIRMWARE_SPEC_FIELDS = {
  /** Absent: bios (libvirt's default; nothing written). */
  firmware: Type.Optional(oneOf(FIRMWARES)),
  /** Absent: false. */
  secureBoot: Type.Optional(Type.Boolean()),
  /** Absent: false. */
  tpm: Type.Optional(Type.Boolean()),
  /** Absent: not managed beyond libvirt's default (`<boot dev='hd'/>` or none). */
  boot: Type.Optional(Type.Array(oneOf(BOOT_DEVICES))),
  /** Direct kernel boot; absent: none. */
  kernel: Type.Optional(KernelSpecSchema),
};
