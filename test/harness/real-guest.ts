/**
 * Booting real guests from the cached Debian 12 test image (scripts/test-image, see
 * docs/design/test-guest-image.md) and looking inside them: over SSH with a key the test
 * made (the guest's user gets it from cloudInit.users), or through the qemu-guest-agent
 * channel. Works with KVM and without (QEMU TCG: boots take minutes; see `bootBudgetMs`).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../common/index.js";
import { KVM_AVAILABLE, virshResult } from "./virsh.js";

const run = promisify(execFile);

/** The facts image.env records (scripts/test-image/build.sh). */
export interface TestImage {
  dir: string;
  disk: string;
  diskSha256: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  kernelVersion: string;
  virtualSizeBytes: number;
  buildSeconds: number;
}

/** True when a real guest can run under KVM here (test/harness/virsh.ts KVM_AVAILABLE). */
export const HAS_KVM = KVM_AVAILABLE;

/** Why guests run under TCG here (for the tests' log lines). */
export const TCG_REASON = existsSync("/dev/kvm")
  ? "/dev/kvm without vmx/svm (kvm_pvm?): QEMU TCG"
  : "no /dev/kvm: QEMU TCG";

/**
 * Environment for `virtfleet apply` / the agent so that the guests it defines get the domain
 * type that can boot here: the choice the agent's own detection makes (kinds/domain/host-env.ts),
 * pinned so that the tests' view and the agent's agree.
 */
export const GUEST_ENV: NodeJS.ProcessEnv = { VIRTFLEET_DOMAIN_TYPE: HAS_KVM ? "kvm" : "qemu" };

/**
 * How long one boot may take until the user-data is applied and SSH answers: generous
 * under TCG (the design note measured 95-250 s on a loaded 2-core machine; 10 minutes is
 * its advice), 4 minutes with KVM.
 */
export function bootBudgetMs(): number {
  const override = Number(process.env.VIRTFLEET_REAL_GUEST_BOOT_TIMEOUT_S);
  if (override > 0) return override * 1000;
  return HAS_KVM ? 4 * 60_000 : 10 * 60_000;
}

/** Longest wait for the image: a cold build here is 1-6 minutes, up to 13 under heavy load. */
export const IMAGE_BUILD_BUDGET_MS = 20 * 60_000;

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  return out;
}

/**
 * The cached image, built first when missing. `path.sh` takes the build lock: when .ci/run
 * builds the image in the background, this waits for that build instead of starting another.
 */
export async function testImage(): Promise<TestImage> {
  const script = join(projectRoot(), "scripts", "test-image", "path.sh");
  const { stdout } = await run("bash", [script, "env"], {
    timeout: IMAGE_BUILD_BUDGET_MS,
    maxBuffer: 16 << 20,
  });
  const file = stdout.trim();
  const env = parseEnv(readFileSync(file, "utf8"));
  const need = ["DISK", "DISK_SHA256", "KERNEL", "INITRD", "CMDLINE"];
  for (const k of need) if (!env[k]) throw new Error(`${file} has no ${k}: rebuild the test image`);
  return {
    dir: join(file, ".."),
    disk: env.DISK!,
    diskSha256: env.DISK_SHA256!,
    kernel: env.KERNEL!,
    initrd: env.INITRD!,
    cmdline: env.CMDLINE!,
    kernelVersion: env.KERNEL_VERSION ?? "",
    virtualSizeBytes: Number(env.VIRTUAL_SIZE_BYTES ?? 0),
    buildSeconds: Number(env.BUILD_SECONDS ?? 0),
  };
}

/** An ed25519 key pair without a passphrase in `dir`: the private key's path, the public key's text. */
export async function sshKeyPair(dir: string, comment = "vft-real-guest"): Promise<{ key: string; pub: string }> {
  const key = join(dir, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key]);
  return { key, pub: readFileSync(`${key}.pub`, "utf8").trim() };
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs shell commands in a guest over SSH (key only, no host-key checks: throwaway guests). */
export class GuestShell {
  constructor(
    readonly address: string,
    readonly user: string,
    readonly keyPath: string,
  ) {}

  /** The first login of a TCG guest took 31 s here (the user's systemd instance starts); later ones 2-4 s. */
  async run(command: string, timeoutMs = 120_000): Promise<ShellResult> {
    const args = [
      "-i",
      this.keyPath,
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "ConnectTimeout=10",
      `${this.user}@${this.address}`,
      command,
    ];
    try {
      const { stdout, stderr } = await run("ssh", args, { timeout: timeoutMs });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === "number" ? e.code : 255,
        stdout: e.stdout ?? "",
        stderr: e.stderr ?? String(err),
      };
    }
  }

  /** Runs `command`; throws with its stderr when it fails. */
  async out(command: string, timeoutMs?: number): Promise<string> {
    const r = await this.run(command, timeoutMs);
    if (r.code !== 0)
      throw new Error(`ssh ${this.user}@${this.address} '${command}' failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }
}

/**
 * Polls until `probe` returns a value (not undefined) or `timeoutMs` passes; then throws
 * naming `what` and the last error/explanation.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 1000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const more = explain ? await explain().catch((e) => String(e)) : "";
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last: ${String(last)})` : ""}${more ? `\n${more}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until SSH logs in and cloud-init has finished (`/var/lib/cloud/instance/boot-finished`
 * exists: written by the last stage, after runcmd). Returns seconds since `since`.
 */
export async function waitForCloudInitDone(
  shell: GuestShell,
  since: number,
  timeoutMs: number,
  explain?: () => Promise<string>,
): Promise<{ sshSeconds: number; doneSeconds: number }> {
  let sshSeconds = -1;
  const doneSeconds = await pollUntil(
    `cloud-init to finish in the guest at ${shell.address}`,
    async () => {
      const r = await shell.run("test -f /var/lib/cloud/instance/boot-finished && echo done || echo running", 90_000);
      if (r.code !== 0) return undefined;
      if (sshSeconds < 0) sshSeconds = (Date.now() - since) / 1000;
      return r.stdout.trim() === "done" ? (Date.now() - since) / 1000 : undefined;
    },
    timeoutMs,
    1000,
    explain,
  );
  return { sshSeconds, doneSeconds };
}

/** Runs `path args…` in the guest through the qemu-guest-agent channel; its exit code and output. */
export async function guestExec(
  domain: string,
  path: string,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<ShellResult> {
  const start = await virshResult(
    "qemu-agent-command",
    domain,
    "--timeout",
    "5",
    JSON.stringify({ execute: "guest-exec", arguments: { path, arg: args, "capture-output": true } }),
  );
  if (start.code !== 0) throw new Error(`guest-exec ${path} in ${domain}: ${start.stderr.trim()}`);
  const pid = (JSON.parse(start.stdout) as { return: { pid: number } }).return.pid;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await virshResult(
      "qemu-agent-command",
      domain,
      "--timeout",
      "5",
      JSON.stringify({ execute: "guest-exec-status", arguments: { pid } }),
    );
    if (st.code === 0) {
      const r = (JSON.parse(st.stdout) as { return: Record<string, unknown> }).return;
      if (r.exited === true) {
        const dec = (k: string) =>
          typeof r[k] === "string" ? Buffer.from(r[k] as string, "base64").toString("utf8") : "";
        return { code: Number(r.exitcode ?? -1), stdout: dec("out-data"), stderr: dec("err-data") };
      }
    }
    if (Date.now() > deadline) throw new Error(`guest-exec ${path} in ${domain}: no exit within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** True when the guest agent in `domain` answers guest-ping. */
export async function agentPing(domain: string): Promise<boolean> {
  const r = await virshResult("qemu-agent-command", domain, "--timeout", "2", '{"execute":"guest-ping"}');
  return r.code === 0;
}

/** The tail of a guest's serial console log, for failure messages (when the domain logs it). */
export async function consoleTail(domain: string, lines = 30): Promise<string> {
  const log = `/var/log/libvirt/qemu/${domain}.log`;
  const parts: string[] = [];
  const state = await virshResult("domstate", domain, "--reason");
  parts.push(`${domain}: ${state.stdout.trim() || state.stderr.trim()}`);
  if (existsSync(log)) parts.push(`${log}:\n${readFileSync(log, "utf8").split("\n").slice(-lines).join("\n")}`);
  return parts.join("\n");
}

/** The pool volume a real-guest policy imports the test image into; guests boot from overlays of it. */
export const BASE_VOLUME = "debian-12.qcow2";

/**
 * A real guest's `cpu`. Under TCG, libvirt's host-model becomes the host's model with every
 * feature TCG can emulate (here EPYC with la57, pku, …): a guest defined that way showed no
 * sign of life in 10 minutes. qemu64 is what the image's measurements used
 * (docs/design/test-guest-image.md).
 */
export const GUEST_CPU = HAS_KVM ? "host-model" : { mode: "custom", model: "qemu64" };

/** A domain's `kernel` field booting the test image's kernel and initrd directly. */
export function directKernelBoot(image: TestImage): { path: string; initrd: string; cmdline: string } {
  return { path: image.kernel, initrd: image.initrd, cmdline: image.cmdline };
}

/** The policy volume `GUEST.qcow2`: a 4 GiB qcow2 overlay of BASE_VOLUME in `pool`. */
export function overlayVolume(pool: string, guest: string, state = "present"): Record<string, unknown> {
  return { name: `${guest}.qcow2`, pool, format: "qcow2", capacity: "4GiB", backingVolume: BASE_VOLUME, state };
}

/** Where a real-guest policy's guests live; `subnet` is X in 192.168.X.0/24 (the host is .1). */
export interface GuestSite {
  image: TestImage;
  pool: string;
  poolPath: string;
  network: string;
  bridge: string;
  subnet: number;
  /** DHCP reservations: a guest without static network config gets this address. */
  reservations: { mac: string; ip: string }[];
}

/**
 * The policy resources every real guest needs: a dir pool at `poolPath`, a NAT network with
 * DHCP (.100-.200 plus the reservations) and the test image imported into the pool as
 * BASE_VOLUME (file:// + its sha256). The guests' overlays go after it in `volumes`.
 */
export function guestSiteResources(s: GuestSite): {
  pools: Record<string, unknown>[];
  networks: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
} {
  const ip = (host: number) => `192.168.${s.subnet}.${host}`;
  return {
    pools: [{ name: s.pool, type: "dir", path: s.poolPath }],
    networks: [
      {
        name: s.network,
        mode: "nat",
        bridge: s.bridge,
        ipv4: {
          address: ip(1),
          prefix: 24,
          dhcp: { start: ip(100), end: ip(200), hosts: s.reservations },
        },
      },
    ],
    volumes: [
      {
        name: BASE_VOLUME,
        pool: s.pool,
        format: "qcow2",
        capacity: "4GiB",
        source: { url: `file://${s.image.disk}`, sha256: s.image.diskSha256 },
      },
    ],
  };
}
