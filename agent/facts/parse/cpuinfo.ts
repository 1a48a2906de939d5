/** What `/proc/cpuinfo` tells about the CPUs. Fields absent from the text are null. */
export interface CpuinfoFacts {
  model: string | null;
  vendor: string | null;
  /** Flags of the first processor block (all CPUs of one host share them in practice). */
  flags: string[];
  /** Logical processors listed. */
  processors: number;
  /** Distinct `physical id` values; null when the text has none (e.g. many ARM kernels). */
  sockets: number | null;
  /** Distinct (`physical id`, `core id`) pairs; null when the text has no core ids. */
  cores: number | null;
}

/**
 * Parses `/proc/cpuinfo`. x86 names the model `model name` and the vendor `vendor_id`;
 * arm64 has `CPU implementer` and no model name; POWER has `cpu`; s390x has
 * `vendor_id` and `features`. Flags come from `flags` (x86) or `Features`/`features`.
 */
export function parseCpuinfo(text: string): CpuinfoFacts {
  const blocks = text
    .split(/\n\s*\n/)
    .map(parseBlock)
    .filter((b) => b.size > 0);
  const first = blocks[0] ?? new Map<string, string>();
  const model = first.get("model name") ?? first.get("cpu model") ?? first.get("cpu") ?? null;
  const vendor = first.get("vendor_id") ?? first.get("vendor") ?? null;
  const flagText = first.get("flags") ?? first.get("features") ?? first.get("Features") ?? "";
  const flags = flagText.split(/\s+/).filter((f) => f !== "");

  const processors = blocks.filter((b) => b.has("processor")).length;
  const packages = new Set<string>();
  const cores = new Set<string>();
  let haveCoreIds = true;
  for (const b of blocks) {
    if (!b.has("processor")) continue;
    const pkg = b.get("physical id");
    if (pkg !== undefined) packages.add(pkg);
    const core = b.get("core id");
    if (core === undefined) haveCoreIds = false;
    else cores.add(`${pkg ?? "0"}:${core}`);
  }
  return {
    model: model === "" ? null : model,
    vendor: vendor === "" ? null : vendor,
    flags,
    processors,
    sockets: packages.size > 0 ? packages.size : null,
    cores: haveCoreIds && cores.size > 0 ? cores.size : null,
  };
}

function parseBlock(block: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of block.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    if (key !== "" && !m.has(key)) m.set(key, line.slice(i + 1).trim());
  }
  return m;
}

/** `vmx` or `svm` when present in `flags`, else null. */
export function virtualizationFlag(flags: readonly string[]): "vmx" | "svm" | null {
  if (flags.includes("vmx")) return "vmx";
  if (flags.includes("svm")) return "svm";
  return null;
}
