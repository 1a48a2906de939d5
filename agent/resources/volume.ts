import { VirtfleetError, type VolumeSpec } from "../../common/index.js";
import type { CheckResult, FieldChange, Resource } from "../engine/index.js";
import { buildVolumeXml, diffVolume, parseVolumeXml } from "../xml/index.js";
import { orNull, type ResourceContext } from "./context.js";

export class DestructiveChangeError extends VirtfleetError {
  constructor(message: string) {
    super("DESTRUCTIVE_CHANGE", message);
  }
}

/**
 * A volume in a pool: created with its capacity and format, optionally as a copy-on-write
 * overlay of another volume in the same pool. Capacity only grows in place; a shrink, a
 * format change or a different backing volume would destroy data, so they are reported and
 * refused (set `state: absent`, apply, then declare it again to recreate on purpose).
 * Named `pool/volume`.
 */
export class VolumeResource implements Resource {
  readonly kind = "volume";
  readonly name: string;
  readonly removing: boolean;

  constructor(
    readonly spec: VolumeSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    private readonly ctx: ResourceContext,
  ) {
    this.name = `${spec.pool}/${spec.name}`;
    this.removing = spec.state === "absent";
  }

  async checkApply(_signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const pool = await orNull(hv.pool(this.spec.pool));
    if (!pool) {
      if (this.removing) return { changes: [] };
      if (apply) throw new VirtfleetError("POOL_MISSING", `pool ${this.spec.pool} does not exist; declare it in a policy or create it first`);
      return { changes: [{ field: "state", from: "absent", to: "present", disruption: "live" }] };
    }
    if (!(await hv.poolIsActive(pool))) {
      if (!apply) return { changes: this.removing ? [] : [{ field: "state", from: "unknown (pool inactive)", to: "present", disruption: "live" }] };
      throw new VirtfleetError("POOL_INACTIVE", `pool ${this.spec.pool} is not active, so its volumes cannot be read or changed; set the pool's state to active`);
    }
    const vol = await orNull(hv.volume(pool, this.spec.name));
    if (this.removing) {
      if (!vol) return { changes: [] };
      if (apply) await hv.deleteVolume(vol);
      return { changes: [{ field: "state", from: "present", to: "absent", disruption: "live" }] };
    }

    const backing = await this.backing();
    if (!vol) {
      const changes: FieldChange[] = [{ field: "state", from: "absent", to: "present", disruption: "live" }];
      if (apply) {
        if (this.spec.backingVolume && !backing) {
          throw new VirtfleetError("BACKING_MISSING", `backing volume ${this.spec.pool}/${this.spec.backingVolume} does not exist`);
        }
        await hv.createVolume(pool, buildVolumeXml(this.spec, backing ?? {}));
      }
      return { changes };
    }

    const actual = parseVolumeXml(await hv.volumeXml(vol));
    const changes = diffVolume(this.spec, actual, backing ?? {});
    if (!apply || changes.length === 0) return { changes };
    const destructive = changes.filter((c) => c.destructive);
    if (destructive.length > 0) {
      throw new DestructiveChangeError(
        `volume ${this.name}: changing ${destructive.map((c) => c.field).join(", ")} would destroy its data; ` +
          "to recreate it on purpose set state: absent, apply, then declare it again",
      );
    }
    for (const c of changes) {
      if (c.field === "capacity") await hv.resizeVolume(vol, this.spec.capacityBytes);
    }
    return { changes };
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
