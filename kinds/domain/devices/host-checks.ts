/**
 * Plan-stage checks of a guest's devices that only the host can answer (dry-run and apply
 * alike, before anything is defined). PCI host devices: the address exists on the host
 * (`/sys/bus/pci/devices/ADDR`), no other guest on the host uses it (their inactive XML), and
 * it is not the NIC that carries the host's default route (IPv4 or IPv6) — passing that
 * through would cut the host off. virtiofs shares: the source is a directory on the host
 * (libvirt would only find out when the guest starts). Throws HostdevError naming the host,
 * the field and the value; nothing is applied.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { VirtfleetError } from "../../../common/errors.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { child, parseXml } from "../../libvirt-xml/xml-io.js";
import type { DomainSpec } from "../spec.js";
import { canonicalPci, hostdevKey } from "./addresses.js";
import { parseDevices } from "./xml-parse.js";

export class HostdevError extends VirtfleetError {
  constructor(host: string, domain: string, problems: string[]) {
    super("HOSTDEV", `host ${host}: domain ${domain}: ${problems.join("; ")}; the guest was not defined or changed`);
  }
}

export async function checkDevicesOnHost(
  spec: DomainSpec,
  hv: Hypervisor,
  host: string,
  /** Root of /sys and /proc (tests). */
  root = "/",
): Promise<void> {
  const problems: string[] = [];
  for (const [i, f] of (spec.filesystems ?? []).entries()) {
    const st = await stat(f.source).catch(() => null);
    if (!st?.isDirectory())
      problems.push(
        `filesystems[${i}].source: ${f.source} ${st ? "is not a directory" : "does not exist"} on this host`,
      );
  }
  const pci = (spec.hostdevs ?? []).flatMap((h, i) => ("pci" in h ? [{ i, addr: h.pci }] : []));
  if (pci.length === 0) {
    if (problems.length > 0) throw new HostdevError(host, spec.name, problems);
    return;
  }
  const uplinks = await defaultRouteDevices(root);
  const others = await otherGuestsHostdevs(hv, spec.name);
  for (const { i, addr } of pci) {
    const field = `hostdevs[${i}].pci`;
    if (!(await exists(join(root, "sys/bus/pci/devices", addr)))) {
      problems.push(`${field}: PCI device ${addr} does not exist on this host (see lspci -D)`);
      continue;
    }
    const nic = uplinks.get(addr);
    if (nic !== undefined)
      problems.push(`${field}: PCI device ${addr} is the host's NIC ${nic}, which carries its default route`);
    const user = others.get(hostdevKey({ pci: addr }));
    if (user !== undefined) problems.push(`${field}: PCI device ${addr} is already assigned to guest ${user}`);
  }
  if (problems.length > 0) throw new HostdevError(host, spec.name, problems);
}

/** PCI address → interface name, for every interface that carries a default route. */
async function defaultRouteDevices(root: string): Promise<Map<string, string>> {
  const names = new Set<string>();
  const v4 = await readFile(join(root, "proc/net/route"), "utf8").catch(() => "");
  for (const line of v4.split("\n").slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && dest === "00000000" && mask === "00000000") names.add(iface);
  }
  const v6 = await readFile(join(root, "proc/net/ipv6_route"), "utf8").catch(() => "");
  for (const line of v6.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === "00" && f[9] !== "lo") names.add(f[9]!);
  }
  const out = new Map<string, string>();
  for (const name of names) {
    const dev = await realpath(join(root, "sys/class/net", name, "device")).catch(() => null);
    const addr = dev ? canonicalPci(basename(dev)) : null;
    if (addr) out.set(addr, name);
  }
  return out;
}

/** Host device key → the name of the other guest (not `self`) whose definition uses it. */
async function otherGuestsHostdevs(hv: Hypervisor, self: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ref of await hv.domains()) {
    if (ref.name === self) continue;
    let xml: string;
    try {
      xml = await hv.domainXml(ref, { inactive: true });
    } catch {
      continue; // removed meanwhile
    }
    for (const key of parseDevices(child(parseXml(xml, "domain"), "devices")).hostdevs)
      if (!out.has(key)) out.set(key, ref.name);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return realpath(path).then(
    () => true,
    () => false,
  );
}
