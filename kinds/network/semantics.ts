import type { PathSegment } from "../../policy-primitives/issues.js";
import { intToIpv4, ipv4ToInt, subnetRange } from "../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import type { NetworkDocument } from "./spec.js";

/**
 * The networks of one policy beyond the schema: names unique, bridge rules of mode
 * `bridge`, IPv4 subnet arithmetic (address, DHCP range, static hosts inside the subnet, no
 * duplicate MAC or IP). Records the networks declared absent in `refs`.
 */
export function checkNetworkDocuments(
  networks: readonly NetworkDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  networks.forEach((n, i) => {
    const name = c.format(n.name, [...path, i, "name"], "resourceName");
    if (name !== undefined) {
      c.declaredOnce(seen, name, [...path, i, "name"], "network", i);
      if (n.state === "absent") absentOf(refs, "network").add(name);
    }
    checkNetwork(n, [...path, i], c);
  });
}

function checkNetwork(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  c.format(n.bridge, [...path, "bridge"], "bridgeName");
  if (n.mode === "bridge") {
    if (n.bridge === undefined) c.issues.add([...path, "bridge"], 'mode "bridge" needs the name of an existing bridge');
    if (n.ipv4 !== undefined)
      c.issues.add([...path, "ipv4"], 'mode "bridge" attaches to an existing bridge: ipv4 is not allowed');
  }
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
