/** Cloud-init specs shared by the cloud-init unit tests. */
import type { CloudInitSpec, DomainSpec } from "../../../kinds/domain/spec.js";

export const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx3bWqHbRkbWQ7a2ZqLr1lR8Lg1xq3q0yQZ2Yb0n7Xk alice@lab";
export const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0o9Gx2u5JtV8bqkq3q2JrmS9kC0GdD8nHc4oXv1Zy9 bob@lab";
export const HASH = "$6$rounds=4096$saltsalt$Qm1r7G1jz1lq0R2.3mG0e/1";

export function cloudInit(over: Partial<CloudInitSpec> = {}): CloudInitSpec {
  return {
    hostname: "web-01",
    users: [
      {
        name: "ansible",
        groups: ["wheel", "adm"],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        passwordHash: HASH,
        sshAuthorizedKeys: [KEY_A],
      },
    ],
    packages: ["httpd", "git"],
    packageUpdate: true,
    ...over,
  };
}

export function domainWithCloudInit(name: string, over: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name,
    vcpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    cpu: "host-model",
    machine: null,
    disks: [{ pool: "p1", volume: `${name}.qcow2`, bus: "virtio" }],
    cdroms: [{ path: "/srv/iso/tools.iso" }],
    interfaces: [],
    cloudInit: cloudInit(),
    graphics: "none",
    autostart: false,
    state: "running",
    restartOnChange: false,
    ...over,
  };
}
