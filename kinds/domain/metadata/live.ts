/**
 * The metadata area's live changes on a running guest (the definition already has them): the
 * title via virDomainSetMetadata(type title). (The description is set by the resource;
 * labels ride in virtfleet's metadata element, which the resource rewrites after a change.)
 */
import type { FieldChange } from "../../../common/changes.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import type { DomainSpec } from "../spec.js";

export async function applyMetadataLive(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  changes: readonly FieldChange[],
): Promise<void> {
  if (changes.some((c) => c.field === "title"))
    await hv.setDomainMetadata(ref, { type: "title", value: spec.title || null, live: true, config: false });
}
