import type { PathSegment } from "../../policy-primitives/issues.js";
import { checkAbsolutePath, matchesPattern } from "../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import type { DomainDocument } from "./spec.js";

/**
 * The domains of one policy beyond the schema: names unique, memory (≥ 1 MiB, whole KiB),
 * disks attached once, cdrom paths (absolute `.iso`) or pool/volume references, MACs unicast
 * and unique across the policy, cloud-init values. References may name objects of other
 * policies or that already exist on the host; only a reference to something this policy
 * declares absent (`refs`, filled by the kinds checked before) is an error.
 */
export function checkDomainDocuments(
  domains: readonly DomainDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  domains.forEach((d, i) => {
    const name = c.format(d.name, [...path, i, "name"], "resourceName");
    if (name !== undefined) c.declaredOnce(seen, name, [...path, i, "name"], "domain", i);
    checkDomain(d, i, [...path, i], c, refs);
  });
}

function checkDomain(
  d: DomainDocument,
  index: number,
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const present = d.state !== "absent";
  const mem = c.size(d.memory, [...path, "memory"]);
  if (mem !== undefined && (mem < 1024 ** 2 || mem % 1024 !== 0))
    c.issues.add([...path, "memory"], "must be at least 1MiB and a whole number of KiB");
  c.format(d.machine, [...path, "machine"], "machine");
  const disks = new Set<string>();
  (d.disks ?? []).forEach((disk, j) => {
    const ref = c.format(disk.volume, [...path, "disks", j, "volume"], "volumeRef");
    if (ref === undefined) return;
    if (disks.has(ref)) c.issues.add([...path, "disks", j, "volume"], `${ref} is attached twice`);
    disks.add(ref);
    if (present) refPresent(ref, [...path, "disks", j, "volume"], c, refs);
  });
  (d.cdroms ?? []).forEach((cd, j) => {
    const s = c.concrete(cd);
    if (s === undefined) return;
    if (s.startsWith("/")) {
      const problem = checkAbsolutePath(s);
      if (problem) c.issues.add([...path, "cdroms", j], problem);
      else if (!s.endsWith(".iso")) c.issues.add([...path, "cdroms", j], `"${s}": a cdrom path must end in .iso`);
    } else if (!matchesPattern("volumeRef", s)) {
      c.issues.add(
        [...path, "cdroms", j],
        `invalid value ${JSON.stringify(s)}: pool/volume or an absolute path to an .iso`,
      );
    } else if (present) refPresent(s, [...path, "cdroms", j], c, refs);
  });
  (d.interfaces ?? []).forEach((nic, j) => {
    const net = c.format(nic.network, [...path, "interfaces", j, "network"], "resourceName");
    if (net !== undefined && present && absentOf(refs, "network").has(net)) {
      c.issues.add([...path, "interfaces", j, "network"], `network "${net}" is declared absent in this policy`);
    }
    const mac = c.mac(nic.mac, [...path, "interfaces", j, "mac"]);
    if (mac !== undefined) {
      const where = `domains[${index}].interfaces[${j}]`;
      const first = refs.seenMacs.get(mac);
      if (first) c.issues.add([...path, "interfaces", j, "mac"], `MAC ${mac} is also used by ${first}`);
      else refs.seenMacs.set(mac, where);
    }
  });
  const ci = d.cloudInit;
  if (ci) {
    const cp = [...path, "cloudInit"];
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
}

function refPresent(ref: string, path: PathSegment[], c: ValueChecker, refs: PolicyReferences): void {
  const pool = ref.slice(0, ref.indexOf("/"));
  if (absentOf(refs, "volume").has(ref)) c.issues.add(path, `volume "${ref}" is declared absent in this policy`);
  else if (absentOf(refs, "pool").has(pool)) c.issues.add(path, `pool "${pool}" is declared absent in this policy`);
}
