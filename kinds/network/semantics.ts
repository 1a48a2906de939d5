import type { PathSegment } from "../../policy-primitives/issues.js";
import { intToIpv4, ipv4ToInt, subnetRange } from "../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import { clashOf, footprintOf, type Footprint } from "./footprint.js";
import { formatIpv6, parseIpv6, subnet6 } from "./ipv6.js";
import { checkDns, checkModeFields, checkPortgroups } from "./semantics-modes.js";
import type { NetworkDocument } from "./spec.js";

/**
 * The networks of one policy beyond the schema: names unique, which fields each mode takes
 * (semantics-modes.ts), IPv4 and IPv6 subnet arithmetic (the address is the host's address
 * on the subnet, DHCP range and static hosts inside it, no duplicate MAC/DUID or IP), and no
 * two present networks on one bridge or on overlapping subnets (footprint.ts). Records the
 * networks declared absent in `refs`.
 */
export function checkNetworkDocuments(
  networks: readonly NetworkDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  const taken: { index: number; fp: Footprint }[] = [];
  networks.forEach((n, i) => {
    const name = c.format(n.name, [...path, i, "name"], "resourceName");
    if (name !== undefined) {
      c.declaredOnce(seen, name, [...path, i, "name"], "network", i);
      if (n.state === "absent") absentOf(refs, "network").add(name);
    }
    checkNetwork(n, [...path, i], c);
    if (n.state === "absent") return;
    const fp = footprintOf({
      mode: n.mode,
      bridge: c.concrete(n.bridge),
      ipv4: n.ipv4 && { address: c.concrete(n.ipv4.address), prefix: n.ipv4.prefix },
      ipv6: n.ipv6 && { address: c.concrete(n.ipv6.address), prefix: n.ipv6.prefix },
    });
    for (const t of taken) {
      const clash = clashOf(fp, t.fp);
      if (clash === null) continue;
      const field = clash.startsWith("bridge") ? "bridge" : clash.startsWith("IPv4") ? "ipv4" : "ipv6";
      c.issues.add(
        [...path, i, field],
        `network "${n.name}" takes the ${clash} that network "${networks[t.index]!.name}" (${String(path[path.length - 1])}[${t.index}]) takes already: give each network its own bridge and subnet`,
      );
      break;
    }
    taken.push({ index: i, fp });
  });
}

function checkNetwork(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  c.format(n.bridge, [...path, "bridge"], "bridgeName");
  checkModeFields(n, path, c);
  checkIpv4(n, path, c);
  checkIpv6(n, path, c);
  checkDns(n, path, c);
  checkPortgroups(n, path, c);
}

function checkIpv4(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const ip = n.ipv4;
  if (!ip) return;
  const ipPath = [...path, "ipv4"];
  const addrText = c.format(ip.address, [...ipPath, "address"], "ipv4");
  const start = c.format(ip.dhcp?.start, [...ipPath, "dhcp", "start"], "ipv4");
  const end = c.format(ip.dhcp?.end, [...ipPath, "dhcp", "end"], "ipv4");
  if (addrText === undefined) {
    ip.dhcp?.hosts?.forEach((h, j) => dhcpHost(h, [...ipPath, "dhcp", "hosts", j], null, null, c));
    return;
  }
  const addr = ipv4ToInt(addrText)!;
  const sub = subnetRange(addr, ip.prefix);
  const subnetText = `${intToIpv4(sub.network)}/${ip.prefix}`;
  if (addr === sub.network || addr === sub.broadcast) {
    c.issues.add(
      [...ipPath, "address"],
      `${addrText} is the ${addr === sub.network ? "network" : "broadcast"} address of ${subnetText}; use a host address`,
    );
  }
  const inside = (v: number) => v > sub.network && v < sub.broadcast;
  if (start !== undefined && !inside(ipv4ToInt(start)!))
    c.issues.add([...ipPath, "dhcp", "start"], `${start} is outside the subnet ${subnetText}`);
  else if (end !== undefined && !inside(ipv4ToInt(end)!))
    c.issues.add([...ipPath, "dhcp", "end"], `${end} is outside the subnet ${subnetText}`);
  else if (start !== undefined && end !== undefined) {
    const s = ipv4ToInt(start)!;
    const e = ipv4ToInt(end)!;
    if (s > e) c.issues.add([...ipPath, "dhcp", "end"], `DHCP range ends (${end}) before it starts (${start})`);
    else if (addr >= s && addr <= e)
      c.issues.add([...ipPath, "dhcp"], `DHCP range ${start}–${end} contains the network's own address ${addrText}`);
  }
  const seenMac = new Set<string>();
  const seenIp = new Set<string>();
  ip.dhcp?.hosts?.forEach((h, j) => {
    const hp = [...ipPath, "dhcp", "hosts", j];
    const r = dhcpHost(h, hp, { ...sub, text: subnetText }, addr, c);
    if (r.mac) {
      if (seenMac.has(r.mac)) c.issues.add([...hp, "mac"], `MAC ${r.mac} has two DHCP entries`);
      seenMac.add(r.mac);
    }
    if (r.ip) {
      if (seenIp.has(r.ip)) c.issues.add([...hp, "ip"], `IP ${r.ip} has two DHCP entries`);
      seenIp.add(r.ip);
    }
  });
}

function dhcpHost(
  h: { mac: string; ip: string; name?: string },
  path: PathSegment[],
  sub: { network: number; broadcast: number; text: string } | null,
  addr: number | null,
  c: ValueChecker,
): { mac?: string; ip?: string } {
  const mac = c.mac(h.mac, [...path, "mac"]);
  const ip = c.format(h.ip, [...path, "ip"], "ipv4");
  c.format(h.name, [...path, "name"], "hostname");
  if (ip !== undefined && sub) {
    const v = ipv4ToInt(ip)!;
    if (v <= sub.network || v >= sub.broadcast)
      c.issues.add([...path, "ip"], `${ip} is outside the subnet ${sub.text}`);
    else if (v === addr) c.issues.add([...path, "ip"], `${ip} is the network's own address`);
  }
  return { mac, ip };
}

/**
 * IPv6: `address` is the host's address on the subnet `address/prefix` (host bits set, so
 * not the subnet's first address, the subnet-router anycast address); the DHCPv6 range and
 * static hosts lie inside the subnet; a static host has a DUID (`id`) or a `name`.
 */
function checkIpv6(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const ip = n.ipv6;
  if (!ip) return;
  const at = [...path, "ipv6"];
  const addrText = c.format(ip.address, [...at, "address"], "ipv6");
  const start = c.format(ip.dhcp?.start, [...at, "dhcp", "start"], "ipv6");
  const end = c.format(ip.dhcp?.end, [...at, "dhcp", "end"], "ipv6");
  const addr = addrText === undefined ? null : parseIpv6(addrText);
  const sub = addr === null ? null : subnet6(addr, ip.prefix);
  const subText = sub ? `${formatIpv6(sub.network)}/${ip.prefix}` : "";
  if (addr !== null && sub && ip.prefix < 128 && addr === sub.network)
    c.issues.add(
      [...at, "address"],
      `${addrText} is the subnet ${subText} itself (no host bits set): the address is the host's own address on the network, e.g. ${formatIpv6(sub.network + 1n)}`,
    );
  const inside = (v: bigint) => sub !== null && v > sub.network && v <= sub.last;
  const s = start === undefined ? null : parseIpv6(start);
  const e = end === undefined ? null : parseIpv6(end);
  if (sub && s !== null && !inside(s))
    c.issues.add([...at, "dhcp", "start"], `${start} is outside the subnet ${subText}`);
  else if (sub && e !== null && !inside(e))
    c.issues.add([...at, "dhcp", "end"], `${end} is outside the subnet ${subText}`);
  else if (s !== null && e !== null) {
    if (s > e) c.issues.add([...at, "dhcp", "end"], `DHCPv6 range ends (${end}) before it starts (${start})`);
    else if (addr !== null && addr >= s && addr <= e)
      c.issues.add([...at, "dhcp"], `DHCPv6 range ${start}–${end} contains the network's own address ${addrText}`);
  }
  const seenId = new Set<string>();
  const seenIp = new Set<bigint>();
  ip.dhcp?.hosts?.forEach((h, j) => {
    const hp = [...at, "dhcp", "hosts", j];
    const id = c.format(h.id, [...hp, "id"], "duid");
    c.format(h.name, [...hp, "name"], "hostname");
    if (h.id === undefined && h.name === undefined)
      c.issues.add(hp, "a DHCPv6 static host needs the client's DUID (id) or its host name (name)");
    const ipText = c.format(h.ip, [...hp, "ip"], "ipv6");
    const v = ipText === undefined ? null : parseIpv6(ipText);
    if (v !== null && sub && !inside(v)) c.issues.add([...hp, "ip"], `${ipText} is outside the subnet ${subText}`);
    else if (v !== null && v === addr) c.issues.add([...hp, "ip"], `${ipText} is the network's own address`);
    else if (v !== null) {
      if (seenIp.has(v)) c.issues.add([...hp, "ip"], `IP ${ipText} has two DHCPv6 entries`);
      seenIp.add(v);
    }
    if (id !== undefined) {
      if (seenId.has(id.toLowerCase())) c.issues.add([...hp, "id"], `DUID ${id} has two DHCPv6 entries`);
      seenId.add(id.toLowerCase());
    }
  });
}
