import { kvmUsable, readProcFile, REAL_HOST, type HostEnvironment } from "../host/environment.js";
import type { DomainHostEnv } from "./resource.js";

/**
 * How guests are defined on this host: `kvm` when /dev/kvm is usable AND the CPU flags carry
 * hardware virtualisation (`vmx` or `svm`), else `qemu` (TCG). A /dev/kvm without them (the
 * `kvm_pvm` module: pagetable-based virtualisation) opens, but an unmodified guest's firmware
 * stops at its first instruction (KVM "emulation failure", the guest `paused`), so such a host
 * runs its guests under TCG. VIRTFLEET_DOMAIN_TYPE=qemu|kvm in the agent's environment
 * overrides the detection.
 * On a nested host (the CPU flags carry `hypervisor`), QEMU cannot give a guest the
 * `arch-capabilities` MSR that libvirt's host-model/host-passthrough CPU asks for ("failed
 * to set MSR 0x10a"), so that one feature is disabled there; it is never compared as drift.
 */
export async function detectDomainEnv(env: HostEnvironment = REAL_HOST): Promise<DomainHostEnv> {
  let flags: string[] = [];
  try {
    flags = /^flags\s*:(.*)$/m.exec(await readProcFile(env, "cpuinfo"))?.[1].split(/\s+/) ?? [];
  } catch {
    flags = [];
  }
  const forced = process.env.VIRTFLEET_DOMAIN_TYPE;
  const hardware = flags.includes("vmx") || flags.includes("svm");
  const domainType =
    forced === "qemu" || forced === "kvm" ? forced : hardware && (await kvmUsable(env)) ? "kvm" : "qemu";
  const nested = flags.includes("hypervisor");
  return { domainType, cpuDisabledFeatures: nested && domainType === "kvm" ? ["arch-capabilities"] : [] };
}
