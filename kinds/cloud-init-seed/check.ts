import { checkAbsolutePath, matchesPattern, PATTERN_HELP } from "../../policy-primitives/names.js";
import type { SpecChecker } from "../spec-checker.js";
import {
  CLOUD_INIT_FORMATS,
  type CloudInitFormat,
  isCidr,
  isIpAddress,
  matchesCloudInitFormat,
  PLAINTEXT_PASSWORD_HELP,
  plaintextPasswordPaths,
  WRITE_FILE_ENCODINGS,
} from "./formats.js";
import type { CloudInitSpec } from "./schema.js";

/**
 * The agent's re-check of a resolved `cloudInit` block (kinds/spec-checker.ts): the loader's
 * rules again, so a bundle that did not come through it cannot put an option into the seed.
 * A password hash, a file's content and commands are never shown.
 */
export function checkCloudInitSpec(c: SpecChecker, ci: CloudInitSpec): void {
  c.format(ci.hostname, "cloudInit.hostname", "hostname", true);
  (ci.packages ?? []).forEach((p, i) => c.format(p, `cloudInit.packages[${i}]`, "packageName"));
  (ci.users ?? []).forEach((u, i) => {
    const at = `cloudInit.users[${i}]`;
    c.format(u.name, `${at}.name`, "userName");
    (u.groups ?? []).forEach((g, j) => c.format(g, `${at}.groups[${j}]`, "userName"));
    if (
      u.passwordHash !== null &&
      (typeof u.passwordHash !== "string" || !matchesPattern("passwordHash", u.passwordHash))
    ) {
      c.add(`${at}.passwordHash`, `invalid value (not shown): ${PATTERN_HELP.passwordHash}`);
    }
    (u.sshAuthorizedKeys ?? []).forEach((k, j) => c.format(k, `${at}.sshAuthorizedKeys[${j}]`, "sshKey"));
    if (u.sudo !== null && (typeof u.sudo !== "string" || u.sudo.length > 256))
      c.add(`${at}.sudo`, "must be a string of at most 256 characters");
  });
  (ci.writeFiles ?? []).forEach((f, i) => {
    const at = `cloudInit.writeFiles[${i}]`;
    c.path(f.path, `${at}.path`);
    const hasContent = typeof f.content === "string";
    const hasFile = typeof f.contentFile === "string";
    if (hasContent === hasFile) c.add(at, "needs exactly one of content and contentFile");
    if (f.content !== undefined && !hasContent) c.add(`${at}.content`, "must be a string (value not shown)");
    if (hasFile) {
      const problem = checkAbsolutePath(f.contentFile!);
      if (problem) c.add(`${at}.contentFile`, problem);
    }
    cloudFormat(c, f.permissions, `${at}.permissions`, "fileMode");
    cloudFormat(c, f.owner, `${at}.owner`, "fileOwner");
    if (f.encoding !== undefined && (hasFile || !(WRITE_FILE_ENCODINGS as readonly string[]).includes(f.encoding)))
      c.add(`${at}.encoding`, "must be a write_files encoding, and only with content");
  });
  for (const key of ["runcmd", "bootcmd"] as const) {
    (ci[key] ?? []).forEach((cmd, i) => {
      const ok =
        typeof cmd === "string" || (Array.isArray(cmd) && cmd.length > 0 && cmd.every((a) => typeof a === "string"));
      if (!ok)
        c.add(`cloudInit.${key}[${i}]`, "must be a command line or a non-empty list of arguments (value not shown)");
    });
  }
  cloudFormat(c, ci.timezone, "cloudInit.timezone", "timezone");
  cloudFormat(c, ci.locale, "cloudInit.locale", "locale");
  if (ci.sshPwauth !== undefined && typeof ci.sshPwauth !== "boolean")
    c.add("cloudInit.sshPwauth", "must be true or false");
  if (ci.vendorData !== undefined) {
    if (ci.vendorData === null || typeof ci.vendorData !== "object" || Array.isArray(ci.vendorData))
      c.add("cloudInit.vendorData", "must be a cloud-config mapping (value not shown)");
    else if (plaintextPasswordPaths(ci.vendorData).length > 0) c.add("cloudInit.vendorData", PLAINTEXT_PASSWORD_HELP);
  }
  if (ci.network !== undefined) {
    for (const [id, e] of Object.entries(ci.network?.ethernets ?? {})) {
      const at = `cloudInit.network.ethernets[${JSON.stringify(id)}]`;
      if (!matchesPattern("bridgeName", id)) c.add(at, `invalid interface id: ${PATTERN_HELP.bridgeName}`);
      if (e.match !== undefined) c.format(e.match?.macaddress, `${at}.match.macaddress`, "mac");
      if (e["set-name"] !== undefined) c.format(e["set-name"], `${at}.set-name`, "bridgeName");
      (e.addresses ?? []).forEach((a, k) => {
        if (typeof a !== "string" || !isCidr(a)) c.add(`${at}.addresses[${k}]`, "must be an address in CIDR form");
      });
      (e.routes ?? []).forEach((r, k) => {
        if (typeof r?.to !== "string" || (r.to !== "default" && !isCidr(r.to)))
          c.add(`${at}.routes[${k}].to`, "must be a network in CIDR form or default");
        if (typeof r?.via !== "string" || !isIpAddress(r.via)) c.add(`${at}.routes[${k}].via`, "must be an IP address");
      });
      (e.nameservers?.addresses ?? []).forEach((a, k) => {
        if (typeof a !== "string" || !isIpAddress(a))
          c.add(`${at}.nameservers.addresses[${k}]`, "must be an IP address");
      });
      (e.nameservers?.search ?? []).forEach((d, k) => c.format(d, `${at}.nameservers.search[${k}]`, "hostname"));
    }
  }
}

function cloudFormat(c: SpecChecker, v: unknown, field: string, name: CloudInitFormat): void {
  if (v === undefined) return;
  if (typeof v !== "string" || !matchesCloudInitFormat(name, v))
    c.add(field, `invalid value: ${CLOUD_INIT_FORMATS[name].help}`);
}
