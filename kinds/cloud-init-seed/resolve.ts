import type { CloudInitDocument, CloudInitSpec } from "./schema.js";

/** A domain's `cloudInit` block resolved (defaults: no users, no packages, no package update); null when absent. */
export function resolveCloudInit(ci: CloudInitDocument | undefined): CloudInitSpec | null {
  if (!ci) return null;
  return {
    hostname: ci.hostname ?? null,
    users: (ci.users ?? []).map((u) => ({
      name: u.name,
      groups: [...(u.groups ?? [])],
      sudo: u.sudo ?? null,
      passwordHash: u.passwordHash ?? null,
      sshAuthorizedKeys: [...(u.sshAuthorizedKeys ?? [])],
    })),
    packages: [...(ci.packages ?? [])],
    packageUpdate: ci.packageUpdate ?? false,
  };
}
