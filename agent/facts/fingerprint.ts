import { canonicalHash } from "../../common/canonical-json.js";
import type { HostFacts } from "../../common/facts.js";

/**
 * The part of the facts that identifies the host's configuration: everything except values
 * that change while nothing meaningful does — free/available memory, free hugepages, free
 * memory per NUMA cell, free/available file-system space, uptime, libvirt's error text and
 * error messages (which sources failed is kept). Fields added to HostFacts later are
 * included unless excluded here.
 */
export function stableFacts(facts: HostFacts): unknown {
  const { memory, numa, filesystems, os, libvirt, errors, ...rest } = facts;
  const { freeBytes: _mf, availableBytes: _ma, hugepages, ...memoryRest } = memory;
  const { uptimeSeconds: _u, ...osRest } = os;
  const { error: _e, ...libvirtRest } = libvirt;
  return {
    ...rest,
    memory: { ...memoryRest, hugepages: hugepages.map(({ free: _f, ...h }) => h) },
    numa: { ...numa, cells: numa.cells.map(({ memoryFreeBytes: _f, ...c }) => c) },
    filesystems: filesystems.map(({ freeBytes: _f, availableBytes: _a, ...fs }) => fs),
    os: osRest,
    libvirt: libvirtRest,
    errors: [...new Set(errors.map((e) => e.source))].sort(),
  };
}

/**
 * Lower-case hex SHA-256 over the canonical JSON of `stableFacts(facts)`. Equal for two
 * collections on an unchanged host; the agent re-sends facts when it changes.
 */
export function factsFingerprint(facts: HostFacts): string {
  return canonicalHash(stableFacts(facts));
}
