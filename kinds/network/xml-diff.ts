/**
 * Desired NetworkSpec vs a ParsedNetwork (from the INACTIVE XML).
 *
 * Disruption rules (effect on an ACTIVE network):
 * - `recreate`: a different UUID (`opts.uuid`);
 * - `live`: adding, changing or removing a static DHCP host (net-update
 *   add/modify/delete ip-dhcp-host with AFFECT_LIVE|AFFECT_CONFIG);
 * - `restart`: everything else (mode, bridge, mtu, ipv4 address/prefix, DHCP on/off and
 *   range) — redefine, then net-destroy + net-start; guests on it lose connectivity
 *   meanwhile, so the engine restarts a network only where the policy allows.
 * When the network is NOT active every change is `live` except `recreate`.
 * A null desired bridge or mtu means "libvirt's choice" and is not compared; stp/delay
 * are libvirt's defaults and never compared. DHCP hosts match by MAC (case-insensitive);
 * their order does not matter.
 */
import type { NetworkSpec } from "./spec.js";
import type { Disruption, FieldChange } from "../../common/changes.js";
import type { ParsedNetwork } from "./parsed.js";

export function diffNetwork(
  desired: NetworkSpec,
  actual: ParsedNetwork,
  active: boolean,
  opts: { uuid?: string } = {},
): FieldChange[] {
  const out: FieldChange[] = [];
  const add = (field: string, from: unknown, to: unknown, d: Disruption) =>
    out.push({ field, from, to, disruption: active || d === "recreate" ? d : "live" });

  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase())
    add("uuid", actual.uuid, opts.uuid.toLowerCase(), "recreate");
  if (actual.mode !== desired.mode) add("mode", actual.mode, desired.mode, "restart");
  if (desired.bridge !== null && actual.bridge !== desired.bridge)
    add("bridge", actual.bridge, desired.bridge, "restart");
  if (desired.mtu !== null && actual.mtu !== desired.mtu) add("mtu", actual.mtu, desired.mtu, "restart");

  const want = desired.ipv4;
  const have = actual.ipv4;
  if (want === null || have === null) {
    if (want !== have) add("ipv4", have, want, "restart");
    return out;
  }
  if (have.address !== want.address) add("ipv4.address", have.address, want.address, "restart");
  if (have.prefix !== want.prefix) add("ipv4.prefix", have.prefix, want.prefix, "restart");
  if (want.dhcp === null || have.dhcp === null) {
    if (want.dhcp !== have.dhcp) add("ipv4.dhcp", have.dhcp, want.dhcp, "restart");
    return out;
  }
  if (have.dhcp.start !== want.dhcp.start) add("ipv4.dhcp.start", have.dhcp.start, want.dhcp.start, "restart");
  if (have.dhcp.end !== want.dhcp.end) add("ipv4.dhcp.end", have.dhcp.end, want.dhcp.end, "restart");

  const byMac = new Map(have.dhcp.hosts.map((h) => [h.mac, h]));
  const wanted = new Set<string>();
  want.dhcp.hosts.forEach((h, i) => {
    const mac = h.mac.toLowerCase();
    wanted.add(mac);
    const to = { mac, ip: h.ip, name: h.name };
    const got = byMac.get(mac);
    if (got === undefined) add(`ipv4.dhcp.hosts[${i}]`, null, to, "live");
    else if (got.ip !== h.ip || got.name !== h.name) add(`ipv4.dhcp.hosts[${i}]`, got, to, "live");
  });
  for (const got of have.dhcp.hosts) if (!wanted.has(got.mac)) add(`ipv4.dhcp.hosts[${got.mac}]`, got, null, "live");
  return out;
}
