import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FieldChange } from "../../common/changes.js";
import type { CheckResult } from "../../engine/index.js";
import { DomainResource, type DomainHostEnv } from "../domain/resource.js";
import type { DomainSpec } from "../domain/spec.js";
import { forgetRemoved } from "../ownership/index.js";
import { parsePoolXml } from "../pool/xml-parse.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { readSeedFile } from "./seed-iso.js";
import { instanceIdIn, seedPoolOf, seedVolumeName } from "./seed-resource.js";

/** An instance-id virtfleet writes (render.ts): a seed holding one was made by virtfleet. */
const OUR_INSTANCE_ID = /^vf-[0-9a-f]{16}$/;

/**
 * A guest WITHOUT `cloudInit` whose seed may be left from an earlier revision that had it:
 * the guest is converged first (its effective cdroms no longer end with the seed, so the
 * definition loses that cdrom: build-resources.ts), then its seed volume
 * `<pool of its first disk>/<name>-cidata.iso` is deleted, reported on the guest as
 * `cloudInit.seed: POOL/NAME-cidata.iso → null` (dry-run and apply alike).
 *
 * Only a seed virtfleet made is removed: one the ownership ledger records, or (no record:
 * `apply --local`, or a seed made before records) a `cidata` ISO whose meta-data holds an
 * instance-id virtfleet writes (`vf-` + 16 hex digits). Anything else of that name is left
 * alone with a note; so is a seed the guest names as a cdrom itself, or whose pool is missing
 * or inactive. A guest with nothing to remove reports nothing more than its own changes.
 */
export class DomainWithSeedCleanup extends DomainResource {
  constructor(
    spec: DomainSpec,
    policy: string,
    dependsOn: string[],
    private readonly seedCtx: ResourceContext,
    env: DomainHostEnv,
  ) {
    super(spec, policy, dependsOn, seedCtx, env);
  }

  override async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const result = await super.checkApply(signal, apply);
    const cleanup = await removeLeftoverSeed(this.spec, this.seedCtx, signal, apply);
    if (cleanup.changes.length === 0 && cleanup.notes.length === 0) return result;
    return {
      ...result,
      changes: [...result.changes, ...cleanup.changes],
      notes: [...(result.notes ?? []), ...cleanup.notes],
    };
  }
}

/** Whether `d` may have a seed left from an earlier revision (no cloudInit, a pool to look in, no cdrom naming it). */
export function mayHaveLeftoverSeed(d: DomainSpec): boolean {
  const pool = seedPoolOf(d);
  if (d.cloudInit || pool === null) return false;
  const volume = seedVolumeName(d.name);
  return !d.cdroms.some((c) => "pool" in c && c.pool === pool && c.volume === volume);
}

async function removeLeftoverSeed(
  d: DomainSpec,
  ctx: ResourceContext,
  signal: AbortSignal,
  apply: boolean,
): Promise<{ changes: FieldChange[]; notes: string[] }> {
  const none = { changes: [], notes: [] };
  const poolName = seedPoolOf(d);
  if (poolName === null || !mayHaveLeftoverSeed(d)) return none;
  const { hv } = ctx;
  const pool = await orNull(hv.pool(poolName));
  if (!pool || !(await hv.poolIsActive(pool))) return none;
  const dir = parsePoolXml(await hv.poolXml(pool)).path;
  if (!dir) return none;
  const volume = seedVolumeName(d.name);
  const name = `${poolName}/${volume}`;
  const path = join(dir, volume);
  const file = await readSeedFile(path);
  if (!file.exists) return none;
  const recorded = ctx.ownership?.ledger.get("volume", name) !== undefined;
  const ours = recorded || OUR_INSTANCE_ID.test(instanceIdIn(file.metaData) ?? "");
  if (!ours)
    return {
      changes: [],
      notes: [`${name} is not a cloud-init seed virtfleet made, so it is left in place`],
    };
  if (apply) {
    checkAborted(signal);
    const vol = await orNull(hv.volume(pool, volume));
    if (vol) await hv.deleteVolume(vol);
    else await rm(path, { force: true });
    forgetRemoved(ctx.ownership, "volume", name);
  }
  return {
    changes: [{ field: "cloudInit.seed", from: name, to: null, disruption: "live" }],
    notes: ["cloudInit was dropped: the guest's cloud-init seed is removed"],
  };
}
