import { kvmUsable, readProcFile, REAL_HOST, type HostEnvironment } from "../host/environment.js";
import type { DomainHostEnv } from "./resource.js";

/**
 * How guests are defined on this host: `kvm` when /dev/kvm is usable, else `qemu` (TCG).
 * On a nested host (the CPU flags carry `hypervisor`), QEMU cannot give a guest the
 * `arch-capabilities` MSR that libvirt's host-model/host-passthrough CPU asks for ("failed
 * to set MSR 0x10a"), so that one feature is disabled there; it is never compared as drift.
 * VIRTFLEET_DOMAIN_TYPE=qemu (or kvm) in the environment overrides the detection: for hosts
 * whose /dev/kvm opens but cannot run an unmodified guest (kvm_pvm, no vmx/svm: the guest's
 * firmware stops at its first instruction; the real-guest tests set it there).
 */
export async function detectDomainEnv(env: HostEnvironment = REAL_HOST): Promise<DomainHostEnv> {
  const forced = process.env.VIRTFLEET_DOMAIN_TYPE;
  const domainType = forced === "qemu" || forced === "kvm" ? forced : (await kvmUsable(env)) ? "kvm" : "qemu";
  let nested = false;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(await readProcFile(env, "cpuinfo"))?.[1].split(/\s+/) ?? [];
    nested = flags.includes("hypervisor");
  } catch {
    nested = false;
  }
  return { domainType, cpuDisabledFeatures: nested && domainType === "kvm" ? ["arch-capabilities"] : [] };
}
