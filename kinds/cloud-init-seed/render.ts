/**
 * NoCloud seed content for a domain's `cloudInit` block, rendered purely from the spec.
 *
 * Contract:
 * - `user-data` is `#cloud-config` followed by one YAML document produced by the `yaml`
 *   package (never by concatenating user values). Every string value is double-quoted and
 *   written for YAML 1.1 (what cloud-init's PyYAML reads), so a value such as `yes`, `null`,
 *   `1:20` or one holding a newline stays a string and cannot add keys.
 * - Users: `name`, `groups` (list, omitted when empty), `sudo` (omitted when null),
 *   `shell: /bin/bash`, `lock_passwd` (false exactly when a password hash is given, then
 *   `passwd` carries the hash), `ssh_authorized_keys` (omitted when empty). With no users the
 *   `users` key is omitted, so the image's default user stays; with users, only they exist.
 * - `packages` is omitted when empty; `package_update` is always written.
 * - `meta-data` holds `instance-id` and `local-hostname` (cloudInit.hostname ?? domain name).
 * - The instance-id is `vf-` + the first 16 hex digits of sha256 over the JSON array
 *   `[user-data, local-hostname]`: it changes exactly when the seed's content changes (so
 *   cloud-init runs again on the next boot) and identifies that content.
 * Output is byte-stable for equal input.
 */
import { createHash } from "node:crypto";
import { stringify } from "./lazy-yaml.js";
import type { CloudInitSpec, CloudInitUserSpec } from "./schema.js";

export const DEFAULT_USER_SHELL = "/bin/bash";

const YAML_OPTIONS = {
  version: "1.1",
  defaultStringType: "QUOTE_DOUBLE",
  defaultKeyType: "PLAIN",
  lineWidth: 0,
} as const;

export interface SeedContent {
  userData: string;
  metaData: string;
  instanceId: string;
}

export function renderUserData(spec: CloudInitSpec): string {
  const doc: Record<string, unknown> = {};
  if (spec.users.length > 0) doc.users = spec.users.map(userEntry);
  if (spec.packages.length > 0) doc.packages = [...spec.packages];
  doc.package_update = spec.packageUpdate;
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

export function localHostname(domainName: string, spec: CloudInitSpec): string {
  return spec.hostname ?? domainName;
}

/** `vf-<16 hex>` identifying this user-data and hostname (see the module contract). */
export function instanceIdFor(userData: string, hostname: string): string {
  return `vf-${createHash("sha256")
    .update(JSON.stringify([userData, hostname]), "utf8")
    .digest("hex")
    .slice(0, 16)}`;
}

export function renderMetaData(domainName: string, spec: CloudInitSpec, instanceId: string): string {
  return stringify({ "instance-id": instanceId, "local-hostname": localHostname(domainName, spec) }, YAML_OPTIONS);
}

/** user-data, meta-data and the instance-id that ties them together. */
export function renderSeed(domainName: string, spec: CloudInitSpec): SeedContent {
  const userData = renderUserData(spec);
  const instanceId = instanceIdFor(userData, localHostname(domainName, spec));
  return { userData, metaData: renderMetaData(domainName, spec, instanceId), instanceId };
}
