import type { PathSegment } from "../../policy-primitives/issues.js";
import type { ValueChecker } from "../../policy-primitives/value-checker.js";
import type { CloudInitDocument } from "./schema.js";

/** A `cloudInit` block beyond the schema: host name, package and user names, users declared once, hashes and keys. */
export function checkCloudInitDocument(ci: CloudInitDocument | undefined, cp: PathSegment[], c: ValueChecker): void {
  if (!ci) return;
  c.format(ci.hostname, [...cp, "hostname"], "hostname");
  (ci.packages ?? []).forEach((p, j) => c.format(p, [...cp, "packages", j], "packageName"));
  const users = new Set<string>();
  (ci.users ?? []).forEach((u, j) => {
    const up = [...cp, "users", j];
    const name = c.format(u.name, [...up, "name"], "userName");
    if (name !== undefined) {
      if (users.has(name)) c.issues.add([...up, "name"], `user "${name}" is declared twice`);
      users.add(name);
    }
    (u.groups ?? []).forEach((g, k) => c.format(g, [...up, "groups", k], "userName"));
    c.format(u.passwordHash, [...up, "passwordHash"], "passwordHash");
    (u.sshAuthorizedKeys ?? []).forEach((key, k) => c.format(key, [...up, "sshAuthorizedKeys", k], "sshKey"));
  });
}
