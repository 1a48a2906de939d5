/**
 * Benchmark (issue 23): N real Debian 12 guests (default 3) booted from the cached test image
 * (scripts/test-image) to cloud-init done, by three tools, one after another:
 *
 *   (a) virtfleet: one policy (dir pool, NAT network, the image imported by a volume with its
 *       sha256, an overlay per guest, guests with direct kernel boot and a cloud-init seed),
 *       `node dist/bin/virtfleet.js apply FILE --local --json`; then the same command again
 *       (the re-check: must change nothing);
 *   (b) virt-install, one guest after another: `qemu-img create` of the overlay, a NoCloud
 *       seed ISO (xorriso), `virt-install --import --boot kernel=…` (Debian's virtinst,
 *       installed by this bench when missing); no re-check exists (virt-install has no
 *       desired state);
 *   (c) Ansible community.libvirt.virt (bench/ansible/converge.yml: define + start), with
 *       the XML virt-install produced (UUID removed) on fresh overlays, then the playbook
 *       again (its re-check). Only when `bash bench/ansible/setup.sh` succeeds (Debian's
 *       ansible package); otherwise the row says why.
 *
 * For each: the tool's own time, and the time from the tool's start until every guest has
 * finished cloud-init (`/var/lib/cloud/instance/boot-finished`, read over SSH with the key the
 * guests' user got; addresses from DHCP reservations on the bench's network).
 * Everything is named vft-brg-<hex>-…; removed at the end, also on failure.
 *
 * Run: npm run build && node dist/bench/real-guests.js [--guests 3] [--skip-ansible] [--json]
 * Needs root, a running libvirtd (scripts/setup-libvirt.sh). Not run in CI.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { projectRoot } from "../common/paths.js";
import {
  BASE_VOLUME,
  bootBudgetMs,
  directKernelBoot,
  GUEST_CPU,
  GUEST_ENV,
  GuestShell,
  guestSiteResources,
  HAS_KVM,
  overlayVolume,
  sshKeyPair,
  testImage,
  type TestImage,
  waitForCloudInitDone,
} from "../test/harness/real-guest.js";
import { freeSubnet24 } from "../test/harness/subnet.js";
import { removePool } from "../test/harness/virsh.js";
import { intArg } from "./lib/cli-args.js";
import { SHIPPED_CLI } from "./lib/shipped-cli.js";

const run = promisify(execFile);
const GUESTS = intArg("guests", 3);
const JSON_OUT = process.argv.includes("--json");
const SKIP_ANSIBLE = process.argv.includes("--skip-ansible");
const hex = randomBytes(3).toString("hex");
const prefix = `vft-brg-${hex}-`;
const POOL = `${prefix}pool`;
const NET = `${prefix}net`;
const BRIDGE = `vfbrg${hex}`;
const USER = "ops";
const names = Array.from({ length: GUESTS }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
const mac = (i: number) =>
  `52:54:00:7d:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const log = (msg: string) => process.stderr.write(`[real-guests] ${msg}\n`);

const work = mkdtempSync(join(tmpdir(), `${prefix}`));
chmodSync(work, 0o755);
const poolPath = join(work, "pool");
const policyFile = join(work, "real-guests.yaml");
let subnet = 0;
const ip = (host: number) => `192.168.${subnet}.${host}`;
let image: TestImage;
let key: { key: string; pub: string };

interface Row {
  tool: string;
  toolSeconds: number | null;
  allDoneSeconds: number | null;
  recheckSeconds: number | null;
  note: string;
}

const virsh = (...args: string[]) => run("virsh", ["-q", "-c", "qemu:///system", ...args], { maxBuffer: 64 << 20 });
const virshOk = (...args: string[]) =>
  virsh(...args).then(
    () => true,
    () => false,
  );

function policy(withGuests: boolean): string {
  const overlays = names.map((n) => overlayVolume(POOL, n, withGuests ? "present" : "absent"));
  const domains = names.map((n, i) =>
    withGuests
      ? {
          name: n,
          vcpus: 1,
          memory: "512MiB",
          cpu: GUEST_CPU,
          machine: "q35",
          kernel: directKernelBoot(image),
          disks: [{ volume: `${POOL}/${n}.qcow2` }],
          interfaces: [{ network: NET, mac: mac(i) }],
          cloudInit: { hostname: `guest-${i}`, users: [{ name: USER, sshAuthorizedKeys: [key.pub] }] },
          state: "running",
        }
      : { name: n, state: "absent" },
  );
  const site = guestSiteResources({
    image,
    pool: POOL,
    poolPath,
    network: NET,
    bridge: BRIDGE,
    subnet,
    reservations: names.map((_, i) => ({ mac: mac(i), ip: ip(10 + i) })),
  });
  return stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: `${prefix}bench` },
    spec: {
      resources: {
        pools: site.pools,
        networks: site.networks,
        volumes: [...site.volumes, ...overlays],
        domains,
      },
    },
  });
}

async function virtfleetApply(): Promise<{ seconds: number; changed: number }> {
  const t0 = performance.now();
  const r = await run(process.execPath, [SHIPPED_CLI, "apply", policyFile, "--local", "--json", "--timeout", "15m"], {
    maxBuffer: 64 << 20,
    env: { ...process.env, ...GUEST_ENV },
  }).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`virtfleet apply failed:\n${e.stdout ?? ""}\n${String(e.stderr ?? e).slice(-3000)}`);
  });
  const doc = JSON.parse(r.stdout) as { summary: { changed: number; failed: number } };
  if (doc.summary.failed > 0) throw new Error(`virtfleet apply: ${JSON.stringify(doc.summary)}`);
  return { seconds: (performance.now() - t0) / 1000, changed: doc.summary.changed };
}

/** Seconds from `t0` (performance.now()) until every guest's cloud-init is done (all polled at once). */
async function allDone(t0: number): Promise<number> {
  const since = Date.now() - (performance.now() - t0); // the harness measures from a wall-clock start
  const times = await Promise.all(
    names.map((_, i) => waitForCloudInitDone(new GuestShell(ip(10 + i), USER, key.key), since, bootBudgetMs() * 2)),
  );
  return Math.max(...times.map((t) => t.doneSeconds));
}

/** Removes the guests (with NVRAM) and their overlays; keeps pool, network and base image. */
async function removeGuests(): Promise<void> {
  for (const n of names) {
    await virshOk("destroy", n);
    await virshOk("undefine", n, "--nvram");
    rmSync(join(work, `${n}.qcow2`), { force: true });
    rmSync(join(work, `${n}-seed.iso`), { force: true });
  }
  await virshOk("pool-refresh", POOL);
  for (const n of names) await virshOk("vol-delete", `${n}.qcow2`, "--pool", POOL);
}

async function seedIso(i: number): Promise<string> {
  const d = join(work, `seed-${i}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "meta-data"), `instance-id: ${names[i]}-${hex}\nlocal-hostname: guest-${i}\n`);
  writeFileSync(
    join(d, "user-data"),
    `#cloud-config\nhostname: guest-${i}\nusers:\n  - name: ${USER}\n    ssh_authorized_keys: ["${key.pub}"]\n`,
  );
  const iso = join(work, `${names[i]}-seed.iso`);
  await run("xorriso", ["-as", "mkisofs", "-quiet", "-V", "cidata", "-J", "-R", "-o", iso, d]);
  return iso;
}

async function overlay(n: string): Promise<string> {
  const path = join(work, `${n}.qcow2`);
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", join(poolPath, BASE_VOLUME), "-F", "qcow2", path, "4G"]);
  return path;
}

async function ensurePackage(pkg: string, binary: string): Promise<void> {
  if (
    await run("sh", ["-c", `command -v ${binary}`]).then(
      () => true,
      () => false,
    )
  )
    return;
  log(`installing ${pkg} (apt-get; benchmark only)`);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

async function virtInstallRow(rows: Row[]): Promise<string[]> {
  await ensurePackage("virtinst", "virt-install");
  const t0 = performance.now();
  for (let i = 0; i < GUESTS; i++) {
    const disk = await overlay(names[i]!);
    const seed = await seedIso(i);
    await run(
      "virt-install",
      [
        "--connect",
        "qemu:///system",
        "--name",
        names[i]!,
        "--memory",
        "512",
        "--vcpus",
        "1",
        "--machine",
        "q35",
        "--cpu",
        HAS_KVM ? "host-model" : "qemu64",
        "--virt-type",
        HAS_KVM ? "kvm" : "qemu",
        "--boot",
        `kernel=${image.kernel},initrd=${image.initrd},kernel_args=${image.cmdline}`,
        "--disk",
        `path=${disk},format=qcow2,bus=virtio`,
        "--disk",
        `path=${seed},device=cdrom,bus=sata`,
        "--network",
        `network=${NET},mac=${mac(i)},model=virtio`,
        "--graphics",
        "none",
        "--osinfo",
        "detect=on,require=off",
        "--import",
        "--noautoconsole",
      ],
      { maxBuffer: 16 << 20 },
    );
    // --import starts the guest; make sure (a definition without a start would not boot).
    if (!(await virsh("domstate", names[i]!)).stdout.includes("running")) await virsh("start", names[i]!);
  }
  const toolSeconds = (performance.now() - t0) / 1000;
  const done = await allDone(t0);
  rows.push({
    tool: "virt-install, one by one",
    toolSeconds,
    allDoneSeconds: done,
    recheckSeconds: null,
    note: "no re-check: no desired state",
  });
  const xmls: string[] = [];
  for (const n of names)
    xmls.push((await virsh("dumpxml", n, "--inactive")).stdout.replace(/\s*<uuid>[^<]*<\/uuid>/, ""));
  return xmls;
}

async function ansibleRow(rows: Row[], xmls: string[]): Promise<void> {
  if (SKIP_ANSIBLE) {
    rows.push({
      tool: "ansible community.libvirt.virt",
      toolSeconds: null,
      allDoneSeconds: null,
      recheckSeconds: null,
      note: "--skip-ansible",
    });
    return;
  }
  const setup = await run("bash", [join(projectRoot(), "bench/ansible/setup.sh")]).then(
    () => "",
    (e: { stderr?: string }) =>
      String(e.stderr ?? e)
        .trim()
        .split("\n")
        .slice(-2)
        .join(" "),
  );
  if (setup) {
    rows.push({
      tool: "ansible community.libvirt.virt",
      toolSeconds: null,
      allDoneSeconds: null,
      recheckSeconds: null,
      note: `not run: ${setup}`,
    });
    return;
  }
  const xmlDir = join(work, "xml");
  mkdirSync(xmlDir, { recursive: true });
  for (let i = 0; i < GUESTS; i++) {
    await overlay(names[i]!);
    await seedIso(i);
    writeFileSync(join(xmlDir, `${names[i]}.xml`), xmls[i]!);
  }
  const vars = join(work, "ansible-vars.json");
  writeFileSync(vars, JSON.stringify({ vft_guests: names, vft_xml_dir: xmlDir }));
  const inventory = join(work, "inventory.ini");
  writeFileSync(inventory, "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n");
  const play = () =>
    run("ansible-playbook", ["-i", inventory, join(projectRoot(), "bench/ansible/converge.yml"), "-e", `@${vars}`], {
      env: { ...process.env, ANSIBLE_NOCOLOR: "1", ANSIBLE_LOCALHOST_WARNING: "0" },
      maxBuffer: 64 << 20,
    });
  const t0 = performance.now();
  await play();
  const toolSeconds = (performance.now() - t0) / 1000;
  const done = await allDone(t0);
  const r0 = performance.now();
  await play();
  rows.push({
    tool: "ansible community.libvirt.virt",
    toolSeconds,
    allDoneSeconds: done,
    recheckSeconds: (performance.now() - r0) / 1000,
    note: "same XML as virt-install's",
  });
}

async function cleanup(): Promise<void> {
  await removeGuests().catch(() => undefined);
  await virshOk("net-destroy", NET);
  await virshOk("net-undefine", NET);
  await removePool(POOL);
  // virt-install defines a pool for the directory of each disk it is given (the work dir: named
  // like it, so with this run's prefix); the directory itself goes below.
  const pools = (await virsh("pool-list", "--all", "--name").catch(() => ({ stdout: "" }))).stdout;
  for (const p of pools.split("\n").map((l) => l.trim())) {
    if (!p.startsWith(prefix)) continue;
    await virshOk("pool-destroy", p);
    await virshOk("pool-undefine", p);
  }
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  image = await testImage();
  key = await sshKeyPair(work);
  subnet = await freeSubnet24(170, 249);
  log(`${GUESTS} guests, ${HAS_KVM ? "KVM" : "QEMU TCG"}, image ${image.dir}`);
  const rows: Row[] = [];

  writeFileSync(policyFile, policy(true));
  const t0 = performance.now();
  const first = await virtfleetApply();
  const done = await allDone(t0);
  const again = await virtfleetApply();
  if (again.changed !== 0) log(`warning: the re-check changed ${again.changed} resources`);
  rows.push({
    tool: "virtfleet apply --local",
    toolSeconds: first.seconds,
    allDoneSeconds: done,
    recheckSeconds: again.seconds,
    note: `includes the image import; re-check changed ${again.changed}`,
  });
  // Guests and overlays go through the policy (state: absent); pool, network and image stay.
  writeFileSync(policyFile, policy(false));
  await virtfleetApply();

  const xmls = await virtInstallRow(rows);
  await removeGuests();
  await ansibleRow(rows, xmls);

  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify({ guests: GUESTS, kvm: HAS_KVM, rows }, null, 2)}\n`);
    return;
  }
  const f = (v: number | null) => (v === null ? "–" : v.toFixed(1));
  console.log(`\n${GUESTS} real guests (Debian 12 test image, 1 vCPU / 512 MiB, ${HAS_KVM ? "KVM" : "TCG"})\n`);
  console.log("| tool | tool run (s) | start → all cloud-init done (s) | re-check (s) | note |");
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.tool} | ${f(r.toolSeconds)} | ${f(r.allDoneSeconds)} | ${f(r.recheckSeconds)} | ${r.note} |`);
}

main()
  .catch((err) => {
    process.exitCode = 1;
    log(String(err instanceof Error ? err.stack : err));
  })
  .finally(() => cleanup());
