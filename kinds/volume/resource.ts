import { checkVolumeSpec } from "./check.js";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes } from "../../common/units.js";
import { ValidationError, VirtfleetError } from "../../common/errors.js";
import type { VolumeSpec } from "./spec.js";
import {
  RefusedChangeError,
  resourceId,
  type CheckResult,
  type FieldChange,
  type Resource,
} from "../../engine/index.js";
import type { PoolRef, VolumeRef } from "../../libvirt/index.js";
import { volumeCreateFlags } from "./allocation.js";
import { nextPartitionName, parsePoolFacts, type PoolFacts } from "./pool-facts.js";
import { poolTypeProblems, poolVolumeRules } from "./pool-formats.js";
import { buildVolumeXml, effectiveFormat } from "./xml-build.js";
import { diffVolume, effectiveCapacity } from "./xml-diff.js";
import { parseVolumeXml } from "./xml-parse.js";
import { orNull, type ResourceContext } from "../resource-context.js";
import { importIntoDir, redactUrl } from "./import/index.js";
import { assertValidSpec } from "../spec-guard.js";
import { refuseDestructive, refuseUnresizable } from "./refusals.js";
import { ADOPT_CHANGE, claimExisting, forgetRemoved, recordCreated, recordCreating } from "../ownership/index.js";

/**
 * A volume in a pool: created with its capacity and format, optionally as a copy-on-write
 * overlay of another volume in the same pool. Capacity only grows in place; a shrink, a
 * format change or a different backing volume would destroy data, so they are refused as
 * `blocked` in dry-run and apply alike (refusals.ts; set `state: absent`, apply, then declare
 * it again to recreate on purpose).
 * Named `pool/volume`.
 * An existing volume virtfleet did not create (no record of its path) is left alone (conflict)
 * unless the policy says `adopt: true` (kinds/ownership).
 *
 * What a volume may be depends on its pool's type (pool-formats.ts): the type declared in the
 * bundle (`declaredPoolType`, set by kinds/build-resources.ts) while the pool does not exist
 * yet, else the `type` of the pool's XML. A format, allocation, overlay or import the pool
 * type does not support, or any volume in a LUN-only pool (iscsi, iscsi-direct, scsi, mpath),
 * fails the check before anything is touched (dry-run and apply alike). In a pool whose
 * backend cannot resize (disk), a capacity grow is refused as `blocked`. In a disk pool a
 * volume is a partition, which libvirt names after the device (`loop0p1`): a name other than
 * the next partition's fails before parted is run (libvirt would leave the partition behind).
 *
 * With `cloneFrom`, a missing volume is created as a copy of another volume of the same pool
 * (virStorageVolCreateXMLFrom), then grown to the declared capacity when the copy is smaller;
 * a source larger than the declared capacity is refused as `blocked` (the copy would be cut).
 * `allocation` is passed at creation only (allocation.ts) and never compared afterwards.
 *
 * With `source`, a missing volume is imported instead of created (file pools: dir, fs, netfs;
 * see volume-import/import-into-dir.ts): the file appears in the pool only once its sha256, format
 * and size check out, then it grows to the declared capacity. An image larger than the
 * capacity is refused before anything is imported. Once the volume exists, `source` is not
 * compared again (the guest writes into the volume, and re-hashing an image on every check
 * would be slow): capacity and format are checked as for any volume, a changed `source`
 * in the policy does not re-import, and content changed out of band is not detected.
 */
export class VolumeResource implements Resource {
  readonly kind = "volume";
  readonly name: string;
  readonly removing: boolean;
  /** The pool's type when a policy of the bundle declares the pool (kinds/build-resources.ts). */
  declaredPoolType: string | undefined;

  constructor(
    readonly spec: VolumeSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    private readonly ctx: ResourceContext,
  ) {
    assertValidSpec("volume", spec, `${spec.pool}/${spec.name}`, checkVolumeSpec);
    this.name = `${spec.pool}/${spec.name}`;
    this.removing = spec.state === "absent";
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const pool = await orNull(hv.pool(this.spec.pool));
    if (!pool) {
      if (this.removing) return { changes: [] };
      if (this.declaredPoolType !== undefined) this.checkPoolType(this.declaredPoolType);
      if (apply)
        throw new VirtfleetError(
          "POOL_MISSING",
          `pool ${this.spec.pool} does not exist; declare it in a policy or create it first`,
        );
      return { changes: [{ field: "state", from: "absent", to: "present", disruption: "live" }] };
    }
    if (!(await hv.poolIsActive(pool))) {
      if (!apply)
        return {
          changes: this.removing
            ? []
            : [{ field: "state", from: "unknown (pool inactive)", to: "present", disruption: "live" }],
        };
      throw new VirtfleetError(
        "POOL_INACTIVE",
        `pool ${this.spec.pool} is not active, so its volumes cannot be read or changed; set the pool's state to active`,
      );
    }
    const facts = parsePoolFacts(await hv.poolXml(pool));
    if (!this.removing) this.checkPoolType(facts.type);
    const vol = await orNull(hv.volume(pool, this.spec.name));
    if (this.removing) {
      if (!vol) return { changes: [] };
      if (apply) {
        await hv.deleteVolume(vol);
        forgetRemoved(this.ctx.ownership, "volume", this.name);
      }
      return { changes: [{ field: "state", from: "present", to: "absent", disruption: "live" }] };
    }

    if (!vol && this.spec.source) return this.importSource(signal, apply, pool, facts);
    if (!vol && facts.type === "disk") await this.checkPartitionName(pool, facts);
    if (!vol && this.spec.cloneFrom !== undefined) return this.createClone(apply, pool, facts.type);
    const backing = await this.backing();
    if (!vol) {
      const changes: FieldChange[] = [{ field: "state", from: "absent", to: "present", disruption: "live" }];
      if (apply) {
        if (this.spec.backingVolume && !backing) {
          throw new VirtfleetError(
            "BACKING_MISSING",
            `backing volume ${this.spec.pool}/${this.spec.backingVolume} does not exist`,
          );
        }
        this.recordCreating();
        const xml = buildVolumeXml(this.spec, { ...backing, poolType: facts.type });
        const format = effectiveFormat(this.spec.format, facts.type);
        const created = await hv.createVolume(pool, xml, volumeCreateFlags(format, this.spec.allocationBytes));
        this.recordCreated(created);
      }
      return { changes };
    }

    const claim = await claimExisting(
      this.ctx.ownership,
      { kind: "volume", name: this.name, identity: vol.key, policy: this.policy, adopt: this.spec.adopt === true },
      apply,
    );
    const result = await this.compare(vol, apply, backing, facts.type);
    return claim.adopting ? { ...result, changes: [ADOPT_CHANGE, ...result.changes] } : result;
  }

  /** Before creating or importing it (claim.ts recordCreating: a kill -9 mid-create leaves it owned). */
  private recordCreating(): void {
    recordCreating(this.ctx.ownership, { kind: "volume", name: this.name, policy: this.policy });
  }

  private recordCreated(vol: VolumeRef): void {
    recordCreated(this.ctx.ownership, { kind: "volume", name: this.name, identity: vol.key, policy: this.policy });
  }

  /** Throws ValidationError when the pool's type cannot hold this volume as declared (pool-formats.ts). */
  private checkPoolType(poolType: string): void {
    const s = this.spec;
    const problems = poolTypeProblems(s.pool, poolType, {
      format: s.format,
      allocation: s.allocationBytes !== undefined,
      backingVolume: s.backingVolume !== null,
      source: s.source !== null,
    });
    if (problems.length > 0)
      throw new ValidationError(
        `volume ${this.name}: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}; nothing was changed`,
      );
  }

  /** A disk pool's volume must be named as libvirt will name the next partition (pool-facts.ts). */
  private async checkPartitionName(pool: PoolRef, facts: PoolFacts): Promise<void> {
    if (!facts.sourceDevice) return;
    const { hv } = this.ctx;
    const names = (await hv.volumes(pool)).map((v) => v.name);
    const next = await nextPartitionName(facts.sourceDevice, names);
    if (this.spec.name !== next)
      throw new ValidationError(
        `volume ${this.name}: in a disk pool a volume is a partition of ${facts.sourceDevice}, named as the kernel names it; ` +
          `the next partition created there is ${next}, so name this volume ${next} (partitions are numbered in creation order); nothing was changed`,
      );
  }

  /** Creates the missing volume as a copy of `spec.cloneFrom` (apply) or reports that it would. */
  private async createClone(apply: boolean, pool: PoolRef, poolType: string): Promise<CheckResult> {
    const { hv } = this.ctx;
    const from = this.spec.cloneFrom!;
    const changes: FieldChange[] = [
      { field: "state", from: "absent", to: "present", disruption: "live" },
      { field: "cloneFrom", from: null, to: from, disruption: "live" },
    ];
    const source = await orNull(hv.volume(pool, from));
    if (!source) {
      if (!apply) return { changes };
      throw new VirtfleetError(
        "CLONE_SOURCE_MISSING",
        `volume ${this.name}: cloneFrom ${this.spec.pool}/${from} does not exist; declare it in a policy (it is then created first) or create it`,
      );
    }
    const format = effectiveFormat(this.spec.format, poolType);
    const want = effectiveCapacity(format, this.spec.capacityBytes);
    const sourceCapacity = (await hv.volumeInfo(source)).capacity;
    if (sourceCapacity > want)
      throw new RefusedChangeError(
        "blocked",
        `volume/${this.name}: cloneFrom ${from} has a capacity of ${formatBytes(sourceCapacity)} (${sourceCapacity} bytes), more than the declared ` +
          `${formatBytes(this.spec.capacityBytes)}; a copy cannot be smaller than its source without cutting its data, so declare a capacity of at least ${sourceCapacity} bytes`,
        changes,
      );
    if (!apply) return { changes };
    this.recordCreating();
    const xml = buildVolumeXml(this.spec, { poolType });
    const created = await hv.cloneVolume(pool, xml, source, volumeCreateFlags(format, this.spec.allocationBytes));
    this.recordCreated(created);
    const notes = [`cloned from ${this.spec.pool}/${from}`];
    const got = (await hv.volumeInfo(created)).capacity;
    if (got < want && poolVolumeRules(poolType)?.resizable) {
      await hv.resizeVolume(created, this.spec.capacityBytes);
      changes.push({ field: "capacity", from: got, to: this.spec.capacityBytes, disruption: "live" });
    } else if (got < want) {
      // The next check reports the grow as blocked (refusals.ts refuseUnresizable).
      notes.push(`the copy has ${formatBytes(got)}; a pool of type ${poolType} cannot grow it to ${formatBytes(want)}`);
    }
    return { changes, notes };
  }

  private async compare(
    vol: VolumeRef,
    apply: boolean,
    backing: { backingPath: string; backingFormat: string } | null,
    poolType: string,
  ): Promise<CheckResult> {
    const { hv } = this.ctx;
    const actual = parseVolumeXml(await hv.volumeXml(vol));
    const changes = diffVolume(this.spec, actual, { ...backing, poolType });
    refuseDestructive(this.name, changes);
    if (poolVolumeRules(poolType)?.resizable === false) refuseUnresizable(this.name, poolType, changes);
    if (!apply || changes.length === 0) return { changes };
    for (const c of changes) {
      if (c.field === "capacity") await hv.resizeVolume(vol, this.spec.capacityBytes);
    }
    return { changes };
  }

  /** Creates the missing volume from `spec.source` (apply) or reports that it would. */
  private async importSource(
    signal: AbortSignal,
    apply: boolean,
    pool: PoolRef,
    facts: PoolFacts,
  ): Promise<CheckResult> {
    const { hv, progress } = this.ctx;
    const source = this.spec.source!;
    const shown = redactUrl(source.url);
    const changes: FieldChange[] = [
      { field: "state", from: "absent", to: "present", disruption: "live" },
      { field: "source", from: null, to: shown, disruption: "live" },
    ];
    if (!apply) return { changes };
    if (this.spec.backingVolume !== null)
      throw new ValidationError(`volume ${this.name}: source and backingVolume exclude each other`);
    const dir = facts.targetPath;
    const format = effectiveFormat(this.spec.format, facts.type);
    if (!poolVolumeRules(facts.type)?.importable || !dir || (format !== "qcow2" && format !== "raw")) {
      throw new VirtfleetError(
        "IMPORT_UNSUPPORTED",
        `volume ${this.name}: importing from a source needs a file pool (dir, fs, netfs) and format qcow2 or raw; pool ${this.spec.pool} is of type ${facts.type}`,
      );
    }
    // Published by an interrupted run (verified) but not yet listed by libvirt.
    if (await fileExists(join(dir, this.spec.name))) {
      await hv.refreshPool(pool);
      const found = await orNull(hv.volume(pool, this.spec.name));
      if (found) {
        this.recordCreated(found);
        return this.compare(found, apply, null, facts.type);
      }
    }

    const id = resourceId("volume", this.name);
    const want = effectiveCapacity(format, this.spec.capacityBytes);
    this.recordCreating();
    const imported = await importIntoDir({
      dir,
      name: this.spec.name,
      source,
      format,
      maxVirtualSize: want,
      maxBytes: importByteLimit(want),
      signal,
      idleTimeoutMs: this.ctx.importIdleTimeoutMs,
      resource: id,
      progress,
    });
    await hv.refreshPool(pool);
    const vol = await hv.volume(pool, this.spec.name);
    this.recordCreated(vol);
    if (imported.virtualSize < want) {
      progress?.({ resource: id, phase: "resize", bytes: imported.virtualSize, total: this.spec.capacityBytes });
      await hv.resizeVolume(vol, this.spec.capacityBytes);
      changes.push({ field: "capacity", from: imported.virtualSize, to: this.spec.capacityBytes, disruption: "live" });
    }
    return { changes, notes: [`imported ${formatBytes(imported.bytes)} from ${shown}; sha256 verified`] };
  }

  /** Path and format of the backing volume, when the spec names one that exists. */
  private async backing(): Promise<{ backingPath: string; backingFormat: string } | null> {
    if (!this.spec.backingVolume) return null;
    const ref = await orNull(this.ctx.hv.volume(this.spec.pool, this.spec.backingVolume));
    if (!ref) return null;
    const parsed = parseVolumeXml(await this.ctx.hv.volumeXml(ref));
    return { backingPath: parsed.path ?? (await this.ctx.hv.volumePath(ref)), backingFormat: parsed.format ?? "raw" };
  }
}

/**
 * The largest image file accepted for a volume of `capacity` bytes: the capacity plus room
 * for qcow2 metadata (a larger file cannot hold an image that fits, and must not fill the disk).
 */
export function importByteLimit(capacity: number): number {
  return capacity + Math.max(64 * 1024 * 1024, Math.ceil(capacity / 8));
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
}
