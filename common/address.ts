import { OptionError } from "./errors.js";

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT` or `[IPv6]:PORT`. `option` names the flag in the error message.
 * Port 0 is allowed only when `allowZero` (let the OS pick, for tests).
 */
export function parseHostPort(text: string, option: string, allowZero = false): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new OptionError(option, `"${text}" is not HOST:PORT (e.g. 127.0.0.1:7443)`);
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535 || (port === 0 && !allowZero)) throw new OptionError(option, `port ${port} is out of range 1-65535`);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses a comma-separated list of controllers, `HOST:PORT[,HOST:PORT…]` (several replicas
 * of one controller; docs/operations.md "Several controllers"), keeping the order given.
 * `option` names the flag (or variable) in the error message. Refused: an empty list, an empty
 * entry (`a:1,,b:2`, a trailing comma), an entry parseHostPort refuses, the same address twice.
 * One DNS name that resolves to several addresses is one entry: gRPC tries its addresses.
 */
export function parseHostPortList(text: string, option: string): HostPort[] {
  const entries = text.split(",").map((e) => e.trim());
  if (entries.length === 1 && entries[0] === "")
    throw new OptionError(option, "is empty: give HOST:PORT, or several as HOST:PORT,HOST:PORT");
  const list: HostPort[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (entry === "")
      throw new OptionError(
        option,
        `entry ${i + 1} of "${text}" is empty: separate HOST:PORT entries with single commas, without a trailing one`,
      );
    const address = parseHostPort(entry, option);
    const key = formatHostPort(address).toLowerCase();
    if (seen.has(key)) throw new OptionError(option, `${formatHostPort(address)} is given twice in "${text}"`);
    seen.add(key);
    list.push(address);
  });
  return list;
}

/** The list as parseHostPortList reads it: `a:7443,b:7443`. */
export function formatHostPortList(list: readonly HostPort[]): string {
  return list.map(formatHostPort).join(",");
}
