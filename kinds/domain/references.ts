import { VirtfleetError } from "../../common/errors.js";
import { resourceId } from "../../engine/index.js";
import type { Hypervisor } from "../../libvirt/index.js";
import { orNull } from "../resource-context.js";
import { volumeDisks } from "./disks/sources.js";
import type { DomainSpec } from "./spec.js";

/** A guest refers to a network, pool or volume that neither its bundle declares nor its host has. */
export class DanglingReferenceError extends VirtfleetError {
  constructor(
    readonly domain: string,
    readonly missing: string[],
  ) {
    super(
      "DANGLING_REFERENCE",
      `domain ${domain} refers to what neither the policies on this host declare nor the host has: ${missing.join("; ")}. Declare it in a policy targeting this host, create it on the host, or fix the name; the guest was not defined or changed`,
    );
  }
}

/**
 * Checks, before a present guest is defined or changed (dry-run and apply alike, so the plan
 * stage shows it), that every network its NICs use and every pool/volume its disks and pool
 * cdroms use is either declared in the bundle (`declared`: engine resource ids; it is
 * created first) or exists on the host. Without this the guest is defined and fails only
 * when it starts ("Network not found"). Volumes in a declared pool that is not active yet
 * (created or started by this run) cannot be looked up and are not checked. Throws
 * DanglingReferenceError listing every missing object.
 */
export async function checkDomainReferences(
  spec: DomainSpec,
  declared: ReadonlySet<string>,
  hv: Hypervisor,
): Promise<void> {
  const missing: string[] = [];
  const networks = new Set<string>();
  spec.interfaces.forEach((nic, i) => {
    if (nic.network !== undefined && !declared.has(resourceId("network", nic.network)))
      networks.add(`${i}\0${nic.network}`);
  });
  for (const key of networks) {
    const [i, name] = key.split("\0") as [string, string];
    if ((await orNull(hv.network(name))) === null) missing.push(`interfaces[${i}]: network "${name}"`);
  }
  const volumes: { where: string; pool: string; volume: string }[] = [
    ...volumeDisks(spec).map(({ index: i, disk: d }) => ({ where: `disks[${i}]`, pool: d.pool, volume: d.volume })),
    ...spec.cdroms.flatMap((c, i) => ("pool" in c ? [{ where: `cdroms[${i}]`, pool: c.pool, volume: c.volume }] : [])),
  ];
  for (const v of volumes) {
    if (declared.has(resourceId("volume", `${v.pool}/${v.volume}`))) continue;
    const poolDeclared = declared.has(resourceId("pool", v.pool));
    const pool = await orNull(hv.pool(v.pool));
    if (pool === null) {
      if (!poolDeclared) missing.push(`${v.where}: pool "${v.pool}" (for volume ${v.pool}/${v.volume})`);
      else
        missing.push(
          `${v.where}: volume "${v.pool}/${v.volume}" (its pool is declared but not defined yet, so it holds no such volume)`,
        );
      continue;
    }
    let found: boolean;
    try {
      found = (await orNull(hv.volume(pool, v.volume))) !== null;
    } catch {
      // An inactive pool cannot be searched; a declared one is started before the guest.
      found = true;
    }
    if (!found) missing.push(`${v.where}: volume "${v.pool}/${v.volume}"`);
  }
  if (missing.length > 0) throw new DanglingReferenceError(spec.name, missing);
}
