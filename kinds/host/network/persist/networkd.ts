import type { HostNetworkSpec } from "../spec.js";
import { HEADER } from "./header.js";

/** systemd-networkd file names virtfleet owns: `50-virtfleet-NAME.netdev|.network`. */
export const NETWORKD_PREFIX = "50-virtfleet-";

/**
 * The systemd-networkd files (file name → content) that recreate the declared interfaces at
 * boot, for the interfaces virtfleet created (an adopted interface keeps the host's own files):
 * - `50-virtfleet-NAME.netdev` per bridge, bond and VLAN (Kind, MTU, STP, bond mode, VLAN id);
 * - `50-virtfleet-NAME.network` per created interface (brought up, no addressing of its own:
 *   the host's addressing for it belongs in a file that sorts earlier, e.g. 10-br0.network,
 *   which networkd then uses instead) and per member or VLAN parent (Bridge=, Bond=, VLAN=).
 * `created`: the names virtfleet created (others are skipped).
 */
export function renderNetworkd(spec: HostNetworkSpec, created: ReadonlySet<string>): Map<string, string> {
  const files = new Map<string, string>();
  const attach = new Map<string, string[]>();
  const add = (iface: string, line: string) => attach.set(iface, [...(attach.get(iface) ?? []), line]);
  const mtu = (m: number | null) => (m === null ? [] : [`MTUBytes=${m}`]);
  for (const b of spec.bridges.filter((x) => created.has(x.name))) {
    files.set(
      `${NETWORKD_PREFIX}${b.name}.netdev`,
      section(
        ["[NetDev]", `Name=${b.name}`, "Kind=bridge", ...mtu(b.mtu)],
        ["[Bridge]", `STP=${b.stp}`, `VLANFiltering=${b.vlanFiltering}`],
      ),
    );
    for (const m of b.interfaces) add(m, `Bridge=${b.name}`);
  }
  for (const b of spec.bonds.filter((x) => created.has(x.name))) {
    files.set(
      `${NETWORKD_PREFIX}${b.name}.netdev`,
      section(
        ["[NetDev]", `Name=${b.name}`, "Kind=bond", ...mtu(b.mtu)],
        ["[Bond]", `Mode=${b.mode}`, `MIIMonitorSec=${b.miimon}ms`],
      ),
    );
    for (const m of b.interfaces) add(m, `Bond=${b.name}`);
  }
  for (const v of spec.vlans.filter((x) => created.has(x.name))) {
    files.set(
      `${NETWORKD_PREFIX}${v.name}.netdev`,
      section(["[NetDev]", `Name=${v.name}`, "Kind=vlan", ...mtu(v.mtu)], ["[VLAN]", `Id=${v.id}`]),
    );
    add(v.link, `VLAN=${v.name}`);
  }
  const names = new Set([...created].filter((n) => files.has(`${NETWORKD_PREFIX}${n}.netdev`)));
  for (const iface of new Set([...names, ...attach.keys()])) {
    const own = names.has(iface) ? ["ConfigureWithoutCarrier=yes", "LinkLocalAddressing=no"] : [];
    files.set(
      `${NETWORKD_PREFIX}${iface}.network`,
      section(["[Match]", `Name=${iface}`], ["[Network]", ...own, ...(attach.get(iface) ?? []).sort()]),
    );
  }
  return files;
}

function section(...parts: string[][]): string {
  return `${HEADER}\n${parts.map((p) => p.join("\n")).join("\n\n")}\n`;
}
