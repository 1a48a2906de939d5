import { posix } from "node:path";

/**
 * Value formats shared by the schema (as JSON Schema patterns) and the semantic checks
 * (after templating). Each pattern is anchored.
 */
export const PATTERNS = {
  /** Policy names (spec): lower-case letters, digits and `-`, 1–63 characters. */
  policyName: "^[a-z0-9-]{1,63}$",
  /** Networks, pools, domains: letters, digits, `_`, `-`; starts with a letter or digit; ≤ 63. */
  resourceName: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
  /** Volumes: like resource names plus `.` and `+`, ≤ 255, never `..`. */
  volumeName: "^(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}$",
  /** `pool/volume`. */
  volumeRef: "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}/(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}$",
  /** Linux interface names: ≤ 15 characters. */
  bridgeName: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$",
  mac: "^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$",
  ipv4: "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$",
  /** IPv6 in hex groups with `::` compression (no zone index, no embedded IPv4 part). */
  ipv6: "^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|([0-9A-Fa-f]{1,4}:){1,7}:|([0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}|([0-9A-Fa-f]{1,4}:){1,5}(:[0-9A-Fa-f]{1,4}){1,2}|([0-9A-Fa-f]{1,4}:){1,4}(:[0-9A-Fa-f]{1,4}){1,3}|([0-9A-Fa-f]{1,4}:){1,3}(:[0-9A-Fa-f]{1,4}){1,4}|([0-9A-Fa-f]{1,4}:){1,2}(:[0-9A-Fa-f]{1,4}){1,5}|[0-9A-Fa-f]{1,4}:(:[0-9A-Fa-f]{1,4}){1,6}|:((:[0-9A-Fa-f]{1,4}){1,7}|:))$",
  /** A DHCPv6 client's DUID as libvirt's `<host id>` takes it: hex bytes separated by `:`. */
  duid: "^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){1,129}$",
  sha256: "^[0-9A-Fa-f]{64}$",
  url: "^(file|https?)://[^\\s]+$",
  /** crypt(3) hashes: MD5 `$1$`, bcrypt `$2b$`, SHA-256 `$5$`, SHA-512 `$6$`, yescrypt `$y$`, gost-yescrypt `$gy$`, scrypt `$7$`. */
  passwordHash: "^\\$(1|2[abxy]|5|6|y|gy|7)\\$[./A-Za-z0-9$=,]+$",
  sshKey:
    "^(.+\\s)?(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com)\\s+[A-Za-z0-9+/]+={0,3}(\\s.*)?$",
  /** Linux user and group names. */
  userName: "^[a-z_][a-z0-9_-]{0,31}$",
  /** Distribution package names, optionally with a version (`pkg=1.2`). */
  packageName: "^[A-Za-z0-9][A-Za-z0-9.+_:~=-]{0,127}$",
  hostname:
    "^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
  machine: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
  sysctlKey: "^[a-z][a-z0-9_]*(\\.[A-Za-z0-9_-]+)+$",
  kernelModule: "^[A-Za-z0-9_-]{1,64}$",
  size: "^[0-9]+(\\.[0-9]+)?(KiB|MiB|GiB|TiB)?$",
  duration: "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$",
  percent: "^([1-9][0-9]?|100)%$",
  labelKey: "^[A-Za-z0-9]([A-Za-z0-9_./-]{0,62})?$",
  varName: "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
  factPath: "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$",
  groupName: "^[A-Za-z0-9_-]{1,63}$",
} as const;

export type PatternName = keyof typeof PATTERNS;

/** What each format means, for error messages. */
export const PATTERN_HELP: Record<PatternName, string> = {
  policyName: "lower-case letters, digits and '-', 1 to 63 characters",
  resourceName: "letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters",
  volumeName: "letters, digits, '_', '.', '+' and '-', at most 255 characters, never '..'",
  volumeRef: "must be pool/volume",
  bridgeName: "a Linux interface name of at most 15 characters",
  mac: "a MAC address (aa:bb:cc:dd:ee:ff)",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address (hex groups, :: allowed)",
  duid: "a DHCPv6 DUID: hex bytes separated by ':' (e.g. 0:3:0:1:52:54:0:0:0:10)",
  sha256: "64 hexadecimal digits",
  url: "a file://, http:// or https:// URL",
  passwordHash: "a crypt(3) hash ($6$…, $y$…, $5$…, $2b$…, $1$…); plaintext passwords are not accepted",
  sshKey: "an OpenSSH public key (ssh-ed25519 AAAA…)",
  userName: "a Linux user name",
  packageName: "a package name",
  hostname: "a host name",
  machine: "a QEMU machine type, e.g. q35",
  sysctlKey: "a dotted sysctl key",
  kernelModule: "a kernel module name",
  size: "a size: integer bytes or a number with KiB, MiB, GiB or TiB (e.g. 10GiB)",
  duration: "a duration: a number with ms, s, m or h (e.g. 30s)",
  percent: "a host count or a percentage from 1% to 100% (e.g. 25%)",
  labelKey: "a label key",
  varName: "a variable name",
  factPath: "a dotted fact path",
  groupName: "a group name",
};

const COMPILED = Object.fromEntries(Object.entries(PATTERNS).map(([k, v]) => [k, new RegExp(v, "u")])) as Record<
  PatternName,
  RegExp
>;

export function matchesPattern(name: PatternName, value: string): boolean {
  return COMPILED[name].test(value);
}

/**
 * Characters never allowed in resource strings: control characters (C0 including tab and
 * newline, DEL, C1), the non-characters U+FFFE/U+FFFF and lone UTF-16 surrogates. XML 1.0
 * cannot carry most of them (libvirt would get invalid XML), the rest change meaning on the
 * way (an attribute's newline becomes a space), and none belongs in a name, path or key.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** FORBIDDEN less tab, line feed and carriage return: for the free-text fields of MULTILINE_FIELD. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_MULTILINE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Field paths (formatted: `spec.resources.domains[0].cloudInit.writeFiles[1].content`, or a
 * resolved spec's `cloudInit.runcmd[0][2]`) whose strings are free text that never reaches
 * XML or a command line of the host: a cloud-init file's content, commands and vendor-data.
 * They may hold tabs and line breaks (the seed writes them YAML-escaped).
 */
const MULTILINE_FIELD =
  /(?:^|\.)cloudInit\.(?:writeFiles\[\d+\]\.content|(?:runcmd|bootcmd)(?:\[\d+\])+|vendorData(?:[.[].*)?)$/s;

export function allowsLineBreaks(field: string): boolean {
  return MULTILINE_FIELD.test(field);
}

/**
 * Names the first forbidden character of `value` and where it is, or null when there is none.
 * With `multiline`, tabs and line breaks are allowed.
 */
export function controlCharProblem(value: string, multiline = false): string | null {
  const m = (multiline ? FORBIDDEN_MULTILINE : FORBIDDEN).exec(value);
  if (!m) return null;
  const code = m[0].charCodeAt(0);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const what =
    code >= 0xd800 && code <= 0xdfff
      ? `the lone surrogate ${hex}`
      : code >= 0xfffe
        ? `the non-character ${hex}`
        : `the control character ${hex}${CONTROL_NAMES[code] ? ` (${CONTROL_NAMES[code]})` : ""}`;
  return `${what} at character ${m.index + 1} is not allowed (no control characters: newlines, tabs, NUL…)`;
}

const CONTROL_NAMES: Record<number, string> = {
  0: "NUL",
  9: "tab",
  10: "newline",
  13: "carriage return",
  27: "escape",
  127: "DEL",
};

/**
 * Checks an absolute, normalised path (no `..` or `.` segments, no `//`, no trailing `/`,
 * not `/`, no control characters, no segment with white space at either end: XML parsers
 * trim it, so it would not round-trip through libvirt). Returns a message, or null when fine.
 */
export function checkAbsolutePath(value: string): string | null {
  const bad = controlCharProblem(value);
  if (bad) return bad;
  const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (!value.startsWith("/")) return `${shown} must be an absolute path`;
  if (value === "/") return `"/" is not allowed`;
  if (value.split("/").includes("..")) return `${shown} must not contain ".."`;
  if (posix.normalize(value) !== value || value.endsWith("/"))
    return `${shown} must be normalised (expected ${JSON.stringify(posix.normalize(value).replace(/\/$/, ""))})`;
  if (value.split("/").some((seg) => seg !== seg.trim()))
    return `${shown}: a path segment must not start or end with white space`;
  return null;
}

/** Parses a dotted IPv4 address into an unsigned 32-bit number, or null. */
export function ipv4ToInt(text: string): number | null {
  if (!COMPILED.ipv4.test(text)) return null;
  return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The subnet `address/prefix` covers: first and last address (inclusive), as numbers. */
export function subnetRange(address: number, prefix: number): { network: number; broadcast: number } {
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  return { network, broadcast: network + size - 1 };
}
