import { resourceId, type ResourceId } from "../../engine/index.js";
import { volumeDisks } from "./disks/sources.js";
import type { DomainSpec } from "./spec.js";

/** A domain is converged after the volumes it attaches (disks, pool cdroms) and the networks of its NICs. */
export function domainDependencies(d: DomainSpec): ResourceId[] {
  return [
    ...volumeDisks(d).map(({ disk: x }) => resourceId("volume", `${x.pool}/${x.volume}`)),
    ...d.cdroms.flatMap((c) => ("pool" in c ? [resourceId("volume", `${c.pool}/${c.volume}`)] : [])),
    ...d.interfaces.flatMap((i) => (i.network !== undefined ? [resourceId("network", i.network)] : [])),
  ];
}
