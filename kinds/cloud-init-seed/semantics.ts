import type { PathSegment } from "../../policy-primitives/issues.js";
import { checkAbsolutePath } from "../../policy-primitives/names.js";
import type { ValueChecker } from "../../policy-primitives/value-checker.js";
import {
  CLOUD_INIT_FORMATS,
  type CloudInitFormat,
  isBase64,
  isCidr,
  isIpAddress,
  matchesCloudInitFormat,
  PLAINTEXT_PASSWORD_HELP,
  plaintextPasswordPaths,
} from "./formats.js";
import type { CloudInitDocument } from "./schema.js";

/**
 * A `cloudInit` block beyond the schema, each problem at its file:line:col: host name,
 * package and user names, users declared once, hashes and keys; writeFiles (absolute guest
 * path, exactly one of content/contentFile, an absolute host path for contentFile, octal
 * permissions, encoding only with content and base64 content for the b64 encodings, each
 * path once); timezone and locale; network-config (MACs, CIDR addresses, routes, DNS);
 * no plaintext password anywhere in vendorData (the schema already refuses `password` keys
 * elsewhere). Values of content, runcmd and bootcmd are never quoted back.
 */
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
  checkWriteFiles(ci, cp, c);
  cloudFormat(c, ci.timezone, [...cp, "timezone"], "timezone");
  cloudFormat(c, ci.locale, [...cp, "locale"], "locale");
  if (ci.network) checkNetwork(ci.network, [...cp, "network"], c);
  if (ci.vendorData !== undefined)
    for (const at of plaintextPasswordPaths(ci.vendorData))
      c.issues.add([...cp, "vendorData", ...at], PLAINTEXT_PASSWORD_HELP, "key");
}

function cloudFormat(c: ValueChecker, v: unknown, path: PathSegment[], name: CloudInitFormat): string | undefined {
  const s = c.concrete(v);
  if (s === undefined) return undefined;
  if (!matchesCloudInitFormat(name, s)) {
    const shown = JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
    c.issues.add(path, `invalid value ${shown}: ${CLOUD_INIT_FORMATS[name].help}`);
    return undefined;
  }
  return s;
}

function absolute(c: ValueChecker, v: unknown, path: PathSegment[], what: string): string | undefined {
  const s = c.concrete(v);
  if (s === undefined) return undefined;
  const problem = checkAbsolutePath(s);
  if (problem) {
    c.issues.add(path, `${what}: ${problem}`);
    return undefined;
  }
  return s;
}

function checkWriteFiles(ci: CloudInitDocument, cp: PathSegment[], c: ValueChecker): void {
  const seen = new Map<string, number>();
  (ci.writeFiles ?? []).forEach((f, j) => {
    const at = [...cp, "writeFiles", j];
    const path = absolute(c, f.path, [...at, "path"], "the file's path in the guest");
    if (path !== undefined) {
      const first = seen.get(path);
      if (first !== undefined)
        c.issues.add([...at, "path"], `${JSON.stringify(path)} is written twice (first at writeFiles[${first}])`);
      else seen.set(path, j);
    }
    const hasContent = f.content !== undefined;
    const hasFile = f.contentFile !== undefined;
    if (hasContent && hasFile) c.issues.add([...at, "contentFile"], "give content or contentFile, not both", "key");
    else if (!hasContent && !hasFile)
      c.issues.add(at, "give the file's content: content (in the policy) or contentFile (a file on the host)");
    if (hasFile) absolute(c, f.contentFile, [...at, "contentFile"], "contentFile must be a path on the host");
    cloudFormat(c, f.permissions, [...at, "permissions"], "fileMode");
    cloudFormat(c, f.owner, [...at, "owner"], "fileOwner");
    if (f.encoding !== undefined && hasFile)
      c.issues.add(
        [...at, "encoding"],
        "encoding applies to content only: a contentFile's bytes are written as they are",
        "key",
      );
    if (f.encoding !== undefined && f.encoding !== "text/plain" && hasContent) {
      const content = c.concrete(f.content);
      if (content !== undefined && !isBase64(content))
        c.issues.add(
          [...at, "content"],
          `content is not base64 text, as encoding ${f.encoding} says (value not shown)`,
        );
    }
  });
}

type NetworkDocument = NonNullable<CloudInitDocument["network"]>;

function checkNetwork(net: NetworkDocument, np: PathSegment[], c: ValueChecker): void {
  const macs = new Map<string, string>();
  for (const [id, e] of Object.entries(net.ethernets)) {
    const at = [...np, "ethernets", id];
    if (e.match) {
      const mac = c.format(e.match.macaddress, [...at, "match", "macaddress"], "mac");
      if (mac !== undefined) {
        const first = macs.get(mac.toLowerCase());
        if (first !== undefined)
          c.issues.add([...at, "match", "macaddress"], `${mac} is matched twice (first by ethernets.${first})`);
        else macs.set(mac.toLowerCase(), id);
      }
    }
    c.format(e["set-name"], [...at, "set-name"], "bridgeName");
    (e.addresses ?? []).forEach((a, k) => {
      const s = c.concrete(a);
      if (s !== undefined && !isCidr(s))
        c.issues.add(
          [...at, "addresses", k],
          `invalid address ${JSON.stringify(s)}: an address with its prefix length (CIDR), e.g. 192.168.110.10/24 or 2001:db8::10/64`,
        );
    });
    const defaults = new Set<string>();
    (e.routes ?? []).forEach((r, k) => {
      const to = c.concrete(r.to);
      const family = (c.concrete(r.via) ?? "").includes(":") ? "IPv6" : "IPv4";
      if (to === "default") {
        if (defaults.has(family))
          c.issues.add([...at, "routes", k, "to"], `a second ${family} default route on ${id}: give one`);
        defaults.add(family);
      }
      if (to !== undefined && to !== "default" && !isCidr(to))
        c.issues.add(
          [...at, "routes", k, "to"],
          `invalid route destination ${JSON.stringify(to)}: a network in CIDR form (10.0.0.0/8) or default`,
        );
      const via = c.concrete(r.via);
      if (via !== undefined && !isIpAddress(via))
        c.issues.add([...at, "routes", k, "via"], `invalid gateway ${JSON.stringify(via)}: an IPv4 or IPv6 address`);
    });
    (e.nameservers?.addresses ?? []).forEach((a, k) => {
      const s = c.concrete(a);
      if (s !== undefined && !isIpAddress(s))
        c.issues.add(
          [...at, "nameservers", "addresses", k],
          `invalid DNS server ${JSON.stringify(s)}: an IPv4 or IPv6 address`,
        );
    });
    (e.nameservers?.search ?? []).forEach((d, k) => c.format(d, [...at, "nameservers", "search", k], "hostname"));
  }
}
