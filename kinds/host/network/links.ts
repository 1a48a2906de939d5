import { VirtfleetError } from "../../../common/errors.js";
import type { IpCommand } from "./ip.js";

/** One network interface as `ip -json -details link show` reports it (the fields we manage). */
export interface Link {
  name: string;
  /** linkinfo.info_kind: "bridge", "bond", "vlan", "veth", … ("" for a plain NIC). */
  kind: string;
  /** The bridge or bond it is enslaved to, or null. */
  master: string | null;
  mtu: number;
  /** Administratively up (the UP flag). */
  up: boolean;
  /** The interface alias (virtfleet's marker, see ownership.ts), or null. */
  alias: string | null;
  bridge?: { stp: boolean; vlanFiltering: boolean };
  bond?: { mode: string; miimon: number };
  vlan?: { id: number; link: string };
}

interface IpLinkJson {
  ifname?: unknown;
  master?: unknown;
  mtu?: unknown;
  flags?: unknown;
  ifalias?: unknown;
  link?: unknown;
  linkinfo?: { info_kind?: unknown; info_data?: Record<string, unknown> };
}

/**
 * Parses the JSON of `ip -json -details link show` (no text parsing). Throws when it is not
 * the array iproute2 prints. A veth's `link` is its peer, so `vlan.link` is read for VLANs only.
 */
export function parseLinks(json: string): Link[] {
  let data: unknown;
  try {
    data = JSON.parse(json || "[]");
  } catch (err) {
    throw new VirtfleetError("HOST_NETWORK_READ", "ip -json link show printed something that is not JSON", {
      cause: err,
    });
  }
  if (!Array.isArray(data)) throw new VirtfleetError("HOST_NETWORK_READ", "ip -json link show did not print a list");
  return (data as IpLinkJson[]).flatMap((l) => {
    if (typeof l.ifname !== "string") return [];
    const kind = typeof l.linkinfo?.info_kind === "string" ? l.linkinfo.info_kind : "";
    const info = l.linkinfo?.info_data ?? {};
    const link: Link = {
      name: l.ifname,
      kind,
      master: typeof l.master === "string" ? l.master : null,
      mtu: typeof l.mtu === "number" ? l.mtu : 0,
      up: Array.isArray(l.flags) && l.flags.includes("UP"),
      alias: typeof l.ifalias === "string" && l.ifalias !== "" ? l.ifalias : null,
    };
    if (kind === "bridge")
      link.bridge = { stp: Number(info.stp_state ?? 0) !== 0, vlanFiltering: Number(info.vlan_filtering ?? 0) !== 0 };
    if (kind === "bond") link.bond = { mode: String(info.mode ?? ""), miimon: Number(info.miimon ?? 0) };
    if (kind === "vlan") link.vlan = { id: Number(info.id ?? 0), link: typeof l.link === "string" ? l.link : "" };
    return [link];
  });
}

/** Every interface of the host (or of the IpCommand's namespace), by name. */
export async function readLinks(ip: IpCommand): Promise<Map<string, Link>> {
  const links = parseLinks(await ip.run(["-json", "-details", "link", "show"]));
  return new Map(links.map((l) => [l.name, l]));
}
