/**
 * What a network takes on a host that no other network may take too: the bridge libvirt
 * creates for it, and its IPv4 and IPv6 subnets. One rule for the three places that check
 * it: one policy (semantics.ts), the policies of a host's bundle and the networks that
 * already exist on the host (clash-check.ts), and the policy set at load time
 * (policy-language/network-clashes.ts).
 *
 * Contract: two networks clash when they name the same bridge and at least one of them has
 * libvirt create it (nat/route/open/isolated; several `bridge`-mode networks may share one
 * existing host bridge), or when their IPv4 (or IPv6) subnets overlap. Values that do not
 * parse are no footprint (their own checks report them).
 */
import { intToIpv4, ipv4ToInt, subnetRange } from "../../policy-primitives/names.js";
import { formatIpv6, parseIpv6, subnet6 } from "./ipv6.js";
import { type NetworkMode, ROUTED_MODES } from "./modes.js";

export interface NetworkShape {
  mode?: string;
  bridge?: string | null;
  ipv4?: { address?: unknown; prefix?: unknown } | null;
  ipv6?: { address?: unknown; prefix?: unknown } | null;
}

export interface Footprint {
  bridge: { name: string; created: boolean } | null;
  ipv4: { first: number; last: number; text: string } | null;
  ipv6: { first: bigint; last: bigint; text: string } | null;
}

export function footprintOf(n: NetworkShape): Footprint {
  const created = ROUTED_MODES.includes(n.mode as NetworkMode);
  const bridge = typeof n.bridge === "string" && n.bridge !== "" ? { name: n.bridge, created } : null;
  let ipv4: Footprint["ipv4"] = null;
  const a4 = typeof n.ipv4?.address === "string" ? ipv4ToInt(n.ipv4.address) : null;
  const p4 = n.ipv4?.prefix;
  if (a4 !== null && typeof p4 === "number" && Number.isInteger(p4) && p4 >= 0 && p4 <= 32) {
    const r = subnetRange(a4, p4);
    ipv4 = { first: r.network, last: r.broadcast, text: `${intToIpv4(r.network)}/${p4}` };
  }
  let ipv6: Footprint["ipv6"] = null;
  const a6 = typeof n.ipv6?.address === "string" ? parseIpv6(n.ipv6.address) : null;
  const p6 = n.ipv6?.prefix;
  if (a6 !== null && typeof p6 === "number" && Number.isInteger(p6) && p6 >= 0 && p6 <= 128) {
    const r = subnet6(a6, p6);
    ipv6 = { first: r.network, last: r.last, text: `${formatIpv6(r.network)}/${p6}` };
  }
  return { bridge, ipv4, ipv6 };
}

/** What `a` and `b` both take (`bridge virbr10`, `IPv4 subnet 192.168.110.0/24 (overlaps 192.168.110.0/25)`), or null. */
export function clashOf(a: Footprint, b: Footprint): string | null {
  const found: string[] = [];
  if (a.bridge && b.bridge && a.bridge.name === b.bridge.name && (a.bridge.created || b.bridge.created))
    found.push(`bridge ${a.bridge.name}`);
  if (a.ipv4 && b.ipv4 && a.ipv4.first <= b.ipv4.last && b.ipv4.first <= a.ipv4.last)
    found.push(
      a.ipv4.text === b.ipv4.text
        ? `IPv4 subnet ${a.ipv4.text}`
        : `IPv4 subnet ${a.ipv4.text} (overlaps ${b.ipv4.text})`,
    );
  if (a.ipv6 && b.ipv6 && a.ipv6.first <= b.ipv6.last && b.ipv6.first <= a.ipv6.last)
    found.push(
      a.ipv6.text === b.ipv6.text
        ? `IPv6 subnet ${a.ipv6.text}`
        : `IPv6 subnet ${a.ipv6.text} (overlaps ${b.ipv6.text})`,
    );
  return found.length ? found.join(" and ") : null;
}
