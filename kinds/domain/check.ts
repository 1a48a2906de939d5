import { matchesPattern, PATTERN_HELP } from "../../policy-primitives/names.js";
import type { SpecChecker } from "../spec-checker.js";
import type { CloudInitSpec, DomainSpec } from "./spec.js";

/**
 * The loader's value rules for a resolved domain (kinds/spec-checker.ts): names, cdrom
 * paths (absolute, `.iso`), MACs, cloud-init values. A password hash is never shown.
 */
export function checkDomainSpec(c: SpecChecker, d: DomainSpec): void {
  c.format(d.name, "name", "resourceName");
  c.format(d.machine, "machine", "machine", true);
  (d.disks ?? []).forEach((x, i) => {
    c.format(x.pool, `disks[${i}].pool`, "resourceName");
    c.format(x.volume, `disks[${i}].volume`, "volumeName");
  });
  (d.cdroms ?? []).forEach((cd, i) => {
    if ("path" in cd) {
      c.path(cd.path, `cdroms[${i}].path`);
      if (typeof cd.path === "string" && !cd.path.endsWith(".iso"))
        c.add(`cdroms[${i}].path`, "a cdrom path must end in .iso");
    } else {
      c.format(cd.pool, `cdroms[${i}].pool`, "resourceName");
      c.format(cd.volume, `cdroms[${i}].volume`, "volumeName");
    }
  });
  (d.interfaces ?? []).forEach((n, i) => {
    c.format(n.network, `interfaces[${i}].network`, "resourceName");
    c.format(n.mac, `interfaces[${i}].mac`, "mac");
  });
  if (d.cloudInit) checkCloudInit(c, d.cloudInit);
}

function checkCloudInit(c: SpecChecker, ci: CloudInitSpec): void {
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
}
