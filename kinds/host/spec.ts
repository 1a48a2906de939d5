import { type Static, Type } from "@sinclair/typebox";
import { PATTERNS } from "../../policy-primitives/names.js";
import { list, nullable, obj, plain, resolvedObject, size } from "../../policy-primitives/schema-builders.js";
import { HOST_NETWORK_DOCUMENT_FIELDS, HostNetworkSpecSchema } from "./network/spec.js";
import { HOST_HUGEPAGES_DOCUMENT_FIELDS, HostHugepagesSpecSchema } from "./hugepages/schema.js";

/**
 * The host kind: prerequisites of the KVM host itself (`spec.resources.host`). One host
 * resource per host; its identity is `host/host`.
 */

/** `spec.resources.host` as a policy document writes it. */
export const HostDocumentSchema = obj(
  {
    requireVirtualization: Type.Boolean({
      description: "vmx/svm present and /dev/kvm usable. Default false (not checked).",
    }),
    kernelModules: list(
      plain("kernelModule", "a kernel module name"),
      "Modules that must be loaded (repair: modprobe). Default [].",
    ),
    sysctl: Type.Record(
      Type.String({ pattern: PATTERNS.sysctlKey }),
      Type.Unsafe<string | number>({ type: ["string", "integer"], maxLength: 256, description: "a string or integer" }),
      {
        description: "Runtime sysctl values by dotted key (repair: write /proc/sys). Default {}.",
      },
    ),
    minFreeMemory: size(
      "Precondition: fail the host before changing anything when less memory is free. Default: not checked.",
    ),
    ...HOST_HUGEPAGES_DOCUMENT_FIELDS,
    ...HOST_NETWORK_DOCUMENT_FIELDS,
  },
  [],
  { additionalProperties: false, description: "Host prerequisites (checked; some repaired)." },
);
export type HostDocument = Static<typeof HostDocumentSchema>;

/** The resolved host prerequisites a bundle carries. */
export const HostPrereqSpecSchema = resolvedObject({
  /** vmx/svm present and /dev/kvm usable; false = not checked. */
  requireVirtualization: Type.Boolean(),
  /** Modules that must be loaded (repair: modprobe). */
  kernelModules: Type.Array(Type.String()),
  /** Runtime sysctl values by dotted key (repair: write /proc/sys). */
  sysctl: Type.Unsafe<Record<string, string>>({ type: "object", additionalProperties: { type: "string" } }),
  /** Precondition: fail the host before changing anything when less memory is free. */
  minFreeMemoryBytes: nullable(Type.Integer({ minimum: 0 })),
  /** Hugepages to reserve by page size; absent = not managed (kinds/host/hugepages/). */
  hugepages: Type.Optional(HostHugepagesSpecSchema),
  /** Host networking (bridges, bonds, VLANs); absent = not managed (kinds/host/network/). */
  network: Type.Optional(HostNetworkSpecSchema),
});
export type HostPrereqSpec = Static<typeof HostPrereqSpecSchema>;
