import { type Static, Type } from "@sinclair/typebox";
import {
  choice,
  nullable,
  obj,
  oneOf,
  requiredUnlessAbsent,
  resolvedObject,
  resourceNameField,
  tpl,
} from "../../policy-primitives/schema-builders.js";
import { CLOUD_INIT_DOCUMENT_FIELDS, CLOUD_INIT_SPEC_FIELDS } from "../cloud-init-seed/schema.js";
import { CPU_MEMORY_DOCUMENT_FIELDS, CPU_MEMORY_SPEC_FIELDS } from "./cpu-memory/schema.js";
import { DEVICES_DOCUMENT_FIELDS, DEVICES_SPEC_FIELDS } from "./devices/schema.js";
import { DISKS_DOCUMENT_FIELDS, DISKS_SPEC_FIELDS } from "./disks/schema.js";
import { FIRMWARE_DOCUMENT_FIELDS, FIRMWARE_SPEC_FIELDS } from "./firmware/schema.js";
import { METADATA_DOCUMENT_FIELDS, METADATA_SPEC_FIELDS } from "./metadata/schema.js";
import { NICS_DOCUMENT_FIELDS, NICS_SPEC_FIELDS } from "./nics/schema.js";

/**
 * The domain kind: a libvirt domain (guest) (`spec.resources.domains[]`), identity
 * `domain/NAME`. Its fields are declared by areas, each in its own folder (metadata,
 * firmware, cpu-memory, disks, nics, devices) with its schema, resolver, checks and XML;
 * this file composes them with the fields every kind has (name, adopt, state) and the
 * guest's life-cycle fields. Its cloud-init seed is a resource of its own
 * (kinds/cloud-init-seed/) but is declared here, under `cloudInit`.
 */

export { DISK_BUSES, type CdromSpec, type DiskSpec } from "./disks/schema.js";
export { NIC_MODELS, type InterfaceSpec } from "./nics/schema.js";
export { CPU_MODES } from "./cpu-memory/schema.js";
export { GRAPHICS } from "./devices/schema.js";
export type { CloudInitSpec, CloudInitUserSpec } from "../cloud-init-seed/schema.js";

export const DOMAIN_STATES = ["running", "shutoff", "paused", "absent"] as const;

/** One entry of `spec.resources.domains` as a policy document writes it. */
export const DomainDocumentSchema = obj(
  {
    name: resourceNameField(),
    ...METADATA_DOCUMENT_FIELDS,
    ...CPU_MEMORY_DOCUMENT_FIELDS,
    machine: tpl("machine", "a QEMU machine type, e.g. q35"),
    ...FIRMWARE_DOCUMENT_FIELDS,
    ...DISKS_DOCUMENT_FIELDS,
    ...NICS_DOCUMENT_FIELDS,
    ...CLOUD_INIT_DOCUMENT_FIELDS,
    ...DEVICES_DOCUMENT_FIELDS,
    autostart: Type.Boolean({ description: "Default false." }),
    adopt: Type.Boolean({
      description:
        "Take over an existing object of this name that virtfleet did not create (no ownership record/marker). Without it such an object is reported conflict and left alone. Default false.",
    }),
    state: choice(DOMAIN_STATES, { description: "running | shutoff | paused | absent. Default running." }),
    restartOnChange: Type.Boolean({
      description: "Restart the guest for a change that needs a reboot. Default false.",
    }),
  },
  ["name"],
  { description: "A libvirt domain (guest).", ...requiredUnlessAbsent(["vcpus", "memory"]) },
);
export type DomainDocument = Static<typeof DomainDocumentSchema>;

/** A resolved domain: memory in bytes, every MAC pinned, defaults applied. */
export const DomainSpecSchema = resolvedObject({
  name: Type.String(),
  ...METADATA_SPEC_FIELDS,
  ...CPU_MEMORY_SPEC_FIELDS,
  machine: nullable(Type.String()),
  ...FIRMWARE_SPEC_FIELDS,
  ...DISKS_SPEC_FIELDS,
  ...NICS_SPEC_FIELDS,
  ...CLOUD_INIT_SPEC_FIELDS,
  ...DEVICES_SPEC_FIELDS,
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(DOMAIN_STATES),
  restartOnChange: Type.Boolean(),
});
export type DomainSpec = Static<typeof DomainSpecSchema>;
