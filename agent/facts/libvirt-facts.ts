/**
 * `LibvirtFacts` from libvirt itself: turns what the `Hypervisor` facade answers (version,
 * capabilities XML, max vCPUs) into the facts tree's libvirt section.
 *
 * Contract:
 * - `capabilityFacts(hv)` rejects when the capabilities XML cannot be had or read; a
 *   failing max-vCPUs query only falls back to the highest machine `maxCpus`.
 * - `libvirtFacts(hv)` rejects only when the version cannot be had; a capabilities
 *   failure leaves `capabilities` null and is named in `error`.
 * - `collectLibvirtFacts(options)` opens a short-lived connection (no reconnect) and
 *   closes it again. Never rejects: an unreachable daemon gives `reachable: false` and
 *   `error`.
 */
import type { LibvirtCapabilityFacts, LibvirtFacts } from "../../common/facts.js";
import {
  DEFAULT_SOCKET_PATH,
  Hypervisor,
  parseCapabilities,
  type ConnectionOptions,
  type ParsedCapabilities,
} from "../../libvirt/index.js";

export function toCapabilityFacts(p: ParsedCapabilities, maxVcpus: number | null): LibvirtCapabilityFacts {
  return {
    hostCpuModel: p.hostCpuModel,
    maxVcpus: maxVcpus ?? p.maxMachineCpus,
    numaCells: p.numaCells,
    machineTypes: p.machineTypes,
    domainTypes: p.domainTypes,
  };
}

/** Host CPU model, max vCPUs (from the KVM driver when available), NUMA cells, machine and domain types. */
export async function capabilityFacts(hv: Hypervisor): Promise<LibvirtCapabilityFacts> {
  const parsed = parseCapabilities(await hv.capabilitiesXml());
  let maxVcpus: number | null = null;
  const type = parsed.domainTypes.includes("kvm") ? "kvm" : (parsed.domainTypes[0] ?? null);
  try {
    maxVcpus = await hv.maxVcpus(type);
  } catch {
    maxVcpus = null;
  }
  return toCapabilityFacts(parsed, maxVcpus);
}

/** `LibvirtFacts` for the host facts tree over an open connection; capability errors land in `error`. */
export async function libvirtFacts(hv: Hypervisor): Promise<LibvirtFacts> {
  const v = await hv.version();
  let capabilities: LibvirtCapabilityFacts | null = null;
  let error: string | null = null;
  try {
    capabilities = await capabilityFacts(hv);
  } catch (err) {
    error = `capabilities: ${(err as Error).message}`;
  }
  return {
    reachable: true,
    socket: hv.connection.socketPath,
    version: v.libvirt,
    hypervisor: v.hypervisor,
    hypervisorVersion: v.hypervisorVersion,
    capabilities,
    error,
  };
}

/** `LibvirtFacts` over a short-lived connection; never rejects (see the contract above). */
export async function collectLibvirtFacts(options: ConnectionOptions = {}): Promise<LibvirtFacts> {
  const socket = options.socketPath ?? DEFAULT_SOCKET_PATH;
  let hv: Hypervisor;
  try {
    hv = await Hypervisor.open({ ...options, reconnect: false });
  } catch (err) {
    return {
      reachable: false,
      socket,
      version: null,
      hypervisor: null,
      hypervisorVersion: null,
      capabilities: null,
      error: (err as Error).message,
    };
  }
  try {
    return await libvirtFacts(hv);
  } finally {
    await hv.close();
  }
}
