import {
  Type,
  type ObjectOptions,
  type Static,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
} from "@sinclair/typebox";
import { PATTERNS, type PatternName } from "./primitives/names.js";

/**
 * The Policy and inventory document schemas (spec/policy.md, v1). One source for
 * validation (Ajv), the TypeScript types (Static) and the published JSON Schema files.
 * Every object rejects unknown fields. Defaults are applied by `resolvePolicy` and are
 * stated in each field's description.
 *
 * Strings under `spec.resources` may contain templates (`${host.name}`, `${vars.x}`):
 * their patterns accept any string containing `${`, and the value is checked again after
 * templating for each host.
 */

const strict = { additionalProperties: false } as const;

type WithOptional<P extends TProperties, K extends keyof P> = { [k in keyof P]: k extends K ? P[k] : TOptional<P[k]> };

/** A closed object (unknown fields rejected) whose fields are optional except `required`. */
function obj<P extends TProperties, K extends keyof P & string>(
  props: P,
  required: readonly K[],
  options: ObjectOptions = {},
): TObject<WithOptional<P, K>> {
  const out: TProperties = {};
  for (const [k, v] of Object.entries(props))
    out[k] = (required as readonly string[]).includes(k) ? v : Type.Optional(v);
  return Type.Object(out, { ...options, additionalProperties: false }) as unknown as TObject<WithOptional<P, K>>;
}

function plain(name: PatternName, description: string) {
  return Type.String({ pattern: PATTERNS[name], description });
}

/** A string of format `name`, or any string containing a template. */
function tpl(name: PatternName, description: string) {
  return Type.String({ pattern: `(?:${PATTERNS[name]})|\\$\\{`, description });
}

function text(description: string, maxLength = 1024) {
  return Type.String({ maxLength, description });
}

function size(description: string) {
  return Type.Unsafe<string | number>({
    type: ["string", "integer"],
    minimum: 0,
    pattern: `(?:${PATTERNS.size})|\\$\\{`,
    description: `${description} A size: integer bytes or a number with KiB, MiB, GiB or TiB (e.g. 10GiB).`,
  });
}

/** One of `values` (a plain JSON Schema enum, so an error names every allowed value). */
function choice<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
}

function list<T extends TSchema>(item: T, description: string) {
  return Type.Array(item, { description });
}

function map<T extends TSchema>(key: PatternName, value: T, description: string) {
  return Type.Record(Type.String({ pattern: PATTERNS[key] }), value, { description });
}

const Scalar = Type.Unsafe<string | number | boolean>({
  type: ["string", "number", "boolean"],
  maxLength: 1024,
  description: "a string, number or boolean",
});
const LabelValue = Type.String({ maxLength: 256, description: "label value" });

export const LabelsSchema = map("labelKey", LabelValue, "Labels: key → string value.");
export const VarsSchema = map(
  "varName",
  Scalar,
  "Variables usable as ${vars.<name>}: key → string, number or boolean.",
);

export const TargetsSchema = obj(
  {
    groups: Type.Array(plain("groupName", "an inventory group (including the implicit `all` and `ungrouped`)"), {
      minItems: 1,
      description: "Hosts in any of these inventory groups.",
    }),
    hosts: Type.Array(
      Type.String({ minLength: 1, maxLength: 253, description: "a host pattern, e.g. kvm[01:04].lab" }),
      {
        minItems: 1,
        description: "Hosts whose name matches any of these patterns.",
      },
    ),
    labels: Type.Record(Type.String({ pattern: PATTERNS.labelKey }), LabelValue, {
      minProperties: 1,
      description: "Hosts carrying every one of these labels.",
    }),
    facts: Type.Record(Type.String({ pattern: PATTERNS.factPath }), Scalar, {
      minProperties: 1,
      description: "Hosts whose facts have every one of these values (dotted fact path → value).",
    }),
  },
  [],
  {
    ...strict,
    minProperties: 1,
    description:
      "Which hosts get the policy. The entries are OR-ed; absent = all hosts. An empty targets block is rejected.",
  },
);

export const RolloutSchema = obj(
  {
    canary: Type.Integer({ minimum: 0, description: "Hosts converged first. Default 1." }),
    batchSize: Type.Unsafe<string | number>({
      type: ["string", "integer"],
      minimum: 1,
      pattern: PATTERNS.percent,
      description: 'Then batches of this many hosts, or a percentage of the targets ("25%"). Default "25%".',
    }),
    soak: plain(
      "duration",
      'After each batch, wait this long watching for failure and drift (ms, s, m, h). Default "30s".',
    ),
    maxFailures: Type.Integer({
      minimum: 0,
      description: "Failed hosts tolerated before the rollout stops. Default 0.",
    }),
    onFailure: choice(["rollback", "pause"], { description: "rollback | pause. Default rollback." }),
    offlineTimeout: plain(
      "duration",
      'How long a stage waits for a host that is offline when the stage needs it (ms, s, m, h). Default "10m".',
    ),
    offlineHosts: choice(["failed", "skipped"], {
      description: "What a host still offline after offlineTimeout counts as: failed | skipped. Default failed.",
    }),
  },
  [],
  { ...strict, description: "Staged rollout; every field optional." },
);

export const HostPrereqSchema = obj(
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
  },
  [],
  { ...strict, description: "Host prerequisites (checked; some repaired)." },
);

const DhcpHostSchema = obj(
  {
    mac: tpl("mac", "a MAC address (aa:bb:cc:dd:ee:ff)"),
    ip: tpl("ipv4", "an IPv4 address inside the subnet"),
    name: tpl("hostname", "a host name"),
  },
  ["mac", "ip"],
  strict,
);

export const NetworkSchema = obj(
  {
    name: tpl("resourceName", "letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters"),
    mode: choice(["nat", "route", "isolated", "bridge"], {
      description: "nat | route | isolated | bridge (required).",
    }),
    bridge: tpl("bridgeName", "a Linux interface name of at most 15 characters"),
    ipv4: obj(
      {
        address: tpl("ipv4", "an IPv4 address: the host's address on the network"),
        prefix: Type.Integer({ minimum: 1, maximum: 30, description: "subnet prefix length" }),
        dhcp: obj(
          {
            start: tpl("ipv4", "an IPv4 address inside the subnet"),
            end: tpl("ipv4", "an IPv4 address inside the subnet"),
            hosts: list(DhcpHostSchema, "Static DHCP leases. Default []."),
          },
          ["start", "end"],
          strict,
        ),
      },
      ["address", "prefix"],
      { ...strict, description: "IPv4 address and optional DHCP range. Not allowed with mode bridge. Default: none." },
    ),
    mtu: Type.Integer({ minimum: 68, maximum: 65535, description: "Default: libvirt's." }),
    autostart: Type.Boolean({ description: "Default false." }),
    state: choice(["active", "inactive", "absent"], { description: "active | inactive | absent. Default active." }),
  },
  ["name", "mode"],
  { ...strict, description: "A libvirt virtual network." },
);

export const PoolSchema = obj(
  {
    name: tpl("resourceName", "letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters"),
    type: Type.Literal("dir", { description: "dir (the only type in v1). Default dir." }),
    path: Type.String({ minLength: 1, maxLength: 4096, description: "Absolute, normalised directory path (no ..)." }),
    autostart: Type.Boolean({ description: "Default false." }),
    state: choice(["active", "inactive", "absent"], { description: "active | inactive | absent. Default active." }),
  },
  ["name", "path"],
  { ...strict, description: "A libvirt storage pool." },
);

export const VolumeSchema = obj(
  {
    name: tpl("volumeName", "letters, digits, '_', '.', '+' and '-', at most 255 characters, never '..'"),
    pool: tpl("resourceName", "the name of a pool"),
    format: choice(["qcow2", "raw"], { description: "qcow2 | raw. Default qcow2." }),
    capacity: size("Virtual size (required)."),
    backingVolume: tpl(
      "volumeName",
      "a volume in the same pool: this one becomes a copy-on-write overlay of it (qcow2 only)",
    ),
    source: obj(
      {
        url: tpl("url", "a file://, http:// or https:// URL"),
        sha256: tpl("sha256", "64 hexadecimal digits"),
      },
      ["url", "sha256"],
      { ...strict, description: "Import the content from url, then verify its sha256." },
    ),
    state: choice(["present", "absent"], { description: "present | absent. Default present." }),
  },
  ["name", "pool", "capacity"],
  { ...strict, description: "A volume in a storage pool; identity is (pool, name)." },
);

const DiskSchema = obj(
  {
    volume: tpl("volumeRef", "pool/volume"),
    bus: choice(["virtio", "sata", "scsi"], { description: "virtio | sata | scsi. Default virtio." }),
  },
  ["volume"],
  strict,
);

const InterfaceSchema = obj(
  {
    network: tpl("resourceName", "the name of a network"),
    model: choice(["virtio", "e1000", "e1000e", "rtl8139"], {
      description: "virtio | e1000 | e1000e | rtl8139. Default virtio.",
    }),
    mac: tpl("mac", "a unicast MAC address (aa:bb:cc:dd:ee:ff)"),
  },
  ["network"],
  {
    ...strict,
    description: 'A NIC. Without mac, one is derived: 52:54:00 + the first 3 bytes of sha256("<domain>/<index>").',
  },
);

const CloudInitUserSchema = obj(
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
  strict,
);

const CloudInitSchema = obj(
  {
    hostname: tpl("hostname", "a host name"),
    users: list(CloudInitUserSchema, "Default []."),
    packages: list(tpl("packageName", "a package name"), "Default []."),
    packageUpdate: Type.Boolean({ description: "Default false." }),
  },
  [],
  { ...strict, description: "NoCloud seed ISO generated on the host and attached as a cdrom. Default: none." },
);

export const DomainSchema = obj(
  {
    name: tpl("resourceName", "letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters"),
    vcpus: Type.Integer({ minimum: 1, maximum: 4096, description: "Required." }),
    memory: size("Required; at least 1MiB, a whole number of KiB."),
    cpu: choice(["host-model", "host-passthrough"], {
      description: "host-model | host-passthrough. Default host-model.",
    }),
    machine: tpl("machine", "a QEMU machine type, e.g. q35"),
    disks: list(DiskSchema, "Default []."),
    cdroms: list(
      Type.String({ minLength: 1, maxLength: 4096, description: "pool/volume or an absolute path to an .iso" }),
      "Default [].",
    ),
    interfaces: list(InterfaceSchema, "Default []."),
    cloudInit: CloudInitSchema,
    graphics: choice(["none", "vnc"], { description: "none | vnc (listens on 127.0.0.1 only). Default none." }),
    autostart: Type.Boolean({ description: "Default false." }),
    state: choice(["running", "shutoff", "paused", "absent"], {
      description: "running | shutoff | paused | absent. Default running.",
    }),
    restartOnChange: Type.Boolean({
      description: "Restart the guest for a change that needs a reboot. Default false.",
    }),
  },
  ["name", "vcpus", "memory"],
  { ...strict, description: "A libvirt domain (guest)." },
);

export const ResourcesSchema = obj(
  {
    host: HostPrereqSchema,
    networks: list(NetworkSchema, "Default []."),
    pools: list(PoolSchema, "Default []."),
    volumes: list(VolumeSchema, "Default []."),
    domains: list(DomainSchema, "Default []."),
  },
  [],
  strict,
);

export const PolicySchema = obj(
  {
    apiVersion: Type.Literal("virtfleet/v1"),
    kind: Type.Literal("Policy"),
    metadata: obj(
      {
        name: plain("policyName", "lower-case letters, digits and '-', 1 to 63 characters"),
        description: text("Free text."),
      },
      ["name"],
      strict,
    ),
    spec: obj(
      {
        targets: TargetsSchema,
        mode: choice(["enforce", "audit"], {
          description: "enforce (repair drift) | audit (report only). Default enforce.",
        }),
        priority: Type.Integer({
          minimum: -1000000,
          maximum: 1000000,
          description: "Higher wins when two policies claim one resource. Default 0.",
        }),
        vars: VarsSchema,
        rollout: RolloutSchema,
        resources: ResourcesSchema,
      },
      ["resources"],
      strict,
    ),
  },
  ["apiVersion", "kind", "metadata", "spec"],
  {
    ...strict,
    title: "virtfleet Policy",
    description: "A virtfleet policy document (apiVersion virtfleet/v1, kind Policy).",
  },
);

const GroupSchema = obj(
  {
    hosts: list(
      Type.String({ minLength: 1, maxLength: 253, description: "a host pattern, e.g. kvm[01:04].lab" }),
      "Host patterns in this group.",
    ),
    children: list(
      plain("groupName", "a group name"),
      "Nested groups: their hosts are in this group too. Cycles are an error.",
    ),
    labels: LabelsSchema,
    vars: VarsSchema,
  },
  [],
  strict,
);

const InventoryHostSchema = obj({ labels: LabelsSchema, vars: VarsSchema }, [], strict);

export const InventorySchema = obj(
  {
    groups: Type.Record(Type.String({ pattern: PATTERNS.groupName }), GroupSchema, {
      description: "Groups by name (`all` and `ungrouped` are implicit).",
    }),
    hosts: Type.Record(Type.String({ minLength: 1, maxLength: 253 }), InventoryHostSchema, {
      description: "Per-host labels and vars, keyed by host name or host pattern.",
    }),
  },
  [],
  { ...strict, title: "virtfleet inventory", description: "inventory.yaml: groups, host patterns, labels and vars." },
);

export type PolicyDocument = Static<typeof PolicySchema>;
export type PolicySpecDocument = PolicyDocument["spec"];
export type TargetsDocument = Static<typeof TargetsSchema>;
export type RolloutDocument = Static<typeof RolloutSchema>;
export type ResourcesDocument = Static<typeof ResourcesSchema>;
export type NetworkDocument = Static<typeof NetworkSchema>;
export type PoolDocument = Static<typeof PoolSchema>;
export type VolumeDocument = Static<typeof VolumeSchema>;
export type DomainDocument = Static<typeof DomainSchema>;
export type InventoryDocument = Static<typeof InventorySchema>;
export type VarValue = string | number | boolean;
