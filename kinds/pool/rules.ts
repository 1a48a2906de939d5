import { checkAbsolutePath, matchesPattern } from "../../policy-primitives/names.js";

/**
 * Value rules of pool fields shared by the policy semantics (semantics.ts, with file:line:col)
 * and the agent's check of a resolved spec (check.ts). Each returns a message or null.
 */

/** A block device path: absolute, normalised, under /dev. */
export function deviceProblem(v: string): string | null {
  const bad = checkAbsolutePath(v);
  if (bad) return bad;
  if (!v.startsWith("/dev/")) return `${JSON.stringify(clip(v))} is not a device path: it must be under /dev`;
  return null;
}

/** iSCSI qualified names: iqn.YYYY-MM.reversed.domain[:anything], eui.<16 hex>, naa.<16 or 32 hex>. */
const IQN =
  /^(iqn\.[0-9]{4}-[0-9]{2}\.[A-Za-z0-9][A-Za-z0-9.-]*(:[^\s<>&"']+)?|eui\.[0-9A-Fa-f]{16}|naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}))$/;

export function iqnProblem(v: string): string | null {
  return IQN.test(v)
    ? null
    : `${JSON.stringify(clip(v))} is not an iSCSI name (iqn.YYYY-MM.domain[:name], eui.<16 hex digits> or naa.<hex>)`;
}

/** A host name or IPv4 address, optionally `:port` (Ceph monitors). */
export function hostPortProblem(v: string, portAllowed: boolean): string | null {
  const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(v);
  const host = portAllowed && m ? m[1]! : v;
  const port = portAllowed && m?.[2] !== undefined ? Number(m[2]) : null;
  if (!matchesPattern("hostname", host))
    return `${JSON.stringify(clip(v))} is not a host name or IPv4 address${portAllowed ? " (optionally :port)" : ""}`;
  if (port !== null && (port < 1 || port > 65535)) return `port ${port} is out of range (1-65535)`;
  return null;
}

/** A secret file: an absolute, normalised path. */
export function secretFileProblem(v: string): string | null {
  return checkAbsolutePath(v);
}

function clip(v: string): string {
  return v.length > 100 ? `${v.slice(0, 100)}…` : v;
}
