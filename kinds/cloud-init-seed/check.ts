import { matchesPattern, PATTERN_HELP } from "../../policy-primitives/names.js";
import type { SpecChecker } from "../spec-checker.js";
import type { CloudInitSpec } from "./schema.js";

/** The agent's re-check of a resolved `cloudInit` block (kinds/spec-checker.ts). A password hash is never shown. */
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
}
