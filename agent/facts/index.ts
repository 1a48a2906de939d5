export { collectFacts } from "./collect.js";
export { factsFingerprint, stableFacts } from "./fingerprint.js";
export type { LibvirtProbe } from "./libvirt-probe.js";
export { capabilityFacts, collectLibvirtFacts, libvirtFacts } from "./libvirt-facts.js";
export {
  type CollectFactsOptions,
  DEFAULT_LIBVIRT_SOCKET,
  DEFAULT_SYS_ROOT,
  DEFAULT_PROC_ROOT,
  DEFAULT_OS_RELEASE_PATHS,
  DEFAULT_KVM_DEVICE,
  DEFAULT_WATCHED_PATHS,
  DEFAULT_IP_COMMAND,
  DEFAULT_CONCURRENCY,
  DEFAULT_SOURCE_TIMEOUT_MS,
  DEFAULT_IP_TIMEOUT_MS,
  DEFAULT_STATFS_TIMEOUT_MS,
  DEFAULT_LIBVIRT_TIMEOUT_MS,
} from "./options.js";
export { parseCpuinfo, virtualizationFlag, type CpuinfoFacts } from "./parse/cpuinfo.js";
export { parseCpuList } from "./parse/cpulist.js";
export { parseMeminfo, parseNodeMeminfo } from "../../common/proc-meminfo.js";
export { parseOsRelease } from "./parse/os-release.js";
export { parseProcModules } from "./parse/proc-modules.js";
export { parseProcMounts, type MountEntry } from "./parse/proc-mounts.js";
export { parseIpAddrJson, type IpLinkInfo } from "./parse/ip-addr.js";
export { parseHugepageDirName } from "./parse/hugepages.js";
