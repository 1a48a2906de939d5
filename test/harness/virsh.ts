import { existsSync, readFileSync } from "node:fs";
/**
 * Runs `virsh -c qemu:///system` for tests: an independent oracle and the way tests
 * inject drift. Never parses more than names/states out of its text.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface VirshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs virsh; resolves with exit code and output, never rejects on a non-zero exit. */
export async function virshResult(...args: string[]): Promise<VirshResult> {
  try {
    const { stdout, stderr } = await run("virsh", ["-q", "-c", "qemu:///system", ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** Runs virsh and returns stdout; throws with stderr on failure. */
export async function virsh(...args: string[]): Promise<string> {
  const r = await virshResult(...args);
  if (r.code !== 0) throw new Error(`virsh ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** A prefix like `vft-3f9a2c-` for every object a test creates. */
export function testPrefix(): string {
  return `vft-${randomBytes(3).toString("hex")}-`;
}

function names(out: string): string[] {
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Volume names of `pool` (virsh 9 has no `vol-list --name`). */
export async function volumeNames(pool: string): Promise<string[]> {
  const r = await virshResult("vol-list", pool);
  return names(r.stdout).map((l) => l.split(/\s+/)[0]!);
}

/** Destroys and undefines every domain, network and pool whose name starts with `prefix`. */
export async function cleanupPrefix(prefix: string): Promise<void> {
  if (!/^vft-[0-9a-z]+-$/.test(prefix)) throw new Error(`refusing to clean up with prefix ${prefix}`);
  for (const d of names(await virsh("list", "--all", "--name")).filter((n) => n.startsWith(prefix))) {
    await virshResult("destroy", d);
    await virshResult("undefine", d, "--nvram");
  }
  for (const n of names(await virsh("net-list", "--all", "--name")).filter((x) => x.startsWith(prefix))) {
    await virshResult("net-destroy", n);
    await virshResult("net-undefine", n);
  }
  for (const p of names(await virsh("pool-list", "--all", "--name")).filter((x) => x.startsWith(prefix))) {
    await removePool(p, { deleteDir: true });
  }
}

/**
 * When pool `name` exists: deletes its volumes, stops and undefines it; `deleteDir` also
 * removes its directory (`pool-delete`), else that is left to the test's temp folder.
 */
export async function removePool(name: string, o: { deleteDir?: boolean } = {}): Promise<void> {
  if ((await virshResult("pool-info", name)).code !== 0) return;
  await virshResult("pool-start", name);
  for (const v of await volumeNames(name)) await virshResult("vol-delete", v, "--pool", name);
  await virshResult("pool-destroy", name);
  if (o.deleteDir) await virshResult("pool-delete", name);
  await virshResult("pool-undefine", name);
}

/**
 * XML of a tiny diskless guest (64 MiB, 1 of max 2 vCPUs, pty console, no graphics): KVM when
 * /dev/kvm exists, else TCG (`qemu`), as the agent itself decides (kinds/domain/host-env.ts).
 */
export function tinyDomainXml(name: string, uuid?: string): string {
  return `<domain type='${HOST_DOMAIN_TYPE}'>
  <name>${name}</name>${uuid ? `\n  <uuid>${uuid}</uuid>` : ""}
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <console type='pty'/>
  </devices>
</domain>`;
}

function cpuFlags(): string[] {
  try {
    return (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "").split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * True where guests run under KVM here, as the agent decides (kinds/domain/host-env.ts):
 * /dev/kvm AND hardware virtualisation (vmx or svm, from kvm_intel / kvm_amd). A /dev/kvm
 * without them (kvm_pvm) stops an unmodified guest's firmware at its first instruction; there
 * guests run under QEMU TCG.
 */
export const KVM_AVAILABLE = existsSync("/dev/kvm") && cpuFlags().some((f) => f === "vmx" || f === "svm");
export const HOST_DOMAIN_TYPE = KVM_AVAILABLE ? "kvm" : "qemu";
/** Why a test that needs KVM (e.g. CPU mode host-passthrough) is skipped here. */
export const NO_KVM =
  "skipped: needs KVM with hardware virtualisation (/dev/kvm from kvm_intel or kvm_amd, vmx/svm); this host runs guests under TCG";
