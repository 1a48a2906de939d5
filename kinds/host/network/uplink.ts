import { VirtfleetError } from "../../../common/errors.js";
import type { IpCommand } from "./ip.js";
import type { Link } from "./links.js";

/**
 * The interface the kernel routes `address` over (`ip -json route get ADDRESS`), or null
 * when there is no route. `address` is an IP address (the controller's, resolved by the caller).
 */
export async function routeDevice(ip: IpCommand, address: string): Promise<string | null> {
  let out: string;
  try {
    out = await ip.run(["-json", "route", "get", address]);
  } catch {
    return null; // "Network is unreachable": nothing carries it
  }
  let routes: unknown;
  try {
    routes = JSON.parse(out || "[]");
  } catch (err) {
    throw new VirtfleetError("HOST_NETWORK_READ", "ip -json route get printed something that is not JSON", {
      cause: err,
    });
  }
  const dev = Array.isArray(routes) ? (routes[0] as { dev?: unknown } | undefined)?.dev : undefined;
  return typeof dev === "string" ? dev : null;
}

/**
 * The uplink: `dev` and everything it rests on — a bridge's members, a bond's slaves, a
 * VLAN's link, recursively. Changing any of them can cut the controller connection.
 */
export function uplinkClosure(dev: string, links: ReadonlyMap<string, Link>): Set<string> {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    const l = links.get(name);
    if (l?.vlan?.link) visit(l.vlan.link);
    for (const m of links.values()) if (m.master === name) visit(m.name);
  };
  visit(dev);
  return out;
}
