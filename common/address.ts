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
