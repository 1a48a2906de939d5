import type { HypervisorEvent } from "../libvirt/index.js";
import { resourceId } from "../engine/index.js";
import type { Target } from "./triggers.js";

/**
 * What a libvirt event asks to re-check. Events carry no trusted state (level-triggered): a
 * domain event re-checks `domain/NAME`, a network event `network/NAME`, a pool event
 * `pool/NAME` (its volumes are re-checked by the caller, which knows them). A restored
 * connection or dropped events re-check everything; a lost connection nothing (the restore
 * follows).
 */
export function eventTargets(e: HypervisorEvent): { targets: Target[]; resync: boolean } {
  switch (e.kind) {
    case "domain-lifecycle":
    case "domain-metadata-change":
    case "domain-device-removed":
      return { targets: [{ type: "id", id: resourceId("domain", e.domain.name) }], resync: false };
    case "network-lifecycle":
      return { targets: [{ type: "id", id: resourceId("network", e.network.name) }], resync: false };
    case "pool-lifecycle":
    case "pool-refresh":
      return { targets: [{ type: "id", id: resourceId("pool", e.pool.name) }], resync: false };
    case "connection":
      return e.state === "restored" ? { targets: [{ type: "all" }], resync: true } : { targets: [], resync: false };
    case "overflow":
      return { targets: [{ type: "all" }], resync: true };
  }
}
