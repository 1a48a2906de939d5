/**
 * Desired NetworkSpec vs a ParsedNetwork (from the INACTIVE XML).
 *
 * Disruption rules (effect on an ACTIVE network):
 * - `recreate`: a different UUID (`opts.uuid`);
 * - `live`: adding, changing or removing a static DHCP host (IPv4 or IPv6) or a DNS host
 *   entry (net-update ip-dhcp-host / dns-host with AFFECT_LIVE, after the definition is
 *   replaced);
 * - `restart`: everything else (mode, bridge, mtu, domain, nat ports, addresses and
 *   prefixes, DHCP on/off and ranges, DNS forwarders, port groups, virtualport, macvtap
 *   interface and mode, hostdev pf) — redefine, then net-destroy + net-start; guests on it
 *   lose connectivity meanwhile, so the engine restarts a network only where the policy allows.
 * When the network is NOT active every change is `live` except `recreate`.
 * A null desired bridge, mtu or nat means "libvirt's choice" and is not compared; stp/delay
 * are libvirt's defaults and never compared. Static hosts match by MAC (IPv4, case-
 * insensitive), by DUID or else name (IPv6), DNS hosts by address, port groups by name; the
 * order of none of these lists matters.
 */
import type { Disruption, FieldChange } from "../../common/changes.js";
import type { ParsedNetwork } from "./parsed.js";
import { completeNetworkSpec } from "./complete.js";
import type { NetworkSpec, PortgroupSpec } from "./spec.js";

export function diffNetwork(
  input: NetworkSpec,
  actual: ParsedNetwork,
  active: boolean,
  opts: { uuid?: string } = {},
): FieldChange[] {
  const desired = completeNetworkSpec(input);
  const out: FieldChange[] = [];
  const add = (field: string, from: unknown, to: unknown, d: Disruption) =>
    out.push({ field, from, to, disruption: active || d === "recreate" ? d : "live" });
  const same = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) add(field, from, to, "restart");
  };

  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase())
    add("uuid", actual.uuid, opts.uuid.toLowerCase(), "recreate");
  if (actual.mode !== desired.mode) add("mode", actual.mode, desired.mode, "restart");
  if (desired.bridge !== null && desired.mode !== "macvtap" && desired.mode !== "hostdev")
    same("bridge", actual.bridge, desired.bridge);
  if (desired.mtu !== null) same("mtu", actual.mtu, desired.mtu);
  if (desired.mode === "nat" && desired.nat !== null) same("nat", actual.nat, desired.nat);
  same("domain", actual.domain, desired.domain);
  same("virtualport", actual.virtualport, desired.virtualport);
  if (desired.mode === "macvtap") {
    same("interface", actual.interface, desired.interface);
    same("macvtapMode", actual.macvtapMode, desired.macvtapMode);
  }
  if (desired.mode === "hostdev") same("pf", actual.pf, desired.pf);
  same("dns.forwarders", [...actual.dns.forwarders].sort(), [...desired.dns.forwarders].sort());
  keyed(
    "dns.hosts",
    actual.dns.hosts,
    desired.dns.hosts,
    (h) => h.ip,
    (h) => ({ ip: h.ip, names: [...h.names].sort() }),
    add,
  );
  keyed("portgroups", actual.portgroups, desired.portgroups, (g) => g.name, portgroupView, add, "restart");
  diffIpv4(desired.ipv4, actual.ipv4, add);
  diffIpv6(desired.ipv6, actual.ipv6, add);
  return out;
}

type Add = (field: string, from: unknown, to: unknown, d: Disruption) => void;

/** Entries of two lists matched by `key`: each added, changed or removed entry is one change `FIELD[i]` (removed: `FIELD[key]`). */
function keyed<T>(
  field: string,
  have: readonly T[],
  want: readonly T[],
  key: (x: T) => string,
  view: (x: T) => unknown,
  add: Add,
  disruption: Disruption = "live",
): void {
  const byKey = new Map(have.map((h) => [key(h), h]));
  const wanted = new Set<string>();
  want.forEach((w, i) => {
    const k = key(w);
    wanted.add(k);
    const got = byKey.get(k);
    if (got === undefined) add(`${field}[${i}]`, null, view(w), disruption);
    else if (JSON.stringify(view(got)) !== JSON.stringify(view(w)))
      add(`${field}[${i}]`, view(got), view(w), disruption);
  });
  for (const h of have) if (!wanted.has(key(h))) add(`${field}[${key(h)}]`, view(h), null, disruption);
}

function portgroupView(g: PortgroupSpec): PortgroupSpec {
  return { name: g.name, vlan: g.vlan, default: g.default, inbound: g.inbound, outbound: g.outbound };
}

function diffIpv4(want: NetworkSpec["ipv4"], have: ParsedNetwork["ipv4"], add: Add): void {
  if (want === null || have === null) {
    if (want !== have) add("ipv4", have, want, "restart");
    return;
  }
  if (have.address !== want.address) add("ipv4.address", have.address, want.address, "restart");
  if (have.prefix !== want.prefix) add("ipv4.prefix", have.prefix, want.prefix, "restart");
  if (want.dhcp === null || have.dhcp === null) {
    if (want.dhcp !== have.dhcp) add("ipv4.dhcp", have.dhcp, want.dhcp, "restart");
    return;
  }
  if (have.dhcp.start !== want.dhcp.start) add("ipv4.dhcp.start", have.dhcp.start, want.dhcp.start, "restart");
  if (have.dhcp.end !== want.dhcp.end) add("ipv4.dhcp.end", have.dhcp.end, want.dhcp.end, "restart");
  const hosts = want.dhcp.hosts.map((h) => ({ mac: h.mac.toLowerCase(), ip: h.ip, name: h.name }));
  keyed(
    "ipv4.dhcp.hosts",
    have.dhcp.hosts,
    hosts,
    (h) => h.mac,
    (h) => h,
    add,
  );
}

function diffIpv6(want: NonNullable<NetworkSpec["ipv6"]> | null, have: ParsedNetwork["ipv6"], add: Add): void {
  if (want === null || have === null) {
    if (want !== have) add("ipv6", have && { ...have, index: undefined }, want, "restart");
    return;
  }
  if (have.address !== want.address) add("ipv6.address", have.address, want.address, "restart");
  if (have.prefix !== want.prefix) add("ipv6.prefix", have.prefix, want.prefix, "restart");
  if (want.dhcp === null || have.dhcp === null) {
    if (want.dhcp !== have.dhcp) add("ipv6.dhcp", have.dhcp, want.dhcp, "restart");
    return;
  }
  if (have.dhcp.start !== want.dhcp.start) add("ipv6.dhcp.start", have.dhcp.start, want.dhcp.start, "restart");
  if (have.dhcp.end !== want.dhcp.end) add("ipv6.dhcp.end", have.dhcp.end, want.dhcp.end, "restart");
  keyed(
    "ipv6.dhcp.hosts",
    have.dhcp.hosts,
    want.dhcp.hosts,
    (h) => h.id ?? `name:${h.name ?? ""}`,
    (h) => ({ id: h.id, ip: h.ip, name: h.name }),
    add,
  );
}
