import { parseSize } from "../../common/units.js";
import { deriveMac } from "../../policy-primitives/mac.js";
import type { CdromSpec, CloudInitSpec, DomainDocument, DomainSpec } from "./spec.js";

function splitRef(ref: string): { pool: string; volume: string } {
  const slash = ref.indexOf("/");
  return { pool: ref.slice(0, slash), volume: ref.slice(slash + 1) };
}

/**
 * One domain after templating → its resolved spec: memory in bytes, every MAC pinned
 * (derived with `deriveMac` when not set). Defaults: cpu host-model, graphics none, autostart
 * false, state running, restartOnChange false; disk bus virtio; interface model virtio.
 * A domain with `state: absent` needs only its name: vcpus and memory left out resolve to
 * placeholders (1, 0) that its removal never reads.
 */
export function resolveDomain(d: DomainDocument): DomainSpec {
  const ci = d.cloudInit;
  const cloudInit: CloudInitSpec | null = ci
    ? {
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
      }
    : null;
  return {
    name: d.name,
    // Absent when not set, so the spec (and its hash) of a guest that does not use it is unchanged.
    ...(d.description !== undefined ? { description: d.description } : {}),
    vcpus: d.vcpus ?? 1,
    memoryBytes: d.memory === undefined ? 0 : parseSize(d.memory),
    cpu: d.cpu ?? "host-model",
    machine: d.machine ?? null,
    disks: (d.disks ?? []).map((disk) => ({ ...splitRef(disk.volume), bus: disk.bus ?? "virtio" })),
    cdroms: (d.cdroms ?? []).map((c): CdromSpec => (c.startsWith("/") ? { path: c } : splitRef(c))),
    interfaces: (d.interfaces ?? []).map((nic, i) => ({
      network: nic.network,
      model: nic.model ?? "virtio",
      mac: nic.mac ? nic.mac.toLowerCase() : deriveMac(d.name, i),
    })),
    cloudInit,
    graphics: d.graphics ?? "none",
    autostart: d.autostart ?? false,
    ...(d.adopt === true ? { adopt: true as const } : {}),
    state: d.state ?? "running",
    restartOnChange: d.restartOnChange ?? false,
  };
}
