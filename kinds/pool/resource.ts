import { checkPoolSpec } from "./check.js";
import type { PoolSpec } from "./spec.js";
import type { CheckResult, FieldChange, Resource } from "../../engine/index.js";
import { buildPoolXml } from "./xml-build.js";
import { diffPool } from "./xml-diff.js";
import { parsePoolXml } from "./xml-parse.js";
import { refuseStrandingRedefine, refuseStrandingRemoval } from "./refusals.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { assertValidSpec } from "../spec-guard.js";
import { ADOPT_CHANGE, claimExisting, forgetRemoved, recordCreated, recordCreating } from "../ownership/index.js";

/**
 * A storage pool (type dir). Creating one defines it, builds it (libvirt creates the
 * directory) and starts it; removal destroys and undefines it but never deletes the
 * directory, and is refused (`blocked`) while the pool still holds volumes the policies do not
 * remove. A different path or type redefines the pool (with its UUID) and restarts it if
 * active — only when it holds no volumes: otherwise the change is refused (`blocked`,
 * refusals.ts), in dry-run and apply alike.
 * An existing pool virtfleet did not create is left alone (conflict) unless the policy says
 * `adopt: true` (kinds/ownership).
 */
export class PoolResource implements Resource {
  readonly kind = "pool";
  readonly name: string;
  readonly removing: boolean;

  constructor(
    readonly spec: PoolSpec,
    readonly policy: string,
    readonly dependsOn: string[],
    /** Volumes in this pool the policies remove (they go first). */
    private readonly volumesBeingRemoved: ReadonlySet<string>,
    private readonly ctx: ResourceContext,
  ) {
    assertValidSpec("pool", spec, spec.name, checkPoolSpec);
    this.name = spec.name;
    this.removing = spec.state === "absent";
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const ref = await orNull(hv.pool(this.spec.name));
    if (this.removing) {
      if (!ref) return { changes: [] };
      const active = await hv.poolIsActive(ref);
      const changes: FieldChange[] = [
        { field: "state", from: active ? "active" : "inactive", to: "absent", disruption: "live" },
      ];
      const { path } = parsePoolXml(await hv.poolXml(ref, { inactive: true }));
      await refuseStrandingRemoval(hv, ref, this.spec.name, path, this.volumesBeingRemoved, changes);
      if (apply) {
        if (active) await hv.destroyPool(ref);
        await hv.undefinePool(ref);
        forgetRemoved(this.ctx.ownership, "pool", this.name);
      }
      return { changes };
    }

    const changes: FieldChange[] = [];
    let current = ref;
    if (!current) {
      changes.push({ field: "state", from: "absent", to: this.spec.state, disruption: "live" });
      if (this.spec.autostart) changes.push({ field: "autostart", from: false, to: true, disruption: "live" });
      if (!apply) return { changes };
      recordCreating(this.ctx.ownership, { kind: "pool", name: this.name, policy: this.policy });
      current = await hv.definePool(buildPoolXml(this.spec));
      recordCreated(this.ctx.ownership, { kind: "pool", name: this.name, identity: current.uuid, policy: this.policy });
      await hv.buildPool(current);
      if (this.spec.autostart) await hv.setPoolAutostart(current, true);
      if (this.spec.state === "active") await hv.startPool(current);
      return { changes };
    }

    const existing = current;
    const claim = await claimExisting(
      this.ctx.ownership,
      {
        kind: "pool",
        name: this.name,
        identity: existing.uuid,
        policy: this.policy,
        adopt: this.spec.adopt === true,
        definition: () => hv.poolXml(existing, { inactive: true }),
      },
      apply,
    );
    if (claim.adopting) changes.push(ADOPT_CHANGE);
    const actual = parsePoolXml(await hv.poolXml(current, { inactive: true }));
    const config = diffPool(this.spec, actual);
    await refuseStrandingRedefine(hv, current, actual, config);
    changes.push(...config);
    const wasActive = await hv.poolIsActive(current);
    let active = wasActive;
    if (config.length > 0 && apply) {
      checkAborted(signal);
      if (active) await hv.destroyPool(current);
      current = await hv.definePool(buildPoolXml(this.spec, { uuid: actual.uuid ?? undefined }));
      await hv.buildPool(current);
      active = false;
    }
    const autostart = await hv.poolAutostart(current);
    if (autostart !== this.spec.autostart) {
      changes.push({ field: "autostart", from: autostart, to: this.spec.autostart, disruption: "live" });
      if (apply) await hv.setPoolAutostart(current, this.spec.autostart);
    }
    const wantActive = this.spec.state === "active";
    if (wasActive !== wantActive) {
      changes.push({
        field: "state",
        from: wasActive ? "active" : "inactive",
        to: this.spec.state,
        disruption: "live",
      });
    }
    if (apply && active !== wantActive) {
      if (wantActive) {
        // a dir pool's build (mkdir) is idempotent, and makes up for a build a crash cut short
        // after the define; never for types whose build formats something
        if (this.spec.type === "dir") await hv.buildPool(current);
        await hv.startPool(current);
      } else await hv.destroyPool(current);
    }
    return { changes };
  }
}
