import { type Static, Type } from "@sinclair/typebox";
import {
  choice,
  list,
  nullable,
  obj,
  oneOf,
  requiredUnlessAbsent,
  resolvedObject,
  resourceNameField,
  size,
  text,
  tpl,
} from "../../policy-primitives/schema-builders.js";

/**
 * The domain kind: a libvirt domain (guest) (`spec.resources.domains[]`), identity
 * `domain/NAME`. Its cloud-init seed is a resource of its own (kinds/cloud-init-seed/) but is
 * declared here, under `cloudInit`.
 */

export const DISK_BUSES = ["virtio", "sata", "scsi"] as const;
export const NIC_MODELS = ["virtio", "e1000", "e1000e", "rtl8139"] as const;
export const CPU_MODES = ["host-model", "host-passthrough"] as const;
export const GRAPHICS = ["none", "vnc"] as const;
export const DOMAIN_STATES = ["running", "shutoff", "paused", "absent"] as const;

const DiskDocumentSchema = obj(
  {
    volume: tpl("volumeRef", "pool/volume"),
    bus: choice(DISK_BUSES, { description: "virtio | sata | scsi. Default virtio." }),
  },
  ["volume"],
);

const InterfaceDocumentSchema = obj(
  {
    network: tpl("resourceName", "the name of a network"),
    model: choice(NIC_MODELS, { description: "virtio | e1000 | e1000e | rtl8139. Default virtio." }),
    mac: tpl("mac", "a unicast MAC address (aa:bb:cc:dd:ee:ff)"),
  },
  ["network"],
  {
    description: 'A NIC. Without mac, one is derived: 52:54:00 + the first 3 bytes of sha256("<domain>/<index>").',
  },
);

const CloudInitUserDocumentSchema = obj(
  {
    name: tpl("userName", "a Linux user name"),
    groups: list(tpl("userName", "a Linux group name"), "Supplementary groups. Default []."),
    sudo: text("A sudoers rule, e.g. ALL=(ALL) NOPASSWD:ALL. Default: none.", 256),
    passwordHash: tpl(
      "passwordHash",
      "a crypt(3) hash ($6$…, $y$…, $5$…, $2b$…, $1$…); plaintext passwords are not accepted",
    ),
    sshAuthorizedKeys: list(tpl("sshKey", "an OpenSSH public key (ssh-ed25519 AAAA…)"), "Default []."),
  },
  ["name"],
);

const CloudInitDocumentSchema = obj(
  {
    hostname: tpl("hostname", "a host name"),
    users: list(CloudInitUserDocumentSchema, "Default []."),
    packages: list(tpl("packageName", "a package name"), "Default []."),
    packageUpdate: Type.Boolean({ description: "Default false." }),
  },
  [],
  { description: "NoCloud seed ISO generated on the host and attached as a cdrom. Default: none." },
);

/** One entry of `spec.resources.domains` as a policy document writes it. */
export const DomainDocumentSchema = obj(
  {
    name: resourceNameField(),
    description: text(
      "Free text about the guest (libvirt's <description>, `virsh desc`); changed live. Default: not managed (whatever the guest has is kept).",
    ),
    vcpus: Type.Integer({ minimum: 1, maximum: 4096, description: "Required unless state is absent." }),
    memory: size("Required unless state is absent; at least 1MiB, a whole number of KiB."),
    cpu: choice(CPU_MODES, { description: "host-model | host-passthrough. Default host-model." }),
    machine: tpl("machine", "a QEMU machine type, e.g. q35"),
    disks: list(DiskDocumentSchema, "Default []."),
    cdroms: list(
      Type.String({ minLength: 1, maxLength: 4096, description: "pool/volume or an absolute path to an .iso" }),
      "Default [].",
    ),
    interfaces: list(InterfaceDocumentSchema, "Default []."),
    cloudInit: CloudInitDocumentSchema,
    graphics: choice(GRAPHICS, { description: "none | vnc (listens on 127.0.0.1 only). Default none." }),
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

export const DiskSpecSchema = resolvedObject({ pool: Type.String(), volume: Type.String(), bus: oneOf(DISK_BUSES) });
export type DiskSpec = Static<typeof DiskSpecSchema>;

export const CdromSpecSchema = Type.Union([
  resolvedObject({ pool: Type.String(), volume: Type.String() }),
  resolvedObject({ path: Type.String() }),
]);
export type CdromSpec = Static<typeof CdromSpecSchema>;

export const InterfaceSpecSchema = resolvedObject({
  network: Type.String(),
  model: oneOf(NIC_MODELS),
  /** Always set: pinned by the policy or derived stably from domain name + index. */
  mac: Type.String(),
});
export type InterfaceSpec = Static<typeof InterfaceSpecSchema>;

export const CloudInitUserSpecSchema = resolvedObject({
  name: Type.String(),
  groups: Type.Array(Type.String()),
  sudo: nullable(Type.String()),
  /** A crypt(3) hash ($6$…, $y$…); plaintext passwords are rejected by the loader. */
  passwordHash: nullable(Type.String()),
  sshAuthorizedKeys: Type.Array(Type.String()),
});
export type CloudInitUserSpec = Static<typeof CloudInitUserSpecSchema>;

export const CloudInitSpecSchema = resolvedObject({
  hostname: nullable(Type.String()),
  users: Type.Array(CloudInitUserSpecSchema),
  packages: Type.Array(Type.String()),
  packageUpdate: Type.Boolean(),
});
export type CloudInitSpec = Static<typeof CloudInitSpecSchema>;

/** A resolved domain: memory in bytes, every MAC pinned, defaults applied. */
export const DomainSpecSchema = resolvedObject({
  name: Type.String(),
  /** libvirt's <description>; absent = not managed (kept as the guest has it). */
  description: Type.Optional(Type.String()),
  vcpus: Type.Integer({ minimum: 1 }),
  memoryBytes: Type.Integer({ minimum: 0 }),
  cpu: oneOf(CPU_MODES),
  machine: nullable(Type.String()),
  disks: Type.Array(DiskSpecSchema),
  cdroms: Type.Array(CdromSpecSchema),
  interfaces: Type.Array(InterfaceSpecSchema),
  cloudInit: nullable(CloudInitSpecSchema),
  graphics: oneOf(GRAPHICS),
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(DOMAIN_STATES),
  restartOnChange: Type.Boolean(),
});
export type DomainSpec = Static<typeof DomainSpecSchema>;
