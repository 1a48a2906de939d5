import { checkDomainSpec } from "../domain/check.js";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "./lazy-yaml.js";
import { ValidationError, VirtfleetError } from "../../common/errors.js";
import type { DomainSpec } from "../domain/spec.js";
import { volumeDisks } from "../domain/disks/sources.js";
import { resourceId, type CheckResult, type FieldChange, type Resource } from "../../engine/index.js";
import { parsePoolXml } from "../pool/xml-parse.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import { hostname } from "node:os";
import { forgetRemoved, recordCreated, recordCreating } from "../ownership/index.js";
import { readContentFiles } from "./content-file.js";
import { contentFilesOf, renderSeed, type SeedContent } from "./render.js";
import type { CloudInitSpec } from "./schema.js";
import { readSeedTexts, seedFieldChanges } from "./seed-diff.js";
import { readSeedFile, writeSeedIso, type SeedBuildOptions } from "./seed-iso.js";
import { assertValidSpec } from "../spec-guard.js";
import { pathExists } from "../../common/path-exists.js";

/** File name of a domain's seed volume. */
export function seedVolumeName(domain: string): string {
  return `${domain}-cidata.iso`;
}

/** The pool holding a domain's seed: that of its first volume disk, else of its first pool cdrom; null if neither. */
export function seedPoolOf(spec: DomainSpec): string | null {
  const cdrom = spec.cdroms.find((c): c is { pool: string; volume: string } => "pool" in c);
  return volumeDisks(spec)[0]?.disk.pool ?? cdrom?.pool ?? null;
}

/**
 * A domain's cloud-init NoCloud seed: the volume `<pool>/<domain>-cidata.iso` (kind
 * `volume`), built on this host from `spec.cloudInit` (see render.ts, seed-iso.ts).
 *
 * - Missing → built (`state absent → present`).
 * - Content differs (its meta-data is not exactly the desired one) → rebuilt and swapped in
 *   atomically (`cloudInit.instanceId old → new`, then each differing field such as
 *   `cloudInit.users[ops].sshAuthorizedKeys`, secret values redacted: seed-diff.ts;
 *   disruption `live`: the file changes now;
 *   a running guest reads it at its next boot, which its domain reports as a pending restart
 *   because the domain's spec hash covers `cloudInit`).
 * - Present on disk but not known to libvirt → the pool is refreshed.
 * - Domain `state: absent` → the seed is deleted (after the domain, by the reversed edge);
 *   with its pool inactive it is left in place, with a note.
 * - `writeFiles[].contentFile`s are read on this host first, in dry-run and apply alike
 *   (content-file.ts): a missing or group/other-readable file fails the seed (and so its
 *   guest) naming the host and the field, before anything is written.
 * - Ownership (kinds/ownership): the seed is recorded as a volume virtfleet created
 *   (recordCreating before it is written, recordCreated with its path after), and forgotten
 *   when removed; so a rollback that removes the guest removes its seed too. A seed is not
 *   claimed: its name is derived from a guest virtfleet manages (seed-cleanup.ts removes
 *   one whose `cloudInit` was dropped).
 * Construction throws ValidationError when the domain has no pool to put the seed in.
 */
export class CloudInitSeedResource implements Resource {
  readonly kind = "volume";
  readonly name: string;
  readonly removing: boolean;
  readonly pool: string;
  readonly volume: string;
  /** `baseDeps` plus the pool. */
  readonly dependsOn: string[];
  private readonly domainName: string;
  private readonly spec: CloudInitSpec;

  constructor(
    domain: DomainSpec,
    readonly policy: string,
    baseDeps: readonly string[],
    private readonly ctx: ResourceContext,
    private readonly build: Omit<SeedBuildOptions, "signal"> = {},
  ) {
    assertValidSpec("domain", domain, domain.name, checkDomainSpec);
    if (!domain.cloudInit) throw new ValidationError(`domain ${domain.name} has no cloudInit block, so it has no seed`);
    const pool = seedPoolOf(domain);
    if (pool === null) {
      throw new ValidationError(
        `domain ${domain.name}: cloudInit needs a storage pool for its seed ISO, and the domain has no disk or cdrom from a pool; give it a disk from a pool`,
      );
    }
    this.pool = pool;
    this.volume = seedVolumeName(domain.name);
    this.name = `${pool}/${this.volume}`;
    this.dependsOn = [...baseDeps, resourceId("pool", pool)];
    this.removing = domain.state === "absent";
    this.domainName = domain.name;
    this.spec = domain.cloudInit;
    // Render once without contentFiles now: a spec the renderer cannot take fails here.
    if (contentFilesOf(this.spec).length === 0) renderSeed(domain.name, this.spec);
  }

  /** The desired seed: contentFiles read on this host (errors name the host and the field, never the content). */
  private async desiredSeed(): Promise<SeedContent> {
    const host = `host ${this.ctx.hostName ?? hostname()}`;
    const files =
      contentFilesOf(this.spec).length === 0
        ? new Map<string, Buffer>()
        : await readContentFiles(this.spec, { host, domain: this.domainName });
    return renderSeed(this.domainName, this.spec, files);
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const { hv } = this.ctx;
    const seed = this.removing ? null : await this.desiredSeed();
    const pool = await orNull(hv.pool(this.pool));
    if (!pool) {
      if (this.removing) return { changes: [] };
      if (apply)
        throw new VirtfleetError(
          "POOL_MISSING",
          `pool ${this.pool} for the cloud-init seed ${this.name} does not exist; declare it in a policy`,
        );
      return { changes: [{ field: "state", from: "absent", to: "present", disruption: "live" }] };
    }
    if (!(await hv.poolIsActive(pool))) {
      if (this.removing)
        return {
          changes: [],
          notes: [`pool ${this.pool} is inactive, so the cloud-init seed ${this.volume} (if any) was left in place`],
        };
      if (!apply)
        return { changes: [{ field: "state", from: "unknown (pool inactive)", to: "present", disruption: "live" }] };
      throw new VirtfleetError(
        "POOL_INACTIVE",
        `pool ${this.pool} is not active, so the cloud-init seed ${this.name} cannot be read or written; set the pool's state to active`,
      );
    }
    const dir = parsePoolXml(await hv.poolXml(pool)).path;
    if (!dir)
      throw new VirtfleetError(
        "POOL_NO_PATH",
        `pool ${this.pool} has no target path, so the cloud-init seed ${this.name} cannot be placed in it`,
      );
    const path = join(dir, this.volume);
    const vol = await orNull(hv.volume(pool, this.volume));

    if (this.removing) {
      const onDisk = await pathExists(path);
      if (!onDisk && !vol) return { changes: [] };
      if (apply) {
        if (onDisk && vol) await hv.deleteVolume(vol);
        else if (onDisk) await rm(path, { force: true });
        else await hv.refreshPool(pool);
        forgetRemoved(this.ctx.ownership, "volume", this.name);
      }
      return { changes: [{ field: "state", from: "present", to: "absent", disruption: "live" }] };
    }

    if (seed === null) throw new Error("unreachable: a seed that stays has content");
    const file = await readSeedFile(path);
    const current = file.exists && file.metaData === seed.metaData;
    const changes: FieldChange[] = [];
    if (!file.exists) changes.push({ field: "state", from: "absent", to: "present", disruption: "live" });
    else if (!current) {
      changes.push({
        field: "cloudInit.instanceId",
        from: instanceIdIn(file.metaData) ?? "unknown",
        to: seed.instanceId,
        disruption: "live",
      });
      // What differs, field by field (secret values redacted), when the seed on disk is readable.
      if (file.metaData !== null) {
        const texts = await readSeedTexts(path, ["user-data", "network-config", "vendor-data"]);
        changes.push(
          ...seedFieldChanges(
            {
              userData: texts.get("user-data") ?? null,
              metaData: file.metaData,
              networkConfig: texts.get("network-config") ?? null,
              vendorData: texts.get("vendor-data") ?? null,
            },
            seed,
          ),
        );
      }
    } else if (!vol) changes.push({ field: "state", from: "not listed by libvirt", to: "present", disruption: "live" });
    if (!apply || changes.length === 0) return { changes };

    checkAborted(signal);
    const owner = { kind: "volume" as const, name: this.name, policy: this.policy };
    if (!current) {
      recordCreating(this.ctx.ownership, owner);
      await writeSeedIso(path, seed, { ...this.build, signal });
    }
    await hv.refreshPool(pool);
    const created = await orNull(hv.volume(pool, this.volume));
    if (created && !this.ctx.ownership?.ledger.get("volume", this.name)?.identity)
      recordCreated(this.ctx.ownership, { ...owner, identity: created.key });
    return { changes };
  }
}

export function instanceIdIn(metaData: string | null): string | null {
  if (metaData === null) return null;
  try {
    const doc: unknown = parse(metaData, { version: "1.1", maxAliasCount: 10 });
    const id = (doc as Record<string, unknown> | null)?.["instance-id"];
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}
