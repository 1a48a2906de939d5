import type { Disruption } from "../../common/changes.js";

/**
 * The one description of every pool type: which `source` fields it takes (libvirt's storage
 * pool XML, formatstorage), whether it has a target path, what `build` does, and the
 * disruption class of every field. xml-build, xml-parse, xml-diff, semantics, check, the
 * resource and docs/policy.md read from here; nothing else lists pool types.
 */

export const POOL_TYPES = ["dir", "fs", "logical", "netfs", "disk", "iscsi", "iscsi-direct", "rbd"] as const;
export type PoolType = (typeof POOL_TYPES)[number];

/** The fields of a pool's `source` (policy names). */
export const SOURCE_FIELDS = [
  "device",
  "devices",
  "format",
  "name",
  "host",
  "hosts",
  "port",
  "dir",
  "target",
  "initiator",
  "chap",
  "auth",
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** Source formats: file systems of an `fs` pool, network file systems, partition table labels. */
export const FS_FORMATS = [
  "auto",
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "vfat",
  "iso9660",
  "udf",
  "gfs",
  "gfs2",
  "ocfs2",
  "hfs+",
  "ufs",
  "vmfs",
] as const;
export const NETFS_FORMATS = ["nfs", "cifs", "glusterfs"] as const;
export const DISK_FORMATS = ["gpt", "dos", "dvh", "mac", "bsd", "pc98", "sun"] as const;

/**
 * What `build` does for the type:
 * - `mkdir`: libvirt creates the target directory (always done when the pool is created);
 * - `formats`: writes a file system, partition table or LVM volume group onto the source
 *   device(s): only with `build: true`, refused on a device that holds a file system or
 *   partition table unless `overwrite: true`;
 * - `none`: nothing to build (network sources).
 */
export type BuildKind = "mkdir" | "formats" | "none";

/** Which secret object the type's credentials need (libvirt secret usage type), if any. */
export type SecretUsage = "iscsi" | "ceph";

export interface PoolTypeInfo {
  /** Source fields the type requires / allows (required ⊆ allowed). */
  requiredSource: readonly SourceField[];
  allowedSource: readonly SourceField[];
  /** `required`: the policy sets `path`; `default`: optional, `defaultPath` when left out; `none`: no target path. */
  path: "required" | "default" | "none";
  defaultPath?: string;
  /** True when two pools with the same `path` on one host collide (a mount point or directory). */
  pathIsExclusive: boolean;
  build: BuildKind;
  /** Allowed `source.format` values and the default (`null`: the type has no format). */
  formats: readonly string[] | null;
  defaultFormat: string | null;
  /** The source field holding credentials (`chap` or `auth`) and its secret usage type. */
  credentials: { field: "chap" | "auth"; usage: SecretUsage } | null;
  /** `source.port` default for `host` (iscsi: 3260); null when the type has no single host. */
  defaultPort: number | null;
}

const NET_ISCSI: readonly SourceField[] = ["host", "port", "target", "initiator", "chap"];

export const POOL_TYPE_INFO: Readonly<Record<PoolType, PoolTypeInfo>> = {
  dir: {
    requiredSource: [],
    allowedSource: [],
    path: "required",
    pathIsExclusive: true,
    build: "mkdir",
    formats: null,
    defaultFormat: null,
    credentials: null,
    defaultPort: null,
  },
  fs: {
    requiredSource: ["device"],
    allowedSource: ["device", "format"],
    path: "required",
    pathIsExclusive: true,
    build: "formats",
    formats: FS_FORMATS,
    defaultFormat: "auto",
    credentials: null,
    defaultPort: null,
  },
  logical: {
    requiredSource: ["name"],
    allowedSource: ["name", "devices"],
    path: "none",
    pathIsExclusive: false,
    build: "formats",
    formats: null,
    defaultFormat: null,
    credentials: null,
    defaultPort: null,
  },
  netfs: {
    requiredSource: ["host", "dir"],
    allowedSource: ["host", "dir", "format"],
    path: "required",
    pathIsExclusive: true,
    build: "mkdir",
    formats: NETFS_FORMATS,
    defaultFormat: "nfs",
    credentials: null,
    defaultPort: null,
  },
  disk: {
    requiredSource: ["device"],
    allowedSource: ["device", "format"],
    path: "default",
    defaultPath: "/dev",
    pathIsExclusive: false,
    build: "formats",
    formats: DISK_FORMATS,
    defaultFormat: "gpt",
    credentials: null,
    defaultPort: null,
  },
  iscsi: {
    requiredSource: ["host", "target"],
    allowedSource: NET_ISCSI,
    path: "default",
    defaultPath: "/dev/disk/by-path",
    pathIsExclusive: false,
    build: "none",
    formats: null,
    defaultFormat: null,
    credentials: { field: "chap", usage: "iscsi" },
    defaultPort: 3260,
  },
  "iscsi-direct": {
    // libvirt's iscsi-direct backend (libiscsi, no host mount) requires the initiator IQN
    requiredSource: ["host", "target", "initiator"],
    allowedSource: NET_ISCSI,
    path: "none",
    pathIsExclusive: false,
    build: "none",
    formats: null,
    defaultFormat: null,
    credentials: { field: "chap", usage: "iscsi" },
    defaultPort: 3260,
  },
  rbd: {
    requiredSource: ["hosts", "name"],
    allowedSource: ["hosts", "name", "auth"],
    path: "none",
    pathIsExclusive: false,
    build: "none",
    formats: null,
    defaultFormat: null,
    credentials: { field: "auth", usage: "ceph" },
    defaultPort: null,
  },
};

/**
 * The disruption class of each field of a defined pool:
 * - `recreate`: where the pool's storage is (type, target path, source device, host,
 *   export, VG, iSCSI target, Ceph pool…): the pool is redefined (and restarted) elsewhere,
 *   so this is refused while the pool holds volumes (refusals.ts);
 * - `restart`: how the pool logs in (initiator IQN, CHAP/Ceph user and secret content): the
 *   definition or secret is updated now, an active pool uses it from its next start.
 */
export const FIELD_DISRUPTION: Readonly<Record<string, Disruption>> = {
  type: "recreate",
  path: "recreate",
  "source.device": "recreate",
  "source.devices": "recreate",
  "source.format": "recreate",
  "source.name": "recreate",
  "source.host": "recreate",
  "source.hosts": "recreate",
  "source.port": "recreate",
  "source.dir": "recreate",
  "source.target": "recreate",
  "source.initiator": "restart",
  "source.chap.username": "restart",
  "source.chap.secret": "restart",
  "source.chap.secretRef": "restart",
  "source.auth.username": "restart",
  "source.auth.secret": "restart",
  "source.auth.secretRef": "restart",
};

export function disruptionOf(field: string): Disruption {
  return FIELD_DISRUPTION[field] ?? "recreate";
}

export function isPoolType(t: string): t is PoolType {
  return (POOL_TYPES as readonly string[]).includes(t);
}
