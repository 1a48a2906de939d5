import type { HypervisorEvent } from "../../libvirt/index.js";
import { resourceId } from "../../engine/index.js";
import { AGENT_KINDS, KIND_NAMES } from "../../kinds/index.js";
import type { Target } from "./triggers.js";

/**
 * What a libvirt event asks to re-check. Events carry no trusted state (level-triggered):
 * the kind an event concerns says which object (kinds/<kind>/events.ts: a domain event
 * re-checks `domain/NAME`, a network event `network/NAME`, a pool event `pool/NAME`; its
 * volumes are re-checked by the caller, which knows them). A restored connection or dropped
 * events re-check everything; a lost connection nothing (the restore follows).
 */
export function eventTargets(e: HypervisorEvent): { targets: Target[]; resync: boolean } {
  if (e.kind === "connection")
    return e.state === "restored" ? { targets: [{ type: "all" }], resync: true } : { targets: [], resync: false };
  if (e.kind === "overflow") return { targets: [{ type: "all" }], resync: true };
  const targets: Target[] = [];
  for (const kind of KIND_NAMES) {
    const name = AGENT_KINDS[kind].objectOfEvent?.(e) ?? null;
    if (name !== null) targets.push({ type: "id", id: resourceId(kind, name) });
  }
  return { targets, resync: false };
}
