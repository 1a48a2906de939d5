import { join } from "node:path";
import { VirtfleetError } from "../../../common/errors.js";
import { resourceId } from "../../../engine/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { parseNetworkXml } from "../../network/xml-parse.js";
import { orNull } from "../../resource-context.js";
import type { DomainSpec } from "../spec.js";
import { realIp } from "../../host/network/ip.js";
import { vlanRefusal } from "./vlan.js";
import { pathExists } from "../../../common/path-exists.js";

/** A guest's NIC names something the host does not have (or cannot do). */
export class NicHostError extends VirtfleetError {
  constructor(
    readonly domain: string,
    readonly problems: string[],
    readonly host: string,
  ) {
    super(
      "NIC_HOST",
      `domain ${domain}: on ${host}, ${problems.join("; ")}: fix the policy or the host; the guest was not defined or changed`,
    );
  }
}

/** Where network devices are listed; tests point it elsewhere. */
export const SYS_CLASS_NET = "/sys/class/net";

/** The host interfaces the bundle's host networking creates: bridges, and every link (bridges, bonds, VLANs). */
export interface DeclaredHostLinks {
  bridges: ReadonlySet<string>;
  links: ReadonlySet<string>;
}

const DECLARED = new WeakMap<DomainSpec, DeclaredHostLinks>();

/** Records (kinds/build-resources.ts) what host networking of the bundle `spec` belongs to creates. */
export function declareGuestHostLinks(spec: DomainSpec, links: DeclaredHostLinks): void {
  DECLARED.set(spec, links);
}

export interface NicHostCheckOptions {
  hv: Hypervisor;
  /** How errors name the host (`host NAME`, default `this host`). */
  host?: string;
  /** Engine ids of the bundle's resources (`network/NAME`, …). */
  declared?: ReadonlySet<string>;
  /** True when applying (declared networks are converged before the guest). */
  applying: boolean;
  sysClassNet?: string;
  /** Whether a link is an Open vSwitch device; default: `ip -d -json link show dev NAME`. */
  isOpenvswitch?: (link: string) => Promise<boolean>;
}

/** `ip -d -json link show dev NAME` says its kind is `openvswitch`. */
async function isOpenvswitch(link: string): Promise<boolean> {
  try {
    const out = JSON.parse(await realIp().run(["-d", "-json", "link", "show", "dev", link])) as {
      linkinfo?: { info_kind?: string };
    }[];
    return out[0]?.linkinfo?.info_kind === "openvswitch";
  } catch {
    return false;
  }
}

/** Throws NicHostError listing every problem of `spec`'s NICs on this host. */
export async function checkNicsOnHost(spec: DomainSpec, o: NicHostCheckOptions): Promise<void> {
  const sys = o.sysClassNet ?? SYS_CLASS_NET;
  const made = DECLARED.get(spec);
  const problems: string[] = [];
  const networks = new Map<string, Awaited<ReturnType<typeof readNetwork>>>();
  for (const [i, nic] of spec.interfaces.entries()) {
    const at = `interfaces[${i}]`;
    if (nic.bridge !== undefined && !made?.bridges.has(nic.bridge)) {
      if (!(await pathExists(join(sys, nic.bridge))))
        problems.push(`${at}.bridge: bridge "${nic.bridge}" does not exist`);
      else if (await pathExists(join(sys, nic.bridge, "bridge"))) {
        const why = nic.vlan === undefined ? null : vlanRefusal({ kind: "bridge", openvswitch: false });
        if (why !== null) problems.push(`${at}.vlan: ${why} ("${nic.bridge}")`);
      } else if (!(await (o.isOpenvswitch ?? isOpenvswitch)(nic.bridge)))
        problems.push(`${at}.bridge: "${nic.bridge}" exists but is not a bridge (neither Linux nor Open vSwitch)`);
    } else if (nic.bridge !== undefined && nic.vlan !== undefined) {
      // Made by this bundle's host networking: a Linux bridge.
      problems.push(`${at}.vlan: ${vlanRefusal({ kind: "bridge", openvswitch: false })} ("${nic.bridge}")`);
    }
    if (nic.direct !== undefined && !made?.links.has(nic.direct)) {
      if (!(await pathExists(join(sys, nic.direct))))
        problems.push(`${at}.direct: host NIC "${nic.direct}" does not exist`);
      else if (nic.vlan !== undefined && !(await pathExists(join(sys, nic.direct, "device", "physfn"))))
        problems.push(
          `${at}.vlan: host NIC "${nic.direct}" is not an SR-IOV virtual function (libvirt tags a direct NIC's VLAN only on one)`,
        );
    }
    if (nic.network === undefined || (nic.portgroup === undefined && nic.vlan === undefined)) continue;
    if (!o.applying && o.declared?.has(resourceId("network", nic.network))) continue;
    if (!networks.has(nic.network)) networks.set(nic.network, await readNetwork(o.hv, nic.network));
    const net = networks.get(nic.network);
    if (net === null || net === undefined) continue;
    if (nic.portgroup !== undefined && !net.portgroups.some((g) => g.name === nic.portgroup))
      problems.push(`${at}.portgroup: network "${nic.network}" has no port group "${nic.portgroup}"`);
    if (nic.vlan !== undefined) {
      const why = vlanRefusal({
        kind: "network",
        mode: net.mode,
        virtualport: net.virtualport,
        macvtapMode: net.macvtapMode,
      });
      if (why !== null) problems.push(`${at}.vlan: ${why} (network "${nic.network}")`);
    }
  }
  if (problems.length > 0) throw new NicHostError(spec.name, problems, o.host ?? "this host");
}

async function readNetwork(hv: Hypervisor, name: string) {
  const ref = await orNull(hv.network(name));
  return ref === null ? null : parseNetworkXml(await hv.networkXml(ref, { inactive: true }));
}
