import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";

/**
 * The agent's re-check of a resolved domain's NICs (kinds/spec-checker.ts): exactly one of
 * network / bridge / direct, each a valid name, portgroup only with network, macvtapMode only
 * with direct, queues only with virtio, the MAC a MAC.
 */
export function checkNicsSpec(c: SpecChecker, d: DomainSpec): void {
  (d.interfaces ?? []).forEach((n, i) => {
    const at = `interfaces[${i}]`;
    const set = (["network", "bridge", "direct"] as const).filter((k) => n[k] !== undefined);
    if (set.length !== 1) c.add(at, "needs exactly one of network, bridge or direct");
    c.format(n.network, `${at}.network`, "resourceName", true);
    c.format(n.portgroup, `${at}.portgroup`, "resourceName", true);
    c.format(n.bridge, `${at}.bridge`, "bridgeName", true);
    c.format(n.direct, `${at}.direct`, "bridgeName", true);
    if (n.portgroup !== undefined && n.network === undefined) c.add(`${at}.portgroup`, "needs network");
    if (n.macvtapMode !== undefined && n.direct === undefined) c.add(`${at}.macvtapMode`, "needs direct");
    if (n.queues !== undefined && n.model !== "virtio") c.add(`${at}.queues`, "needs model virtio");
    c.format(n.mac, `${at}.mac`, "mac");
  });
}
