import { isIP } from "node:net";
import type { PathSegment } from "../../policy-primitives/issues.js";
import type { ValueChecker } from "../../policy-primitives/value-checker.js";
import { canonicalIpv6 } from "./ipv6.js";
import { type NetworkMode, ROUTED_MODES } from "./modes.js";
import type { NetworkDocument } from "./spec.js";

/**
 * Which fields each network mode takes (libvirt's own rules, checked at load time so a
 * policy fails with file:line:col instead of at `net-define` on each host):
 * - `ipv4`, `ipv6`, `dns`, `domain`, `mtu`: modes whose bridge libvirt creates (nat, route,
 *   open, isolated);
 * - `nat`: mode nat only; `bridge`: required by mode bridge, not allowed with macvtap/hostdev;
 * - `interface` (required) and `macvtapMode`: mode macvtap; `pf` (required): mode hostdev;
 *   `virtualport`: mode bridge;
 * - port groups: a `vlan` only on an Open vSwitch bridge (mode bridge + virtualport
 *   openvswitch), a hostdev pool or macvtap passthrough; `bandwidth` not with hostdev or
 *   macvtap. At most one default port group; names unique.
 */
export function checkModeFields(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const mode = n.mode;
  if (mode === undefined) return;
  const routed = ROUTED_MODES.includes(mode);
  const not = (field: keyof NetworkDocument, why: string) => {
    if (n[field] !== undefined) c.issues.add([...path, field], `${field} is not allowed with mode "${mode}": ${why}`);
  };
  const need = (field: keyof NetworkDocument, what: string) => {
    if (n[field] === undefined) c.issues.add([...path, field], `mode "${mode}" needs ${what} (${field})`);
  };
  if (!routed) {
    const why =
      mode === "bridge"
        ? "the existing bridge's own network serves the guests"
        : "libvirt serves no addresses on this mode";
    for (const f of ["ipv4", "ipv6", "dns", "domain"] as const) not(f, why);
    not("mtu", "libvirt sets an MTU only on a bridge it creates (nat, route, open, isolated)");
  }
  if (mode !== "nat") not("nat", "port ranges apply to mode nat only");
  if (mode === "bridge") need("bridge", "the name of an existing bridge");
  if (mode === "macvtap" || mode === "hostdev") not("bridge", "guests get ports on a host NIC, not a bridge");
  if (mode === "macvtap") need("interface", "the host NIC macvtap devices are made on");
  else not("interface", "only mode macvtap uses a host NIC");
  if (mode !== "macvtap") not("macvtapMode", "only mode macvtap has one");
  if (mode === "hostdev") need("pf", "the SR-IOV physical function whose virtual functions are handed out");
  else not("pf", "only mode hostdev uses an SR-IOV physical function");
  if (mode !== "bridge") not("virtualport", "only mode bridge attaches to an Open vSwitch bridge");
  if (n.nat && n.nat.portStart > n.nat.portEnd)
    c.issues.add(
      [...path, "nat", "portEnd"],
      `port range ends (${n.nat.portEnd}) before it starts (${n.nat.portStart})`,
    );
}

/** DNS host entries and forwarders: IPv4 or IPv6 addresses; an address listed once. */
export function checkDns(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const at = [...path, "dns"];
  const seen = new Set<string>();
  n.dns?.hosts?.forEach((h, i) => {
    const ip = address(h.ip, [...at, "hosts", i, "ip"], c);
    if (ip !== undefined) {
      if (seen.has(ip))
        c.issues.add([...at, "hosts", i, "ip"], `${ip} has two DNS host entries: list its names in one`);
      seen.add(ip);
    }
    if (h.names.length === 0) c.issues.add([...at, "hosts", i, "names"], "a DNS host entry needs at least one name");
    h.names.forEach((name, j) => c.format(name, [...at, "hosts", i, "names", j], "hostname"));
  });
  n.dns?.forwarders?.forEach((f, i) => address(f, [...at, "forwarders", i], c));
}

function address(v: string, path: PathSegment[], c: ValueChecker): string | undefined {
  const s = c.concrete(v);
  if (s === undefined) return undefined;
  const family = isIP(s);
  if (family === 0 || (family === 6 && (s.includes("%") || s.includes(".")))) {
    c.issues.add(path, `${JSON.stringify(s.slice(0, 60))} is not an IPv4 or IPv6 address`);
    return undefined;
  }
  return family === 6 ? canonicalIpv6(s) : s;
}

export function checkPortgroups(n: NetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const groups = n.portgroups ?? [];
  const mode = n.mode as NetworkMode | undefined;
  const vlanOk =
    (mode === "bridge" && n.virtualport === "openvswitch") ||
    mode === "hostdev" ||
    (mode === "macvtap" && n.macvtapMode === "passthrough");
  const bandwidthOk = mode !== "hostdev" && mode !== "macvtap";
  const names = new Map<string, number>();
  let firstDefault: number | null = null;
  groups.forEach((g, i) => {
    const at = [...path, "portgroups", i];
    const name = c.format(g.name, [...at, "name"], "resourceName");
    if (name !== undefined)
      c.unique(
        names,
        name,
        [...at, "name"],
        `port group "${name}" is declared twice (first at portgroups[${names.get(name)}])`,
        i,
      );
    if (g.vlan !== undefined && mode !== undefined && !vlanOk)
      c.issues.add(
        [...at, "vlan"],
        `a VLAN tag needs an Open vSwitch bridge (mode bridge with virtualport: openvswitch), mode hostdev or macvtapMode passthrough; not mode "${mode}"${n.virtualport ? "" : " without virtualport"}`,
      );
    if (g.bandwidth !== undefined && mode !== undefined && !bandwidthOk)
      c.issues.add([...at, "bandwidth"], `libvirt has no port group bandwidth limits for mode "${mode}"`);
    for (const dir of ["inbound", "outbound"] as const) {
      const r = g.bandwidth?.[dir];
      if (r?.peak !== undefined && r.peak < r.average)
        c.issues.add([...at, "bandwidth", dir, "peak"], `peak (${r.peak}) is below average (${r.average})`);
    }
    if (g.default === true) {
      if (firstDefault !== null)
        c.issues.add(
          [...at, "default"],
          `only one port group can be the default (portgroups[${firstDefault}] is already)`,
        );
      else firstDefault = i;
    }
  });
}
