import type { CloudInitDocument, CloudInitSpec, EthernetSpec, WriteFileSpec } from "./schema.js";

/**
 * A domain's `cloudInit` block resolved (defaults: no users, no packages, no package update);
 * null when absent. Every field added after users/packages/packageUpdate is copied only when
 * the policy sets it, so the spec (and the seed, and its instance-id) of a guest that does
 * not use it stays the same.
 */
export function resolveCloudInit(ci: CloudInitDocument | undefined): CloudInitSpec | null {
  if (!ci) return null;
  const out: CloudInitSpec = {
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
  if (ci.writeFiles !== undefined) out.writeFiles = ci.writeFiles.map(resolveWriteFile);
  if (ci.runcmd !== undefined) out.runcmd = ci.runcmd.map((c) => (Array.isArray(c) ? [...c] : c));
  if (ci.bootcmd !== undefined) out.bootcmd = ci.bootcmd.map((c) => (Array.isArray(c) ? [...c] : c));
  if (ci.timezone !== undefined) out.timezone = ci.timezone;
  if (ci.locale !== undefined) out.locale = ci.locale;
  if (ci.sshPwauth !== undefined) out.sshPwauth = ci.sshPwauth;
  if (ci.vendorData !== undefined) out.vendorData = structuredClone(ci.vendorData);
  if (ci.network !== undefined) {
    out.network = {
      ethernets: Object.fromEntries(Object.entries(ci.network.ethernets).map(([id, e]) => [id, resolveEthernet(e)])),
    };
  }
  return out;
}

function resolveWriteFile(f: NonNullable<CloudInitDocument["writeFiles"]>[number]): WriteFileSpec {
  const out: WriteFileSpec = { path: f.path };
  if (f.content !== undefined) out.content = f.content;
  if (f.contentFile !== undefined) out.contentFile = f.contentFile;
  if (f.permissions !== undefined) out.permissions = f.permissions;
  if (f.owner !== undefined) out.owner = f.owner;
  if (f.encoding !== undefined) out.encoding = f.encoding;
  return out;
}

type EthernetDocument = NonNullable<CloudInitDocument["network"]>["ethernets"][string];

function resolveEthernet(e: EthernetDocument): EthernetSpec {
  const out: EthernetSpec = {};
  if (e.match !== undefined) out.match = { macaddress: e.match.macaddress.toLowerCase() };
  if (e["set-name"] !== undefined) out["set-name"] = e["set-name"];
  if (e.dhcp4 !== undefined) out.dhcp4 = e.dhcp4;
  if (e.dhcp6 !== undefined) out.dhcp6 = e.dhcp6;
  if (e.addresses !== undefined) out.addresses = [...e.addresses];
  if (e.routes !== undefined) out.routes = e.routes.map((r) => ({ to: r.to, via: r.via }));
  if (e.nameservers !== undefined) {
    const ns: NonNullable<EthernetSpec["nameservers"]> = {};
    if (e.nameservers.addresses !== undefined) ns.addresses = [...e.nameservers.addresses];
    if (e.nameservers.search !== undefined) ns.search = [...e.nameservers.search];
    out.nameservers = ns;
  }
  return out;
}
