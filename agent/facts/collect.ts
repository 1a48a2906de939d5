import { arch, hostname, release, uptime } from "node:os";
import type { HostFacts } from "../../common/facts.js";
import { Context } from "./context.js";
import { withTimeout } from "./limit.js";
import { resolveOptions, type CollectFactsOptions } from "./options.js";
import { collectCpu } from "./source-cpu.js";
import { collectDisks } from "./source-disks.js";
import { collectFilesystems } from "./source-filesystems.js";
import { collectLibvirt } from "./source-libvirt.js";
import { collectMemory } from "./source-memory.js";
import { collectNetwork } from "./source-network.js";
import { collectNuma } from "./source-numa.js";
import { collectOs } from "./source-os.js";

/**
 * Collects the host's facts. All sources run concurrently with asynchronous I/O only;
 * at most `concurrency` file-system calls are in flight. Never rejects for a source
 * failure: a source that fails or exceeds `sourceTimeoutMs` leaves its fields null/empty
 * and adds an `errors` entry. Rejects only for invalid options (OptionError).
 * Arrays are in a stable order (by name, mountpoint, id or size).
 */
export async function collectFacts(options?: CollectFactsOptions): Promise<HostFacts> {
  const opts = resolveOptions(options);
  const ctx = new Context(opts);
  const guard = async <T>(source: string, run: (c: Context) => Promise<T>, fallback: () => T): Promise<T> => {
    try {
      return await withTimeout(run(ctx), opts.sourceTimeoutMs, `facts source "${source}"`);
    } catch (err) {
      ctx.fail(source, err);
      return fallback();
    }
  };

  const [cpu, memory, numa, disks, filesystems, network, os, libvirt] = await Promise.all([
    guard("cpu", collectCpu, () => ({
      model: null,
      vendor: null,
      sockets: null,
      cores: null,
      threads: null,
      virtualization: false,
      virtualizationFlag: null,
      kvmUsable: false,
      kvmModules: [],
    })),
    guard("memory", collectMemory, () => ({ totalBytes: null, freeBytes: null, availableBytes: null, hugepages: [] })),
    guard("numa", collectNuma, () => ({ nodes: 0, cells: [] })),
    guard("disks", collectDisks, () => []),
    guard("filesystems", collectFilesystems, () => []),
    guard("network", collectNetwork, () => ({ interfaces: [] })),
    guard("os", collectOs, () => ({
      name: null,
      version: null,
      id: null,
      kernel: release(),
      arch: arch(),
      uptimeSeconds: Math.floor(uptime()),
    })),
    guard("libvirt", collectLibvirt, () => ({
      reachable: false,
      socket: opts.libvirtSocket,
      version: null,
      hypervisor: null,
      hypervisorVersion: null,
      capabilities: null,
      error: "libvirt facts could not be collected",
    })),
  ]);

  const errors = [...ctx.errors].sort((a, b) =>
    a.source === b.source ? cmp(a.message, b.message) : cmp(a.source, b.source),
  );
  return { schema: 1, hostname: hostname(), cpu, memory, numa, disks, filesystems, network, os, libvirt, errors };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
