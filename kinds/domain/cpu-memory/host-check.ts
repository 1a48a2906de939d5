import { VirtfleetError } from "../../../common/errors.js";
import { formatBytes } from "../../../common/units.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import { readHugepagePool } from "../../host/hugepages/sysfs.js";
import type { HostHugepages } from "../../host/hugepages/sizes.js";
import { attr, child, children, parseXml } from "../../libvirt-xml/xml-io.js";
import type { DomainSpec } from "../spec.js";
import { formatCpuset, parseCpuset } from "./cpuset.js";

/** A guest's CPU or memory setting this host cannot give it. */
export class HostCannotRunGuestError extends VirtfleetError {
  constructor(
    readonly domain: string,
    readonly problems: string[],
    host: string,
  ) {
    super(
      "HOST_CANNOT_RUN_GUEST",
      `domain ${domain}: ${host} cannot give it what it asks for: ${problems.join("; ")}. Fix the policy or the host; the guest was not defined or changed`,
    );
  }
}

export interface CpuMemoryHostCheck {
  /** This host's fleet name (null: "this host"). */
  hostName?: string;
  /** The hugepages the bundle's enforced host resource reserves before the guest is converged. */
  reserved?: HostHugepages;
  /** Where the kernel's hugepage pools are (default /sys). */
  sysRoot?: string;
}

/**
 * What only the host can tell about a guest's CPU and memory, checked before it is defined
 * or changed (dry-run and apply alike, so the plan stage shows it); only for a guest that
 * sets pinning, a NUMA memory nodeset or hugepages (no libvirt call otherwise):
 * - `pinning.vcpus.N` and `pinning.emulator`: every host CPU exists (libvirt's capabilities:
 *   the host's NUMA cells' CPU ids; without them 0 … nodeInfo.cpus-1);
 * - `numa.memoryNodeset`: every host NUMA node exists;
 * - `hugepages`: the host has pages of that size, and — when the guest would start (it is
 *   not running and its state is running or paused) — enough free pages for its memory
 *   (maxMemory, else memory). In a dry-run, pages the bundle's host resource will reserve
 *   first count as free (`reserved`); a running guest already holds its pages.
 * Throws HostCannotRunGuestError naming the host and every field.
 */
export async function checkCpuMemoryOnHost(
  spec: DomainSpec,
  hv: Hypervisor,
  ref: DomainRef | null,
  apply: boolean,
  o: CpuMemoryHostCheck = {},
): Promise<void> {
  const pins = Object.entries(spec.pinning?.vcpus ?? {});
  const emulator = spec.pinning?.emulator;
  const nodeset = spec.numa?.memoryNodeset;
  if (pins.length === 0 && emulator === undefined && nodeset === undefined && spec.hugepages === undefined) return;
  const problems: string[] = [];

  if (pins.length > 0 || emulator !== undefined || nodeset !== undefined) {
    const host = await hostTopology(hv);
    const missing = (set: string, have: ReadonlySet<number>) => (parseCpuset(set) ?? []).filter((n) => !have.has(n));
    const cpuList = () => `the host has CPUs ${formatCpuset([...host.cpus])}`;
    for (const [vcpu, set] of pins) {
      const bad = missing(set, host.cpus);
      if (bad.length > 0) problems.push(`pinning.vcpus.${vcpu}: CPU ${bad.join(", ")} does not exist (${cpuList()})`);
    }
    if (emulator !== undefined) {
      const bad = missing(emulator, host.cpus);
      if (bad.length > 0) problems.push(`pinning.emulator: CPU ${bad.join(", ")} does not exist (${cpuList()})`);
    }
    if (nodeset !== undefined) {
      const bad = missing(nodeset, host.nodes);
      if (bad.length > 0)
        problems.push(
          `numa.memoryNodeset: NUMA node ${bad.join(", ")} does not exist (the host has nodes ${formatCpuset([...host.nodes])})`,
        );
    }
  }

  if (spec.hugepages !== undefined) {
    const size = spec.hugepages;
    const pool = await readHugepagePool(o.sysRoot ?? "/sys", size);
    const pageBytes = size === "2MiB" ? 2 * 1024 ** 2 : 1024 ** 3;
    const need = Math.ceil((spec.maxMemoryBytes ?? spec.memoryBytes) / pageBytes);
    if (pool === null) problems.push(`hugepages: the host has no ${size} hugepages (its kernel offers none)`);
    else if (spec.state === "running" || spec.state === "paused") {
      const running = ref !== null && (await hv.domainIsActive(ref));
      const reserved = o.reserved?.[size];
      const free = !apply && reserved !== undefined ? Math.max(0, pool.free + reserved - pool.total) : pool.free;
      if (!running && free < need)
        problems.push(
          `hugepages: the guest needs ${need} free ${size} pages (${formatBytes(need * pageBytes)}), the host has ${free} free (host.hugepages reserves them)`,
        );
    }
  }
  if (problems.length > 0)
    throw new HostCannotRunGuestError(
      spec.name,
      problems,
      o.hostName === undefined ? "this host" : `host ${o.hostName}`,
    );
}

interface HostTopology {
  cpus: Set<number>;
  nodes: Set<number>;
}

/** Host CPU ids and NUMA node ids from libvirt's capabilities (nodeInfo when it lists no cells). */
async function hostTopology(hv: Hypervisor): Promise<HostTopology> {
  const caps = parseXml(await hv.capabilitiesXml(), "capabilities");
  const cells = children(child(child(child(caps, "host"), "topology"), "cells"), "cell");
  const cpus = new Set<number>();
  const nodes = new Set<number>();
  for (const cell of cells) {
    nodes.add(Number(attr(cell, "id")));
    for (const cpu of children(child(cell, "cpus"), "cpu")) cpus.add(Number(attr(cpu, "id")));
  }
  if (cpus.size === 0 || nodes.size === 0) {
    const info = await hv.nodeInfo();
    if (cpus.size === 0) for (let i = 0; i < info.cpus; i++) cpus.add(i);
    if (nodes.size === 0) for (let i = 0; i < Math.max(1, info.nodes); i++) nodes.add(i);
  }
  return { cpus, nodes };
}
