import { type Static, Type } from "@sinclair/typebox";
import {
  choice,
  nullable,
  obj,
  oneOf,
  resolvedObject,
  resourceNameField,
} from "../../policy-primitives/schema-builders.js";
import { POOL_TYPE_INFO, POOL_TYPES } from "./types.js";

const PATH_OPTIONAL_TYPES = POOL_TYPES.filter((t) => POOL_TYPE_INFO[t].path !== "required");

/** The pool kind: a libvirt storage pool (`spec.resources.pools[]`), identity `pool/NAME`. */

export { POOL_TYPES } from "./types.js";
export const POOL_STATES = ["active", "inactive", "absent"] as const;

const pathString = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });
const hostString = (description: string) => Type.String({ minLength: 1, maxLength: 253, description });

/** CHAP (iscsi) or cephx (rbd) credentials: a user name and a root-only file holding the secret. */
const CredentialsSchema = obj(
  {
    username: Type.String({ minLength: 1, maxLength: 256, description: "The user name libvirt logs in with." }),
    secretFile: pathString(
      "Absolute path, on the host, of a regular file holding the secret (CHAP password; Ceph key in base64 as `ceph auth get-key` prints it). Must not be group- or world-readable. Read by the agent into a libvirt secret object; never shown.",
    ),
  },
  ["username", "secretFile"],
);

/** Where a pool's storage comes from; which fields a type takes is in types.ts. */
const PoolSourceDocumentSchema = obj(
  {
    device: pathString("fs, disk: the block device under /dev (e.g. /dev/vdb1)."),
    devices: Type.Array(pathString("a block device under /dev"), {
      minItems: 1,
      maxItems: 64,
      description: "logical: the physical volumes under /dev the volume group is built from (needed for build: true).",
    }),
    format: Type.String({
      minLength: 1,
      maxLength: 32,
      description:
        "fs: the file system (auto, ext4, xfs, …; default auto). netfs: nfs | cifs | glusterfs (default nfs). disk: the partition table (gpt, dos, …; default gpt).",
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 255,
      description: "logical: the volume group name. rbd: the Ceph pool name.",
    }),
    host: hostString("netfs, iscsi, iscsi-direct: the server's host name or address."),
    hosts: Type.Array(hostString("a Ceph monitor, host or host:port"), {
      minItems: 1,
      maxItems: 16,
      description: "rbd: the Ceph monitors, each host or host:port.",
    }),
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      description: "iscsi, iscsi-direct: the portal port. Default 3260.",
    }),
    dir: pathString("netfs: the exported directory (NFS export, CIFS share path, Gluster volume path)."),
    target: Type.String({
      minLength: 1,
      maxLength: 223,
      description: "iscsi, iscsi-direct: the target IQN (iqn.2026-01.lab:guests).",
    }),
    initiator: Type.String({
      minLength: 1,
      maxLength: 223,
      description: "iscsi (optional), iscsi-direct (required): the initiator IQN libvirt logs in as.",
    }),
    chap: { ...CredentialsSchema, description: "iscsi, iscsi-direct: CHAP credentials. Default: none." },
    auth: { ...CredentialsSchema, description: "rbd: cephx credentials. Default: none." },
  },
  [],
  { description: "Where the pool's storage is; the fields each type takes are listed under Pool types." },
);

/** One entry of `spec.resources.pools` as a policy document writes it. */
export const PoolDocumentSchema = obj(
  {
    name: resourceNameField(),
    type: choice(POOL_TYPES, {
      description: "dir | fs | logical | netfs | disk | iscsi | iscsi-direct | rbd. Default dir.",
    }),
    path: pathString(
      "The target: absolute, normalised path (no ..). dir/fs/netfs: the directory or mount point (required unless state is absent). disk: default /dev. iscsi: default /dev/disk/by-path. Not allowed for logical, iscsi-direct, rbd.",
    ),
    source: PoolSourceDocumentSchema,
    build: Type.Boolean({
      description:
        "fs, disk, logical: when the pool is created, write its file system / partition table / volume group onto the source device(s). Refused on a device that already holds a file system or partition table unless overwrite is true. Default false.",
    }),
    overwrite: Type.Boolean({
      description: "With build: format the device even if it holds a file system or partition table. Default false.",
    }),
    autostart: Type.Boolean({ description: "Default false." }),
    adopt: Type.Boolean({
      description:
        "Take over an existing object of this name that virtfleet did not create (no ownership record/marker). Without it such an object is reported conflict and left alone. Default false.",
    }),
    state: choice(POOL_STATES, { description: "active | inactive | absent. Default active." }),
  },
  ["name"],
  {
    description: "A libvirt storage pool.",
    // path is required unless state is absent or the type has a default or no target path
    if: {
      anyOf: [
        { properties: { state: { const: "absent" } }, required: ["state"] },
        { properties: { type: { enum: PATH_OPTIONAL_TYPES } }, required: ["type"] },
      ],
    },
    else: { properties: { path: true }, required: ["path"] },
  },
);
export type PoolDocument = Static<typeof PoolDocumentSchema>;
export type PoolSourceDocument = Static<typeof PoolSourceDocumentSchema>;

const ResolvedCredentialsSchema = resolvedObject({ username: Type.String(), secretFile: Type.String() });
export type PoolCredentials = Static<typeof ResolvedCredentialsSchema>;

/**
 * A resolved source: only the fields the pool's type takes, with defaults filled in (format,
 * port). Open like every resolved spec.
 */
export const PoolSourceSpecSchema = Type.Object({
  device: Type.Optional(Type.String()),
  devices: Type.Optional(Type.Array(Type.String())),
  format: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  hosts: Type.Optional(Type.Array(Type.String())),
  port: Type.Optional(Type.Integer()),
  dir: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  initiator: Type.Optional(Type.String()),
  chap: Type.Optional(ResolvedCredentialsSchema),
  auth: Type.Optional(ResolvedCredentialsSchema),
});
export type PoolSourceSpec = Static<typeof PoolSourceSpecSchema>;

/** A resolved pool. */
export const PoolSpecSchema = resolvedObject({
  name: Type.String(),
  type: oneOf(POOL_TYPES),
  /** Absolute, normalised path; null for types without a target path (logical, iscsi-direct, rbd). */
  path: nullable(Type.String()),
  /** Absent for dir pools (and from bundles of agents before pool types). */
  source: Type.Optional(PoolSourceSpecSchema),
  /** Present (true) only when the policy says build: true / overwrite: true. */
  build: Type.Optional(Type.Boolean()),
  overwrite: Type.Optional(Type.Boolean()),
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(POOL_STATES),
});
export type PoolSpec = Static<typeof PoolSpecSchema>;
