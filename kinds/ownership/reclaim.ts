import { VirtfleetError } from "../../common/errors.js";
import type { FieldChange } from "../../common/changes.js";
import { resourceId, type CheckResult, type Resource, type ResourceId } from "../../engine/index.js";
import { VIRTFLEET_XMLNS } from "../libvirt-xml/metadata.js";
import { checkAborted, orNull, type ResourceContext } from "../resource-context.js";
import type { OwnershipRecord, OwnershipScope } from "./ledger.js";
import { removeSecret } from "../libvirt-secret/index.js";
import { POOL_SECRET_USAGES } from "../pool/credentials.js";
import { poolSecretUsage } from "../pool/secret-usage.js";
import { parsePoolXml } from "../pool/xml-parse.js";

/**
 * What a rolled-back revision did, undone (docs/design/ownership.md). For every ownership
 * record whose (policy, revision) the bundle lists as rolled back and whose object the bundle
 * no longer declares:
 * - an object that revision created is removed (a guest forced off and undefined, a network
 *   stopped and undefined, a volume deleted, a pool stopped and undefined with the libvirt
 *   secret of its credentials — never its storage, and only once it is empty);
 * - an object that revision adopted gets back the definition the adoption replaced (a running
 *   guest or network keeps running; the restored definition applies at its next start) and
 *   becomes unmanaged again; an adopted volume is only forgotten.
 * An object that is gone, or was replaced outside virtfleet (another UUID/path), only loses its
 * record. An object dropped by a newer revision (not rolled back) is left in place, unmanaged.
 */
export function rollbackResources(
  scope: OwnershipScope,
  declared: ReadonlySet<ResourceId>,
  ctx: ResourceContext,
): Resource[] {
  const records = scope.ledger
    .list()
    .filter((r) => !declared.has(resourceId(r.kind, r.name)) && scope.isRolledBack(r.policy, r.revision));
  const ids = (kind: string, pred: (r: OwnershipRecord) => boolean = () => true) =>
    records.filter((r) => r.kind === kind && pred(r)).map((r) => resourceId(r.kind, r.name));
  return records.map((rec) => {
    // natural edges (pool → volume → domain, network → domain); the engine reverses them for removals
    const deps =
      rec.kind === "domain"
        ? [...ids("network"), ...ids("volume")]
        : rec.kind === "volume"
          ? ids("pool", (p) => p.name === rec.name.split("/")[0])
          : [];
    return new RollbackResource(rec, deps, ctx);
  });
}

class RollbackResource implements Resource {
  readonly removing = true;
  readonly kind: string;
  readonly name: string;
  readonly policy: string;

  constructor(
    private readonly rec: OwnershipRecord,
    readonly dependsOn: string[],
    private readonly ctx: ResourceContext,
  ) {
    this.kind = rec.kind;
    this.name = rec.name;
    this.policy = rec.policy;
  }

  async checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult> {
    const ledger = this.ctx.ownership?.ledger;
    const rec = ledger?.get(this.rec.kind, this.rec.name);
    if (!ledger || !rec) return { changes: [] };
    const found = await this.lookup();
    if (!found || (rec.identity !== null && rec.identity !== found.identity)) {
      if (apply) ledger.forget(rec.kind, rec.name);
      return { changes: [] };
    }
    checkAborted(signal);
    const note = `revision ${rec.revision} of policy ${rec.policy} was rolled back`;
    if (rec.adopted) {
      const change: FieldChange = { field: "ownership", from: "adopted", to: "restored", disruption: "live" };
      if (apply) {
        await this.restore(rec);
        ledger.forget(rec.kind, rec.name);
      }
      return {
        changes: [change],
        notes: [
          `${note}: ${rec.replacedXml ? "the definition it replaced is restored (a running object keeps its current configuration until restarted)" : "no longer managed"}; the object is unmanaged again`,
        ],
      };
    }
    const change: FieldChange = { field: "state", from: "present", to: "absent", disruption: "live" };
    if (apply) {
      await this.remove();
      ledger.forget(rec.kind, rec.name);
    }
    return { changes: [change], notes: [`${note}: it created this ${rec.kind}, so it is removed`] };
  }

  private async lookup(): Promise<{ identity: string } | null> {
    const { hv } = this.ctx;
    if (this.kind === "domain") {
      const d = await orNull(hv.domain(this.name));
      return d && { identity: d.uuid };
    }
    if (this.kind === "network") {
      const n = await orNull(hv.network(this.name));
      return n && { identity: n.uuid };
    }
    if (this.kind === "pool") {
      const p = await orNull(hv.pool(this.name));
      return p && { identity: p.uuid };
    }
    const [pool, vol] = splitVolume(this.name);
    const p = await orNull(hv.pool(pool));
    if (!p || !(await hv.poolIsActive(p))) return null;
    const v = await orNull(hv.volume(p, vol));
    return v && { identity: v.key };
  }

  private async restore(rec: OwnershipRecord): Promise<void> {
    const { hv } = this.ctx;
    if (rec.replacedXml === null) return;
    if (rec.kind === "domain") {
      const d = await hv.defineDomain(rec.replacedXml);
      // the running guest still carries virtfleet's marker from the adoption: drop it there too
      if (await hv.domainIsActive(d))
        await hv.setDomainMetadata(d, {
          type: "element",
          value: null,
          uri: VIRTFLEET_XMLNS,
          live: true,
          config: false,
        });
    } else if (rec.kind === "network") await hv.defineNetwork(rec.replacedXml);
    else if (rec.kind === "pool") await hv.definePool(rec.replacedXml);
  }

  private async remove(): Promise<void> {
    const { hv } = this.ctx;
    if (this.kind === "domain") {
      const d = await hv.domain(this.name);
      if (await hv.domainIsActive(d)) await hv.destroyDomain(d);
      await hv.undefineDomain(d);
    } else if (this.kind === "network") {
      if (await hv.networkIsActive(this.name)) await hv.destroyNetwork(this.name);
      await hv.undefineNetwork(this.name);
    } else if (this.kind === "pool") {
      const p = await hv.pool(this.name);
      if (await hv.poolIsActive(p)) {
        // an fs pool's lost+found belongs to its file system, not a volume
        const fs = parsePoolXml(await hv.poolXml(p, { inactive: true })).type === "fs";
        const left = (await hv.volumes(p)).filter((v) => !(fs && v.name === "lost+found"));
        if (left.length > 0)
          throw new VirtfleetError(
            "POOL_NOT_EMPTY",
            `pool ${this.name} (created by a rolled-back revision) is not removed: it holds ${left.map((v) => v.name).join(", ")}`,
          );
        await hv.destroyPool(p);
      }
      await hv.undefinePool(p);
      // the libvirt secret of its credentials (iscsi CHAP, Ceph key), if it had one
      for (const usage of POOL_SECRET_USAGES) await removeSecret(hv, { usage, usageId: poolSecretUsage(this.name) });
    } else {
      const [pool, vol] = splitVolume(this.name);
      await hv.deleteVolume(await hv.volume(pool, vol));
    }
  }
}

function splitVolume(name: string): [string, string] {
  const i = name.indexOf("/");
  return [name.slice(0, i), name.slice(i + 1)];
}
