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

/** A contentFile's bytes (binary on purpose). */
export const TOKEN = Buffer.from("tok-3f9a1c\u0000\xff binary\n", "latin1");

/** Every new field set, as the policy example in spec/policy.md has them. */
export function fullCloudInit(over: Partial<CloudInitSpec> = {}): CloudInitSpec {
  return cloudInit({
    writeFiles: [
      { path: "/etc/motd", content: "hello\n\tworld\n", permissions: "0644", owner: "root:root" },
      { path: "/etc/app/token", contentFile: "/etc/virtfleet/secrets/app-token", permissions: "0600" },
      { path: "/etc/app/b64", content: "aGVsbG8K", encoding: "b64" },
    ],
    runcmd: [["systemctl", "enable", "--now", "nginx"], "echo done > /run/done"],
    bootcmd: [["mkdir", "-p", "/run/app"]],
    timezone: "Europe/Berlin",
    locale: "en_US.UTF-8",
    sshPwauth: false,
    vendorData: { runcmd: [["touch", "/run/vendor"]], ntp: { enabled: true } },
    network: {
      ethernets: {
        eth0: {
          match: { macaddress: "52:54:00:00:00:10" },
          "set-name": "eth0",
          addresses: ["192.168.110.10/24", "2001:db8::10/64"],
          routes: [
            { to: "default", via: "192.168.110.1" },
            { to: "default", via: "2001:db8::1" },
            { to: "10.0.0.0/8", via: "192.168.110.254" },
          ],
          nameservers: { addresses: ["192.168.110.1"], search: ["lab.example"] },
          dhcp4: false,
          dhcp6: false,
        },
      },
    },
    ...over,
  });
}
