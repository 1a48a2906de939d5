import { checkPoolSpec } from "./check.js";
import type { PoolSpec } from "./spec.js";
import type { CheckResult, FieldChange, Resource } from "../../engine/index.js";
import { buildPoolXml } from "./xml-build.js";
import { diffPool } from "./xml-diff.js";
import { parsePoolXml } from "./xml-parse.js";
import { ownDirectory, refuseStrandingRedefine, refuseStrandingRemoval } from "./refusals.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { assertValidSpec } from "../spec-guard.js";
import { ADOPT_CHANGE, claimExisting, forgetRemoved, recordCreated, recordCreating } from "../ownership/index.js";
import { POOL_SECRET_USAGES, type PoolSecret, poolSecretOf, poolSecretValue } from "./credentials.js";
import { ensureSecret, removeSecret, secretState } from "../libvirt-secret/index.js";
import { checkTargetsFree } from "./host-targets.js";
import { planBuild, runBuild } from "./build.js";
import { poolSecretUsage } from "./secret-usage.js";
import { POOL_TYPE_INFO } from "./types.js";
import { StoragePoolBuildFlags } from "../../libvirt/index.js";

/**
 * A storage pool of any type in types.ts. Creating one checks that no other libvirt pool on
 * the host uses its path/devices/source (host-targets.ts), reads its credentials' secret file
 * into a libvirt secret (kinds/libvirt-secret), defines it, builds it (build.ts: a directory,
 * or — only with `build: true`, and never over a file system or partition table without
 * `overwrite: true` — a file system, partition table or volume group) and starts it.
 * Removal destroys and undefines it (and its secret) but never deletes its storage, and is
 * refused (`blocked`) while the pool still holds volumes the policies do not remove. A
 * `recreate`-class change (types.ts) redefines the pool (with its UUID) and restarts it if
 * active — only when it holds no volumes (refusals.ts); a `restart`-class change (initiator,
 * user, secret content) is written now and used from the pool's next start.
 * Every check (secret file, target in use, device content, stranded volumes) runs in dry-run
 * and apply alike, before anything is touched. An existing pool virtfleet did not create is
 * left alone (conflict) unless the policy says `adopt: true` (kinds/ownership).
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

  /** How errors only this host can tell name it. */
  private hostLabel(): string {
    return this.ctx.hostName === undefined ? "this host" : `host ${this.ctx.hostName}`;
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
      const actual = parsePoolXml(await hv.poolXml(ref, { inactive: true }));
      await refuseStrandingRemoval(
        hv,
        ref,
        this.spec.name,
        actual.type,
        ownDirectory(actual.type, actual.path),
        this.volumesBeingRemoved,
        changes,
      );
      if (apply) {
        if (active) await hv.destroyPool(ref);
        await hv.undefinePool(ref);
        for (const usage of POOL_SECRET_USAGES)
          await removeSecret(hv, { usage, usageId: poolSecretUsage(this.spec.name) });
        forgetRemoved(this.ctx.ownership, "pool", this.name);
      }
      return { changes };
    }

    // the secret file is checked (and read) first: a bad one stops everything, in the plan too
    const secret = poolSecretOf(this.spec);
    const secretValue = secret === null ? null : await poolSecretValue(secret, this.ctx.hostName);
    const secretChange = secret === null ? null : await this.secretChange(secret, secretValue!);

    const changes: FieldChange[] = [];
    let current = ref;
    if (!current) {
      await checkTargetsFree(hv, this.spec, this.hostLabel());
      const build = await planBuild(this.spec, []);
      changes.push({ field: "state", from: "absent", to: this.spec.state, disruption: "live" });
      if (build.change) changes.push(build.change);
      if (secretChange) changes.push(secretChange);
      if (this.spec.autostart) changes.push({ field: "autostart", from: false, to: true, disruption: "live" });
      if (!apply) return { changes };
      recordCreating(this.ctx.ownership, { kind: "pool", name: this.name, policy: this.policy });
      if (secret && secretChange) await this.writeSecret(secret, secretValue!);
      current = await hv.definePool(buildPoolXml(this.spec));
      recordCreated(this.ctx.ownership, { kind: "pool", name: this.name, identity: current.uuid, policy: this.policy });
      await runBuild(hv, current, build);
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
    const moving = config.some((c) => c.disruption === "recreate");
    await refuseStrandingRedefine(hv, current, actual, config);
    if (moving) await checkTargetsFree(hv, this.spec, this.hostLabel());
    const build = moving ? await planBuild(this.spec, config, { redefine: true }) : { flags: null, change: null };
    changes.push(...config);
    if (build.change) changes.push(build.change);
    if (secretChange) changes.push(secretChange);
    const wasActive = await hv.poolIsActive(current);
    let active = wasActive;
    if (apply && secret && secretChange) await this.writeSecret(secret, secretValue!);
    if (config.length > 0 && apply) {
      checkAborted(signal);
      if (moving && active) {
        await hv.destroyPool(current);
        active = false;
      }
      current = await hv.definePool(buildPoolXml(this.spec, { uuid: actual.uuid ?? undefined }));
      if (moving) await runBuild(hv, current, build);
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
        // building a directory (mkdir) is idempotent, and makes up for a build a crash cut
        // short after the define (or a mount point removed since); an fs pool's build without
        // flags only makes its mount point. Never a build that formats something.
        if (POOL_TYPE_INFO[this.spec.type].build === "mkdir" || this.spec.type === "fs")
          await hv.buildPool(current, StoragePoolBuildFlags.NEW);
        await hv.startPool(current);
      } else await hv.destroyPool(current);
    }
    // a login change (initiator, user, secret content) reaches an active pool at its next start
    const relogin = [...config, ...(secretChange ? [secretChange] : [])].some((c) => c.disruption === "restart");
    if (relogin && !moving && wasActive && wantActive)
      return {
        changes,
        pendingRestart: true,
        notes: ["the active pool logs in with the new credentials from its next start (pool-destroy, pool-start)"],
      };
    return { changes };
  }

  /** Writes the secret; logs which file it came from (never what it holds). */
  private async writeSecret(s: PoolSecret, value: Buffer): Promise<void> {
    const ref = await ensureSecret(this.ctx.hv, s.secret, value);
    this.ctx.log.info(
      { pool: this.name, secretFile: s.file, secretUsage: s.secret.usageId, secretUuid: ref.uuid },
      "pool credentials: libvirt secret set from the file named in the policy",
    );
  }

  /** The change the secret needs (never its content: only which file it comes from), or null. */
  private async secretChange(s: PoolSecret, value: Buffer): Promise<FieldChange | null> {
    const state = await secretState(this.ctx.hv, s.secret, value);
    if (state === "in-sync") return null;
    return {
      field: `source.${s.field}.secret`,
      from: state === "missing" ? null : "(other content)",
      to: `(content of ${s.file})`,
      disruption: "restart",
    };
  }
}
