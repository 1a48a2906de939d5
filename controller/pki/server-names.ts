import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";

export interface ServerNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", "*", ""]);

/**
 * The names the controller's server certificate covers: always localhost, 127.0.0.1 and ::1;
 * the listen host; for a wildcard listen (0.0.0.0, ::) also this machine's host name and
 * every interface address (so agents can dial it by IP); and any `extra` (--san, the dashboard's
 * --web-listen host; a wildcard there covers the same names).
 */
export function serverNames(listenHost: string, extra: readonly string[] = []): ServerNames {
  const dns = new Set<string>(["localhost"]);
  const ips = new Set<string>(["127.0.0.1", "::1"]);
  const add = (name: string) => {
    const n = name.replace(/^\[|\]$/g, "").split("%")[0];
    if (!n) return;
    if (isIP(n)) ips.add(n);
    else dns.add(n.toLowerCase());
  };
  const addHostOrEveryAddress = (host: string) => {
    if (!WILDCARDS.has(host)) return add(host);
    add(hostname());
    for (const addrs of Object.values(networkInterfaces()))
      for (const a of addrs ?? []) if (!a.address.startsWith("fe80:")) add(a.address);
  };
  addHostOrEveryAddress(listenHost);
  // a wildcard among the extras (the dashboard's --web-listen 0.0.0.0) means the same as for the listen host
  for (const e of extra) addHostOrEveryAddress(e);
  return { dnsNames: [...dns].sort(), ipAddresses: [...ips].sort() };
}
