import type { HostNetworkSpec } from "../spec.js";
import { HEADER } from "./header.js";

/** ifupdown stanza files virtfleet owns in interfaces.d: `virtfleet-NAME` (NAME encoded, see below). */
export const IFUPDOWN_PREFIX = "virtfleet-";

/**
 * An interface name as a file name `source-directory` and run-parts accept ([A-Za-z0-9_-]):
 * `_` → `_5f`, `.` → `_2e` (reversible, so `eno1.20` and `eno1_20` never share a file).
 */
export function ifupdownFileName(name: string): string {
  return IFUPDOWN_PREFIX + name.replace(/_/g, "_5f").replace(/\./g, "_2e");
}

/**
 * The ifupdown stanzas (file name → content) for the interfaces virtfleet created, one file
 * per interface: `auto NAME` + `iface NAME inet manual` with bridge-utils' `bridge_ports`,
 * `bridge_stp`, ifenslave's `bond-slaves`/`bond-mode`/`bond-miimon`, vlan's
 * `vlan-raw-device` (+ `vlan-id`, which ifupdown2 reads), and `mtu`. Addressing is the host's
 * (its own stanza for the same interface would be a duplicate: keep addressing out of
 * interfaces virtfleet creates, or adopt an existing interface instead).
 */
export function renderIfupdown(spec: HostNetworkSpec, created: ReadonlySet<string>): Map<string, string> {
  const files = new Map<string, string>();
  const stanza = (name: string, lines: string[], mtu: number | null) =>
    files.set(
      ifupdownFileName(name),
      `${HEADER}\nauto ${name}\niface ${name} inet manual\n${[...lines, ...(mtu === null ? [] : [`mtu ${mtu}`])]
        .map((l) => `    ${l}\n`)
        .join("")}`,
    );
  for (const b of spec.bridges.filter((x) => created.has(x.name)))
    stanza(
      b.name,
      [
        `bridge_ports ${b.interfaces.length > 0 ? b.interfaces.join(" ") : "none"}`,
        `bridge_stp ${b.stp ? "on" : "off"}`,
        ...(b.vlanFiltering ? ["bridge_vlan_aware yes"] : []),
      ],
      b.mtu,
    );
  for (const b of spec.bonds.filter((x) => created.has(x.name)))
    stanza(
      b.name,
      [
        `bond-slaves ${b.interfaces.length > 0 ? b.interfaces.join(" ") : "none"}`,
        `bond-mode ${b.mode}`,
        `bond-miimon ${b.miimon}`,
      ],
      b.mtu,
    );
  for (const v of spec.vlans.filter((x) => created.has(x.name)))
    stanza(v.name, [`vlan-raw-device ${v.link}`, `vlan-id ${v.id}`], v.mtu);
  return files;
}
