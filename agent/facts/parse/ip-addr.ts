/** Per-interface data `ip -j -d addr` adds to what /sys/class/net gives. */
export interface IpLinkInfo {
  /** `linkinfo.info_kind` (`veth`, `bridge`, `vlan`, `tun`, …), null when absent. */
  kind: string | null;
  addresses: { family: "inet" | "inet6"; address: string; prefix: number }[];
}

/**
 * Parses the JSON of `ip -j [-d] addr show` into a map by interface name. Entries without
 * `ifname` are skipped, address families other than inet/inet6 are dropped. Throws a
 * SyntaxError when the text is not a JSON array.
 */
export function parseIpAddrJson(text: string): Map<string, IpLinkInfo> {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new SyntaxError("ip -j addr: expected a JSON array");
  const out = new Map<string, IpLinkInfo>();
  for (const entry of data) {
    if (typeof entry !== "object" || entry === null) continue;
    const e = entry as { ifname?: unknown; linkinfo?: { info_kind?: unknown }; addr_info?: unknown };
    if (typeof e.ifname !== "string") continue;
    const kind = typeof e.linkinfo?.info_kind === "string" ? e.linkinfo.info_kind : null;
    const addresses: IpLinkInfo["addresses"] = [];
    if (Array.isArray(e.addr_info)) {
      for (const a of e.addr_info as { family?: unknown; local?: unknown; prefixlen?: unknown }[]) {
        if (
          (a.family === "inet" || a.family === "inet6") &&
          typeof a.local === "string" &&
          typeof a.prefixlen === "number"
        ) {
          addresses.push({ family: a.family, address: a.local, prefix: a.prefixlen });
        }
      }
    }
    out.set(e.ifname, { kind, addresses });
  }
  return out;
}
