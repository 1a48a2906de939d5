/**
 * Real Debian 12 guests, booted from the cached test image (scripts/test-image) THROUGH A
 * POLICY: `virtfleet apply --local --json` as a real process against the real libvirtd. The
 * image is imported into a dir pool by a policy volume (file:// + sha256); each guest boots
 * from a qcow2 overlay of it (backingVolume), so the cached image is never written. Then the
 * test logs in over SSH on the policy's NAT network, with the key the policy gave the user,
 * and checks from inside the guest what the policy declared.
 *
 * Two boots, one after the other (never two at once: under QEMU TCG each takes minutes):
 *  1. direct kernel boot (`kernel`): user + SSH key, hostname, write_files, runcmd, static
 *     network (cloudInit.network), then a live memory change through the balloon and a live
 *     vCPU hot-plug (vcpus/memory raised below maxVcpus/maxMemory, applied again: no restart);
 *  2. UEFI (OVMF) with Secure Boot (`firmware: uefi`, `secureBoot: true`): the image's shim
 *     and signed GRUB boot the signed kernel; the SecureBoot EFI variable reads 1 inside.
 * Works with KVM and under TCG (generous timeouts: test/harness/real-guest.ts). A check whose
 * policy field this build does not have yet skips naming the field.
 * Objects are named vft-rg-<random>-…; afterAll removes them (guests with their NVRAM).
 * Prints the time from `apply` to SSH login and to cloud-init done (docs/design/test-guest-image.md).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../../harness/processes.js";
import { missingDomainFields } from "../../harness/policy-fields.js";
import {
  agentPing,
  bootBudgetMs,
  consoleTail,
  directKernelBoot,
  GUEST_CPU,
  GUEST_ENV,
  GuestShell,
  guestSiteResources,
  guestExec,
  HAS_KVM,
  IMAGE_BUILD_BUDGET_MS,
  overlayVolume,
  TCG_REASON,
  pollUntil,
  sshKeyPair,
  type TestImage,
  testImage,
  waitForCloudInitDone,
} from "../../harness/real-guest.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { removePool, virsh, virshResult } from "../../harness/virsh.js";

const id = randomBytes(3).toString("hex");
const prefix = `vft-rg-${id}-`;
const POOL = `${prefix}pool`;
const NET = `${prefix}net`;
const BRIDGE = `vfrg${id}`;
const G1 = `${prefix}direct`;
const G2 = `${prefix}uefi-sb`;
const MAC1 = "52:54:00:7e:00:01";
const MAC2 = "52:54:00:7e:00:02";
const USER = "ops";
const SECURE_BOOT_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
const BOOT = bootBudgetMs();
const log = (msg: string) => console.log(`[real-guest] ${msg}`);

const dir = tempDir("vft-rg-");
chmodSync(dir.path, 0o755); // QEMU (libvirt-qemu) must reach the pool below it
const policies = join(dir.path, "policies");
const poolPath = join(dir.path, "pool");
let image: TestImage;
let key: { key: string; pub: string };
let subnet: number;
const ip = (host: number) => `192.168.${subnet}.${host}`;

// Fields from the branches this test depends on; a missing one is named in the skip.
const DIRECT_FIELDS = ["kernel"];
const CLOUD_INIT_FIELDS = ["cloudInit.writeFiles", "cloudInit.runcmd", "cloudInit.network"];
const LIVE_FIELDS = ["maxVcpus", "maxMemory"];
const AGENT_FIELDS = ["guestAgent"];
const SB_FIELDS = ["firmware", "secureBoot"];
/** Skips the running test naming why, on the console too (the default reporter hides skip notes). */
function skipBecause(ctx: { skip: (note?: string) => never }, reason: string): never {
  log(`SKIPPED: ${reason}`);
  return ctx.skip(reason);
}
const has = (fields: string[]) => missingDomainFields(fields).length === 0;
const why = (fields: string[]) =>
  `this build's policy schema has no domain field ${missingDomainFields(fields).join(", ")}`;

interface GuestOptions {
  vcpus?: number;
  memoryMiB?: number;
}

/** The direct-kernel-boot guest: everything cloud-init can show, and room for live changes. */
function directGuest(o: GuestOptions): Record<string, unknown> {
  const cloudInit: Record<string, unknown> = {
    hostname: "rg-direct",
    users: [{ name: USER, groups: ["adm"], sshAuthorizedKeys: [key.pub] }],
  };
  if (has(CLOUD_INIT_FIELDS)) {
    cloudInit.writeFiles = [
      { path: "/etc/vft-real-guest", content: `written by virtfleet ${id}\n`, permissions: "0644" },
    ];
    cloudInit.runcmd = [["sh", "-c", `echo runcmd ${id} > /var/tmp/vft-runcmd`]];
    cloudInit.network = {
      ethernets: {
        nic0: {
          match: { macaddress: MAC1 },
          addresses: [`${ip(20)}/24`],
          // Debian 12's cloud-init (22.4) fails its whole network stage on a literal `to: default`:
          // the seed renderer writes 0.0.0.0/0 (kinds/cloud-init-seed/render.ts); this boot proves it.
          routes: [{ to: "default", via: ip(1) }],
          nameservers: { addresses: [ip(1)] },
        },
      },
    };
  }
  const guest: Record<string, unknown> = {
    name: G1,
    vcpus: o.vcpus ?? 1,
    memory: `${o.memoryMiB ?? 512}MiB`,
    cpu: GUEST_CPU,
    machine: "q35",
    kernel: directKernelBoot(image),
    disks: [{ volume: `${POOL}/${G1}.qcow2` }],
    interfaces: [{ network: NET, mac: MAC1 }],
    cloudInit,
    state: "running",
  };
  if (has(LIVE_FIELDS)) Object.assign(guest, { maxVcpus: 2, maxMemory: "1GiB" });
  if (has(AGENT_FIELDS)) guest.guestAgent = true;
  return guest;
}

function sbGuest(): Record<string, unknown> {
  return {
    name: G2,
    vcpus: 1,
    memory: "512MiB",
    cpu: GUEST_CPU,
    machine: "q35",
    firmware: "uefi",
    secureBoot: true,
    disks: [{ volume: `${POOL}/${G2}.qcow2` }],
    interfaces: [{ network: NET, mac: MAC2 }],
    cloudInit: { hostname: "rg-uefi-sb", users: [{ name: USER, sshAuthorizedKeys: [key.pub] }] },
    state: "running",
  };
}

/** Writes the policy: pool, NAT network, the imported image, and the given guests with their overlays. */
function writePolicy(guests: Record<string, unknown>[], gone: string[] = []): void {
  const site = guestSiteResources({
    image,
    pool: POOL,
    poolPath,
    network: NET,
    bridge: BRIDGE,
    subnet,
    reservations: [
      { mac: MAC1, ip: ip(10) },
      { mac: MAC2, ip: ip(11) },
    ],
  });
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "real-guests", description: "real Debian 12 guests booted from the test image" },
    spec: {
      resources: {
        pools: site.pools,
        networks: site.networks,
        volumes: [
          ...site.volumes,
          ...guests.map((g) => overlayVolume(POOL, String(g.name))),
          ...gone.map((g) => overlayVolume(POOL, g, "absent")),
        ],
        domains: [...guests, ...gone.map((name) => ({ name, state: "absent" }))],
      },
    },
  };
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "real-guests.yaml"), stringify(doc));
}

interface ApplyJson {
  summary: Record<string, number>;
  resources: {
    kind: string;
    name: string;
    outcome: string;
    changes: { field: string; disruption: string }[];
    error?: string;
    pendingRestart?: boolean;
  }[];
}

async function apply(): Promise<ApplyJson> {
  const r = await runCli(["apply", policies, "--local", "--json", "--timeout", "15m"], GUEST_ENV);
  let out: ApplyJson;
  try {
    out = JSON.parse(r.stdout) as ApplyJson;
  } catch {
    throw new Error(`apply exited ${r.code} without JSON:\n${r.stderr.slice(-3000)}`);
  }
  const failed = out.resources.filter((x) => x.outcome === "failed").map((x) => `${x.kind}/${x.name}: ${x.error}`);
  expect(failed, r.stderr.slice(-3000)).toEqual([]);
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  return out;
}

const domainReport = (out: ApplyJson, name: string) =>
  out.resources.find((x) => x.kind === "domain" && x.name === name)!;

beforeAll(async () => {
  image = await testImage();
  key = await sshKeyPair(dir.path);
  subnet = await freeSubnet24();
  log(
    `image ${image.dir} (kernel ${image.kernelVersion}, built in ${image.buildSeconds} s); ${HAS_KVM ? "KVM" : TCG_REASON}; boot budget ${BOOT / 1000} s`,
  );
}, IMAGE_BUILD_BUDGET_MS + 60_000);

afterAll(async () => {
  for (const d of [G1, G2]) {
    await virshResult("destroy", d);
    await virshResult("undefine", d, "--nvram");
  }
  await virshResult("net-destroy", NET);
  await virshResult("net-undefine", NET);
  await removePool(POOL);
  dir.cleanup();
  expect((await virsh("list", "--all", "--name")).includes(prefix)).toBe(false);
}, 120_000);

describe("real guests booted through a policy", () => {
  let shell: GuestShell;
  let bootId: string;

  it(
    "direct kernel boot through the policy: SSH login with the user's key; hostname and user as declared",
    async (ctx) => {
      if (!has(DIRECT_FIELDS)) skipBecause(ctx, why(DIRECT_FIELDS));
      writePolicy([directGuest({})]);
      const t0 = Date.now();
      const out = await apply();
      const applySeconds = (Date.now() - t0) / 1000;
      expect(domainReport(out, G1).outcome).toBe("changed");
      expect((await virsh("domstate", G1)).trim()).toBe("running");
      // The cached image is never written: the pool holds a copy, the guest an overlay of it.
      const xml = await virsh("dumpxml", G1);
      expect(xml).not.toContain(image.disk);

      const address = has(CLOUD_INIT_FIELDS) ? ip(20) : ip(10);
      shell = new GuestShell(address, USER, key.key);
      const { sshSeconds, doneSeconds } = await waitForCloudInitDone(shell, t0, BOOT, () => consoleTail(G1));
      log(
        `direct kernel boot (${HAS_KVM ? "KVM" : "TCG"}): apply ${applySeconds.toFixed(1)} s, SSH login ${sshSeconds.toFixed(1)} s, cloud-init done ${doneSeconds.toFixed(1)} s after apply started`,
      );

      // User and key: the login itself used the key cloudInit.users gave `ops`.
      expect((await shell.out("id -un")).trim()).toBe(USER);
      expect(await shell.out("cat ~/.ssh/authorized_keys")).toContain(key.pub);
      expect((await shell.out("id -Gn")).split(/\s+/)).toContain("adm");
      expect((await shell.out("hostname")).trim()).toBe("rg-direct");
      const status = await shell.out("cloud-init status --long || true");
      expect(status, status).toMatch(/status: done/);
      bootId = (await shell.out("cat /proc/sys/kernel/random/boot_id")).trim();
    },
    BOOT + 5 * 60_000,
  );

  it("the guest agent channel answers: guest-exec reads the hostname", async (ctx) => {
    if (!shell || !bootId) skipBecause(ctx, "the direct-kernel-boot guest did not boot (see the test before)");
    if (!has(AGENT_FIELDS)) skipBecause(ctx, why(AGENT_FIELDS));
    await pollUntil("guest-ping", async () => ((await agentPing(G1)) ? true : undefined), 60_000);
    const r = await guestExec(G1, "/bin/hostname");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("rg-direct");
  });

  it("cloud-init applied write_files, runcmd and the static network configuration", async (ctx) => {
    if (!shell || !bootId) skipBecause(ctx, "the direct-kernel-boot guest did not boot (see the test before)");
    if (!has(CLOUD_INIT_FIELDS)) skipBecause(ctx, why(CLOUD_INIT_FIELDS));
    expect(await shell.out("cat /etc/vft-real-guest")).toBe(`written by virtfleet ${id}\n`);
    expect((await shell.out("stat -c %a /etc/vft-real-guest")).trim()).toBe("644");
    expect((await shell.out("cat /var/tmp/vft-runcmd")).trim()).toBe(`runcmd ${id}`);
    // Static network: the address is the declared one (DHCP would have given .10), with its route and DNS.
    const addrs = await shell.out("ip -4 -o addr show");
    expect(addrs).toContain(`inet ${ip(20)}/24`);
    expect(addrs).not.toContain(`inet ${ip(10)}/`);
    expect(await shell.out("ip -4 route show default")).toContain(`via ${ip(1)}`);
    // DNS: networkd hands the declared server to systemd-resolved (the image's resolv.conf is its stub).
    expect(await shell.out("resolvectl dns")).toContain(ip(1));
  });

  it(
    "raising memory (balloon) and vCPUs (hot-plug) in the policy applies live: the guest sees both without a restart",
    async (ctx) => {
      if (!shell || !bootId) skipBecause(ctx, "the direct-kernel-boot guest did not boot (see the test before)");
      if (!has(LIVE_FIELDS)) skipBecause(ctx, why(LIVE_FIELDS));
      const memKiB = async () => Number(/MemTotal:\s+(\d+)/.exec(await shell.out("cat /proc/meminfo"))![1]);
      const before = { mem: await memKiB(), cpus: Number((await shell.out("nproc")).trim()) };
      expect(before.cpus).toBe(1);

      writePolicy([directGuest({ vcpus: 2, memoryMiB: 768 })]);
      const out = await apply();
      const g = domainReport(out, G1);
      expect(g.outcome).toBe("changed");
      expect(g.pendingRestart ?? false).toBe(false);
      expect(g.changes.map((c) => c.field).sort()).toEqual(["memory", "vcpus"]);
      for (const c of g.changes) expect(c.disruption, c.field).toBe("live");

      const cpus = await pollUntil(
        "the hot-plugged vCPU online inside the guest",
        async () => {
          const n = Number((await shell.out("nproc")).trim());
          return n === 2 ? n : undefined;
        },
        60_000,
      );
      expect(cpus).toBe(2);
      expect((await shell.out("cat /sys/devices/system/cpu/online")).trim()).toBe("0-1");
      const after = await pollUntil(
        "the balloon to give the guest 256 MiB more",
        async () => {
          const m = await memKiB();
          return m - before.mem >= 200 * 1024 ? m : undefined;
        },
        60_000,
      );
      log(`balloon: MemTotal ${Math.round(before.mem / 1024)} MiB -> ${Math.round(after / 1024)} MiB; nproc 1 -> 2`);
      // Same boot: nothing restarted the guest.
      expect((await shell.out("cat /proc/sys/kernel/random/boot_id")).trim()).toBe(bootId);

      const again = await apply();
      expect(again.summary.changed ?? 0).toBe(0);
    },
    5 * 60_000,
  );

  it(
    "UEFI with Secure Boot: OVMF boots shim + signed GRUB + signed kernel; SecureBoot reads 1 inside the guest",
    async (ctx) => {
      if (!has(SB_FIELDS)) skipBecause(ctx, why(SB_FIELDS));
      // The first guest goes (one boot at a time); its overlay with it.
      writePolicy([sbGuest()], [G1]);
      const t0 = Date.now();
      const out = await apply();
      expect(domainReport(out, G2).outcome).toBe("changed");
      expect((await virshResult("dominfo", G1)).code).not.toBe(0);
      // libvirt's firmware auto-selection resolved the request to the Secure Boot OVMF build.
      const xml = await virsh("dumpxml", G2);
      expect(xml).toMatch(/<loader[^>]*secure=['"]yes['"][^>]*>[^<]*OVMF/);

      const shellSb = new GuestShell(ip(11), USER, key.key);
      const { sshSeconds, doneSeconds } = await waitForCloudInitDone(shellSb, t0, BOOT, () => consoleTail(G2));
      log(
        `UEFI + Secure Boot (${HAS_KVM ? "KVM" : "TCG"}): SSH login ${sshSeconds.toFixed(1)} s, cloud-init done ${doneSeconds.toFixed(1)} s after apply started`,
      );
      expect((await shellSb.out("hostname")).trim()).toBe("rg-uefi-sb");
      expect((await shellSb.out("test -d /sys/firmware/efi && echo uefi")).trim()).toBe("uefi");
      // efivarfs: 4 bytes of attributes, then the value.
      const bytes = (await shellSb.out(`od -An -tu1 ${SECURE_BOOT_VAR}`)).trim().split(/\s+/).map(Number);
      expect(bytes.at(-1)).toBe(1);
    },
    BOOT + 5 * 60_000,
  );
});
