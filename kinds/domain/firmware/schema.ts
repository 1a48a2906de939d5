import { Type, type Static } from "@sinclair/typebox";
import { choice, obj, oneOf, resolvedObject } from "../../../policy-primitives/schema-builders.js";

/**
 * The firmware and boot area of the domain kind: `firmware` (bios | uefi), `kernel` (direct
 * kernel boot). Contract for additions: a new spec field is optional and left out by the
 * resolver when the policy does not set it (the spec hash of a guest that does not use it
 * stays the same).
 */

export const FIRMWARES = ["bios", "uefi"] as const;

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
  /** Direct kernel boot; absent: none. */
  kernel: Type.Optional(KernelSpecSchema),
};
