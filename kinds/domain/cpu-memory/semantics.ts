import type { PathSegment } from "../../../policy-primitives/issues.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";
import { parseCpuset } from "./cpuset.js";

const KIB = 1024;
const MIB = 1024 ** 2;
const PAGE_BYTES = { "2MiB": 2 * MIB, "1GiB": 1024 * MIB } as const;

/**
 * A domain's CPU and memory beyond the schema, each reported at its own path (the loader
 * turns it into file:line:col). What only the host can tell (its CPUs, NUMA nodes, free
 * hugepages) is checked in the plan stage (host-check.ts).
 * - memory at least 1 MiB and a whole number of KiB; maxMemory a whole number of KiB and at
 *   least memory; with hugepages, the guest's memory (maxMemory, else memory) a whole number
 *   of pages (QEMU refuses anything else);
 * - vcpus at most maxVcpus; topology sockets × cores × threads = maxVcpus (else vcpus);
 * - cpu: mode custom needs a model, a model needs mode custom; no feature both required and
 *   disabled;
 * - pinning: each vCPU number below maxVcpus (else vcpus); cpusets valid;
 * - numa: cells' cpus valid, below maxVcpus (else vcpus) and disjoint; cell memory whole KiB
 *   (with hugepages, whole pages) and adding up to maxMemory (else memory), as libvirt derives
 *   the total from the cells;
 *   memoryMode only with memoryNodeset.
 */
export function checkCpuMemoryDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  const at = (...p: PathSegment[]) => [...path, ...p];
  const mem = c.size(d.memory, at("memory"));
  if (mem !== undefined && (mem < MIB || mem % KIB !== 0))
    c.issues.add(at("memory"), "must be at least 1MiB and a whole number of KiB");
  const maxMem = c.size(d.maxMemory, at("maxMemory"));
  if (maxMem !== undefined && (maxMem < MIB || maxMem % KIB !== 0))
    c.issues.add(at("maxMemory"), "must be at least 1MiB and a whole number of KiB");
  if (mem !== undefined && maxMem !== undefined && mem > maxMem)
    c.issues.add(at("memory"), `must be at most maxMemory (${d.maxMemory}): the balloon cannot grow past the maximum`);
  const total = d.maxMemory !== undefined ? maxMem : mem;
  const totalField = d.maxMemory !== undefined ? "maxMemory" : "memory";
  if (d.hugepages !== undefined && total !== undefined && total % PAGE_BYTES[d.hugepages] !== 0)
    c.issues.add(at(totalField), `must be a whole number of ${d.hugepages} pages (hugepages: ${d.hugepages})`);

  if (d.vcpus !== undefined && d.maxVcpus !== undefined && d.vcpus > d.maxVcpus)
    c.issues.add(at("vcpus"), `must be at most maxVcpus (${d.maxVcpus})`);
  const vcpuCount = d.maxVcpus ?? d.vcpus;
  const vcpuField = d.maxVcpus !== undefined ? "maxVcpus" : "vcpus";
  if (d.topology && vcpuCount !== undefined) {
    const { sockets, cores, threads } = d.topology;
    if (sockets * cores * threads !== vcpuCount)
      c.issues.add(
        at("topology"),
        `sockets × cores × threads = ${sockets * cores * threads}, but ${vcpuField} is ${vcpuCount}: they must be equal`,
      );
  }

  if (typeof d.cpu === "object") {
    if (d.cpu.mode === "custom" && d.cpu.model === undefined)
      c.issues.add(at("cpu"), "mode custom needs a model (e.g. Skylake-Server)");
    if (d.cpu.mode !== "custom" && d.cpu.model !== undefined)
      c.issues.add(at("cpu", "model"), `a model is only used with mode custom (mode is ${d.cpu.mode})`);
    const required = new Set(d.cpu.features?.require ?? []);
    (d.cpu.features?.disable ?? []).forEach((f, i) => {
      if (required.has(f)) c.issues.add(at("cpu", "features", "disable", i), `feature ${f} is also required`);
    });
  }

  if (d.pinning) {
    for (const [vcpu, set] of Object.entries(d.pinning.vcpus ?? {})) {
      const p = at("pinning", "vcpus", vcpu);
      if (vcpuCount !== undefined && Number(vcpu) >= vcpuCount)
        c.issues.add(p, `vCPU ${vcpu} does not exist: the guest has vCPUs 0 to ${vcpuCount - 1} (${vcpuField})`);
      cpuset(c, set, p);
    }
    cpuset(c, d.pinning.emulator, at("pinning", "emulator"));
  }

  if (d.numa) {
    const used = new Map<number, number>();
    let cellTotal: number | undefined = 0;
    (d.numa.cells ?? []).forEach((cell, i) => {
      const members = cpuset(c, cell.cpus, at("numa", "cells", i, "cpus"));
      for (const m of members ?? []) {
        if (vcpuCount !== undefined && m >= vcpuCount) {
          c.issues.add(
            at("numa", "cells", i, "cpus"),
            `vCPU ${m} does not exist: the guest has vCPUs 0 to ${vcpuCount - 1} (${vcpuField})`,
          );
          break;
        }
        if (used.has(m)) {
          c.issues.add(at("numa", "cells", i, "cpus"), `vCPU ${m} is already in cell ${used.get(m)}`);
          break;
        }
        used.set(m, i);
      }
      const cm = c.size(cell.memory, at("numa", "cells", i, "memory"));
      if (cm !== undefined && (cm < MIB || cm % KIB !== 0))
        c.issues.add(at("numa", "cells", i, "memory"), "must be at least 1MiB and a whole number of KiB");
      else if (cm !== undefined && d.hugepages !== undefined && cm % PAGE_BYTES[d.hugepages] !== 0)
        c.issues.add(
          at("numa", "cells", i, "memory"),
          `must be a whole number of ${d.hugepages} pages (hugepages: ${d.hugepages})`,
        );
      cellTotal = cm === undefined || cellTotal === undefined ? undefined : cellTotal + cm;
    });
    if ((d.numa.cells ?? []).length > 0 && cellTotal !== undefined && total !== undefined && cellTotal !== total)
      c.issues.add(
        at("numa", "cells"),
        `the cells' memory adds up to ${cellTotal} bytes, but ${totalField} is ${total} bytes: libvirt takes the guest's memory from its cells, so they must be equal`,
      );
    cpuset(c, d.numa.memoryNodeset, at("numa", "memoryNodeset"));
    if (d.numa.memoryMode !== undefined && d.numa.memoryNodeset === undefined)
      c.issues.add(at("numa", "memoryMode"), "needs memoryNodeset (the host NUMA nodes to bind the memory to)");
  }
}

/** The members of a cpuset value (undefined when absent, templated while deferring, or invalid: then reported). */
function cpuset(c: ValueChecker, v: unknown, path: PathSegment[]): number[] | undefined {
  const s = c.concrete(v);
  if (s === undefined) return undefined;
  const members = parseCpuset(s);
  if (members === null) {
    c.issues.add(path, `invalid CPU set ${JSON.stringify(s.slice(0, 40))}: numbers and ranges such as 0-3,6`);
    return undefined;
  }
  return members;
}
