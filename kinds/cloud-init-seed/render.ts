/**
 * NoCloud seed content for a domain's `cloudInit` block, rendered purely from the spec (and,
 * for `writeFiles[].contentFile`, the bytes the agent read from the host: content-file.ts).
 *
 * Contract:
 * - `user-data` is `#cloud-config` followed by one YAML document produced by the `yaml`
 *   package (never by concatenating user values). Every string value is double-quoted and
 *   written for YAML 1.1 (what cloud-init's PyYAML reads), so a value such as `yes`, `null`,
 *   `1:20` or one holding a newline stays a string and cannot add keys.
 * - Users: `name`, `groups` (list, omitted when empty; cloud-init creates a missing group),
 *   `sudo` (omitted when null), `shell: /bin/bash`, `lock_passwd` (false exactly when a
 *   password hash is given, then `passwd` carries the hash), `ssh_authorized_keys` (omitted
 *   when empty). With no users the `users` key is omitted, so the image's default user
 *   stays; with users, only they exist.
 * - `packages` is omitted when empty; `package_update` is always written.
 * - Then, each only when the spec sets it (so a seed that does not use them is byte-identical
 *   to before, and so is its instance-id): `write_files` (path, content, encoding, owner,
 *   permissions; a contentFile's bytes go in base64 with `encoding: b64`, so any bytes
 *   survive; `defer: true` when the owner names a user or group of `users`, which cloud-init
 *   creates only after write_files ran), `bootcmd` and `runcmd` (omitted when empty: cloud-init's schema wants at least
 *   one entry), `timezone`, `locale`, `ssh_pwauth`.
 * - `network-config` (only with `network`): network-config version 2, `version: 2` and
 *   `ethernets` (match.macaddress, set-name, dhcp4, dhcp6, addresses, routes, nameservers).
 *   cloud-init 22.4 (Debian 12) parses v2 routes itself: it takes only a network in `to`
 *   and reads `::/0` as `::/64`. So an IPv4 route `to: default` is written `0.0.0.0/0`, and
 *   an IPv6 one as the interface's `gateway6` (v2's older key, which 22.4 renders as the
 *   IPv6 gateway); the loader allows one default route per family and interface.
 * - `vendor-data` (only with `vendorData`): `#cloud-config` and the document.
 * - `meta-data` holds `instance-id` and `local-hostname` (cloudInit.hostname ?? domain name).
 * - The instance-id is `vf-` + the first 16 hex digits of sha256 over the JSON array
 *   `[user-data, local-hostname]`, extended by `[network-config, vendor-data]` (null when
 *   absent) when either file exists: it changes exactly when the seed's content changes
 *   (a contentFile's bytes are in user-data, so they count; only their hash is shown), so
 *   cloud-init runs again on the next boot.
 * Output is byte-stable for equal input.
 */
import { createHash } from "node:crypto";
import { stringify } from "./lazy-yaml.js";
import type { CloudInitSpec, CloudInitUserSpec, EthernetSpec, WriteFileSpec } from "./schema.js";

export const DEFAULT_USER_SHELL = "/bin/bash";

const YAML_OPTIONS = {
  version: "1.1",
  defaultStringType: "QUOTE_DOUBLE",
  defaultKeyType: "PLAIN",
  lineWidth: 0,
} as const;

/** The bytes of each `writeFiles[].contentFile`, by host path (read by the agent: content-file.ts). */
export type ContentFiles = ReadonlyMap<string, Buffer>;

export interface SeedContent {
  userData: string;
  metaData: string;
  instanceId: string;
  /** The `network-config` file; absent without `cloudInit.network`. */
  networkConfig?: string;
  /** The `vendor-data` file; absent without `cloudInit.vendorData`. */
  vendorData?: string;
}

export function renderUserData(spec: CloudInitSpec, files: ContentFiles = new Map()): string {
  const doc: Record<string, unknown> = {};
  if (spec.users.length > 0) doc.users = spec.users.map(userEntry);
  if (spec.packages.length > 0) doc.packages = [...spec.packages];
  doc.package_update = spec.packageUpdate;
  if (spec.writeFiles !== undefined && spec.writeFiles.length > 0) {
    const created = new Set(spec.users.flatMap((u) => [u.name, ...u.groups]));
    doc.write_files = spec.writeFiles.map((f) => writeFileEntry(f, files, created));
  }
  if (spec.bootcmd !== undefined && spec.bootcmd.length > 0) doc.bootcmd = commands(spec.bootcmd);
  if (spec.runcmd !== undefined && spec.runcmd.length > 0) doc.runcmd = commands(spec.runcmd);
  if (spec.timezone !== undefined) doc.timezone = spec.timezone;
  if (spec.locale !== undefined) doc.locale = spec.locale;
  if (spec.sshPwauth !== undefined) doc.ssh_pwauth = spec.sshPwauth;
  return `#cloud-config\n${stringify(doc, YAML_OPTIONS)}`;
}

function userEntry(u: CloudInitUserSpec): Record<string, unknown> {
  const e: Record<string, unknown> = { name: u.name };
  if (u.groups.length > 0) e.groups = [...u.groups];
  if (u.sudo !== null) e.sudo = u.sudo;
  e.shell = DEFAULT_USER_SHELL;
  e.lock_passwd = u.passwordHash === null;
  if (u.passwordHash !== null) e.passwd = u.passwordHash;
  if (u.sshAuthorizedKeys.length > 0) e.ssh_authorized_keys = [...u.sshAuthorizedKeys];
  return e;
}

function writeFileEntry(f: WriteFileSpec, files: ContentFiles, created: ReadonlySet<string>): Record<string, unknown> {
  const e: Record<string, unknown> = { path: f.path };
  if (f.contentFile !== undefined) {
    const bytes = files.get(f.contentFile);
    // A programming error: the seed resource reads every contentFile before it renders.
    if (bytes === undefined) throw new Error(`writeFiles: the contentFile for ${f.path} was not read`);
    e.content = bytes.toString("base64");
    e.encoding = "b64";
  } else {
    e.content = f.content ?? "";
    if (f.encoding !== undefined) e.encoding = f.encoding;
  }
  if (f.owner !== undefined) e.owner = f.owner;
  if (f.permissions !== undefined) e.permissions = f.permissions;
  // write_files runs before users-groups: a file owned by a user (or group) this seed creates
  // is written in the final stage instead (before runcmd), when that owner exists
  if (f.owner !== undefined && f.owner.split(":").some((n) => created.has(n))) e.defer = true;
  return e;
}

function commands(list: readonly (string | readonly string[])[]): unknown[] {
  return list.map((c) => (typeof c === "string" ? c : [...c]));
}

/** The `network-config` file (version 2), or undefined without `network`. */
export function renderNetworkConfig(spec: CloudInitSpec): string | undefined {
  if (spec.network === undefined) return undefined;
  const ethernets: Record<string, unknown> = {};
  for (const id of Object.keys(spec.network.ethernets)) ethernets[id] = ethernetEntry(spec.network.ethernets[id]!);
  return stringify({ version: 2, ethernets }, YAML_OPTIONS);
}

function ethernetEntry(e: EthernetSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.match !== undefined) out.match = { macaddress: e.match.macaddress.toLowerCase() };
  if (e["set-name"] !== undefined) out["set-name"] = e["set-name"];
  if (e.dhcp4 !== undefined) out.dhcp4 = e.dhcp4;
  if (e.dhcp6 !== undefined) out.dhcp6 = e.dhcp6;
  if (e.addresses !== undefined && e.addresses.length > 0) out.addresses = [...e.addresses];
  const routes = e.routes ?? [];
  // cloud-init 22.4 reads an IPv6 default route's prefix 0 as 64: its gateway goes in gateway6
  const v6default = routes.find((r) => r.to === "default" && r.via.includes(":"));
  if (v6default !== undefined) out.gateway6 = v6default.via;
  const rest = routes.filter((r) => r !== v6default);
  if (rest.length > 0) out.routes = rest.map((r) => ({ to: r.to === "default" ? "0.0.0.0/0" : r.to, via: r.via }));
  if (e.nameservers !== undefined) {
    const ns: Record<string, unknown> = {};
    if (e.nameservers.addresses !== undefined && e.nameservers.addresses.length > 0)
      ns.addresses = [...e.nameservers.addresses];
    if (e.nameservers.search !== undefined && e.nameservers.search.length > 0) ns.search = [...e.nameservers.search];
    if (Object.keys(ns).length > 0) out.nameservers = ns;
  }
  return out;
}

/** The `vendor-data` file, or undefined without `vendorData`. */
export function renderVendorData(spec: CloudInitSpec): string | undefined {
  if (spec.vendorData === undefined) return undefined;
  return `#cloud-config\n${stringify(spec.vendorData, YAML_OPTIONS)}`;
}

export function localHostname(domainName: string, spec: CloudInitSpec): string {
  return spec.hostname ?? domainName;
}

/** `vf-<16 hex>` identifying this seed's content (see the module contract). */
export function instanceIdFor(
  userData: string,
  hostname: string,
  more: { networkConfig?: string; vendorData?: string } = {},
): string {
  const parts: (string | null)[] = [userData, hostname];
  if (more.networkConfig !== undefined || more.vendorData !== undefined)
    parts.push(more.networkConfig ?? null, more.vendorData ?? null);
  return `vf-${createHash("sha256").update(JSON.stringify(parts), "utf8").digest("hex").slice(0, 16)}`;
}

export function renderMetaData(domainName: string, spec: CloudInitSpec, instanceId: string): string {
  return stringify({ "instance-id": instanceId, "local-hostname": localHostname(domainName, spec) }, YAML_OPTIONS);
}

/** Every file of the seed and the instance-id that ties them together. */
export function renderSeed(domainName: string, spec: CloudInitSpec, files: ContentFiles = new Map()): SeedContent {
  const userData = renderUserData(spec, files);
  const networkConfig = renderNetworkConfig(spec);
  const vendorData = renderVendorData(spec);
  const instanceId = instanceIdFor(userData, localHostname(domainName, spec), { networkConfig, vendorData });
  return {
    userData,
    metaData: renderMetaData(domainName, spec, instanceId),
    instanceId,
    ...(networkConfig !== undefined ? { networkConfig } : {}),
    ...(vendorData !== undefined ? { vendorData } : {}),
  };
}

/** The host paths of every `writeFiles[].contentFile` (each once, in order). */
export function contentFilesOf(spec: CloudInitSpec): string[] {
  return [...new Set((spec.writeFiles ?? []).flatMap((f) => (f.contentFile !== undefined ? [f.contentFile] : [])))];
}
