/**
 * What a volume may be in each libvirt pool type (formatstorage, the storage backends of
 * libvirt 9): which `format` values are accepted, whether the pool creates volumes at all,
 * and which of `allocation`, `backingVolume`, `source` (import), `cloneFrom` and a capacity
 * grow its backend carries out. One table, read by the policy rules (semantics.ts, when the
 * pool is declared in the same policy) and by the resource at checkApply (the pool's type
 * from the bundle, else from libvirt's pool XML).
 *
 * Facts checked on this machine (libvirt 9.0, qemu-img 7.2):
 * - file pools (dir, fs, netfs) create raw, qcow2, qed, vmdk, vpc and vdi through qemu-img or
 *   a plain file; read-only image formats (dmg, cloop, bochs, iso) cannot be created;
 * - disk pools create GPT/DOS partitions whose `format` is the partition type (`none`,
 *   `linux`, …); libvirt cannot resize a partition ("storage pool does not support changing
 *   of volume capacity"), and a partition is always fully allocated;
 * - logical pools create LVs with no format (a raw block device); allocation below capacity
 *   is a thin (sparse) LV; rbd images are raw and thin, with no format element;
 * - iscsi, iscsi-direct, scsi and mpath pools only list the LUNs the target or host has:
 *   libvirt has no volume-create for them.
 */

/** Image formats a file pool (dir, fs, netfs) can create. */
export const FILE_FORMATS = ["raw", "qcow2", "qed", "vmdk", "vpc", "vdi"] as const;

/** Partition types a disk pool accepts as `format` (libvirt's virStorageVolFormatDisk). */
export const PARTITION_TYPES = [
  "none",
  "linux",
  "fat16",
  "fat32",
  "linux-swap",
  "linux-lvm",
  "linux-raid",
  "extended",
] as const;

/** Every `format` a volume may declare in some pool type. */
export const VOLUME_FORMATS = [...FILE_FORMATS, ...PARTITION_TYPES] as const;
export type VolumeFormat = (typeof VOLUME_FORMATS)[number];

export interface PoolVolumeRules {
  /** False: the pool only lists what its source has (LUNs); declaring a volume is an error. */
  readonly creatable: boolean;
  /** The formats a volume may declare; empty: none may be declared. */
  readonly formats: readonly string[];
  /** The format an undeclared `format` means (compared as drift); null: no format element is written or compared. */
  readonly defaultFormat: string | null;
  /** The backend grows a volume in place (virStorageVolResize). */
  readonly resizable: boolean;
  /** `allocation` means something at creation (sparse … preallocated). */
  readonly allocation: boolean;
  /** `backingVolume` (a qcow2 copy-on-write overlay in the same pool). */
  readonly backing: boolean;
  /** `source` (import from a URL into the pool's directory). */
  readonly importable: boolean;
  /** Why, in a phrase, for messages: what a volume is in this pool type. */
  readonly what: string;
}

const FILE_POOL: PoolVolumeRules = {
  creatable: true,
  formats: FILE_FORMATS,
  defaultFormat: "qcow2",
  resizable: true,
  allocation: true,
  backing: true,
  importable: true,
  what: "an image file",
};

const LUN_POOL: PoolVolumeRules = {
  creatable: false,
  formats: [],
  defaultFormat: null,
  resizable: false,
  allocation: false,
  backing: false,
  importable: false,
  what: "a LUN of the target, which libvirt cannot create",
};

export const POOL_VOLUME_RULES: Readonly<Record<string, PoolVolumeRules>> = {
  dir: FILE_POOL,
  fs: FILE_POOL,
  netfs: FILE_POOL,
  logical: {
    creatable: true,
    formats: [],
    defaultFormat: null,
    resizable: true,
    allocation: true,
    backing: false,
    importable: false,
    what: "a logical volume (a raw block device, no format)",
  },
  disk: {
    creatable: true,
    formats: PARTITION_TYPES,
    defaultFormat: null,
    resizable: false,
    allocation: false,
    backing: false,
    importable: false,
    what: "a partition (format is its partition type)",
  },
  rbd: {
    creatable: true,
    formats: ["raw"],
    defaultFormat: null,
    resizable: true,
    allocation: false,
    backing: false,
    importable: false,
    what: "an RBD image (always raw and thin)",
  },
  iscsi: LUN_POOL,
  "iscsi-direct": LUN_POOL,
  scsi: LUN_POOL,
  mpath: LUN_POOL,
};

/** The rules of `poolType`, or null for a type this table does not know. */
export function poolVolumeRules(poolType: string): PoolVolumeRules | null {
  return Object.hasOwn(POOL_VOLUME_RULES, poolType) ? POOL_VOLUME_RULES[poolType]! : null;
}

/** What a volume declares that the table checks (document or resolved spec alike). */
export interface VolumeTraits {
  format?: string | null;
  /** Declared (any value, 0 included). */
  allocation?: boolean;
  backingVolume?: boolean;
  source?: boolean;
  cloneFrom?: boolean;
}

/** The field a problem is about, and the problem in a phrase that names the pool and its type. */
export interface PoolTypeProblem {
  field: "pool" | "format" | "allocation" | "backingVolume" | "source";
  message: string;
}

/**
 * The problems of declaring a present volume with `t` in pool `pool` of type `poolType`;
 * empty when it fits. An unknown pool type is one problem (the table has no rules for it).
 */
export function poolTypeProblems(pool: string, poolType: string, t: VolumeTraits): PoolTypeProblem[] {
  const where = `pool "${pool}" is of type ${poolType}`;
  const rules = poolVolumeRules(poolType);
  if (!rules)
    return [
      {
        field: "pool",
        message: `${where}, in which virtfleet does not manage volumes (known types: ${Object.keys(POOL_VOLUME_RULES).join(", ")})`,
      },
    ];
  if (!rules.creatable)
    return [
      {
        field: "pool",
        message: `${where}: its volumes are ${rules.what}; remove this volume and refer to the LUN by its name in the pool instead`,
      },
    ];
  const out: PoolTypeProblem[] = [];
  if (t.format !== undefined && t.format !== null && !rules.formats.includes(t.format)) {
    out.push({
      field: "format",
      message:
        rules.formats.length === 0
          ? `${where}: a volume there is ${rules.what}; leave format out`
          : `${where}: format ${t.format} is not one it supports (${rules.formats.join(", ")})`,
    });
  }
  if (t.allocation && !rules.allocation)
    out.push({ field: "allocation", message: `${where}: a volume there is ${rules.what}; leave allocation out` });
  if (t.backingVolume && !rules.backing)
    out.push({
      field: "backingVolume",
      message: `${where}: a copy-on-write overlay needs a file pool (dir, fs, netfs) and format qcow2`,
    });
  if (t.source && !rules.importable)
    out.push({ field: "source", message: `${where}: importing from a URL needs a file pool (dir, fs, netfs)` });
  return out;
}
