import type { HostRecord__Output } from "../../generated/proto/fleet/v1/HostRecord.js";
import type { FactChange__Output } from "../../generated/proto/fleet/v1/FactChange.js";
import type { HostFacts } from "../../common/facts.js";
import { ALL_GROUP } from "../../policy-language/inventory.js";
import { formatBytes, formatDuration } from "../../common/units.js";
import { parseFactsJson } from "../../common/wire/facts-contract.js";
import { HOST_STATES, type HostStateName } from "../../common/wire/states.js";
import { renderTable } from "./table.js";

/** The `hosts --json` element (spec/cli.md), plus extra keys. */
export interface HostJson {
  name: string;
  connected: boolean;
  /** The host state (spec/cli.md state names); from an older controller, connected/disconnected. */
  state: HostStateName;
  /** Why the host is in that state, when it is not plainly connected/disconnected. */
  stateDetail: string | null;
  lastSeen: string | null;
  firstSeen: string | null;
  connectedSince: string | null;
  agentVersion: string;
  peer: string | null;
  disconnectReason: string | null;
  facts: Partial<HostFacts>;
  /** `unknownReason` is present when compliance is unknown (`compliant` is then false). */
  compliance: { compliant: boolean; policies: number; drifted: number; unknownReason?: string };
  /** Inventory groups as the controller resolves them (`all` first, `ungrouped` when in none); [] from an older controller. */
  groups: string[];
  /** Labels as the controller resolves them from the inventory. */
  labels: Record<string, string>;
}

function orNull(s: string): string | null {
  return s === "" ? null : s;
}

/** A host record's facts, read through the facts contract (common/wire/facts-contract.ts); none when it is broken. */
export function parseFacts(json: string): Partial<HostFacts> {
  try {
    return parseFactsJson(json, "host.factsJson") as Partial<HostFacts>;
  } catch {
    return {};
  }
}

export function hostToJson(h: HostRecord__Output): HostJson {
  return {
    name: h.name,
    connected: h.connected,
    state: (HOST_STATES as readonly string[]).includes(h.state)
      ? (h.state as HostStateName)
      : h.connected
        ? "connected"
        : "disconnected",
    stateDetail: orNull(h.stateDetail ?? ""),
    lastSeen: orNull(h.lastSeen),
    firstSeen: orNull(h.firstSeen),
    connectedSince: orNull(h.connectedSince),
    agentVersion: h.agentVersion,
    peer: orNull(h.peer),
    disconnectReason: orNull(h.disconnectReason),
    facts: parseFacts(h.factsJson),
    compliance: {
      compliant: h.compliance?.compliant ?? true,
      policies: h.compliance?.policies ?? 0,
      drifted: h.compliance?.drifted ?? 0,
      ...(h.compliance?.unknownReason ? { unknownReason: h.compliance.unknownReason } : {}),
    },
    groups: [...(h.groups ?? [])],
    labels: { ...(h.labels ?? {}) },
  };
}

function ago(iso: string | null, now: number): string {
  if (!iso) return "-";
  return `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

/** The `hosts` table's GROUPS cell: the groups without the implicit `all`, comma-separated. */
export function groupsCell(groups: readonly string[]): string | null {
  const shown = groups.filter((g) => g !== ALL_GROUP);
  return shown.length === 0 ? null : shown.join(",");
}

/** The human `hosts` table; `filtered` = a --group/--selector was given (changes the empty message). */
export function renderHostsTable(hosts: HostJson[], now = Date.now(), filtered = false): string {
  if (hosts.length === 0) {
    return filtered
      ? "No hosts match.\n"
      : "No hosts have connected yet. Start an agent: virtfleet agent --controller HOST:PORT\n";
  }
  const rows = hosts.map((h) => {
    const f = h.facts;
    return [
      h.name,
      h.state,
      ago(h.lastSeen, now),
      h.agentVersion,
      f.cpu?.threads ?? null,
      f.cpu ? (f.cpu.kvmUsable ? "yes" : "no") : null,
      f.memory?.totalBytes ? formatBytes(f.memory.totalBytes) : null,
      f.libvirt ? (f.libvirt.reachable ? (f.libvirt.version ?? "up") : "down") : null,
      h.state === "libvirt-unreachable"
        ? "unknown (libvirt unreachable)"
        : h.compliance.unknownReason
          ? "unknown"
          : h.compliance.policies === 0
            ? "no policies"
            : h.compliance.compliant
              ? "compliant"
              : `${h.compliance.drifted} drifted`,
      groupsCell(h.groups),
    ];
  });
  return renderTable(
    ["NAME", "STATE", "LAST SEEN", "AGENT", "CPUS", "KVM", "MEMORY", "LIBVIRT", "COMPLIANCE", "GROUPS"],
    rows,
  );
}

/** The human `host NAME` view: identity, connection, key facts, fact-change history. */
export function renderHostDetail(h: HostJson, history: FactChange__Output[], now = Date.now()): string {
  const f = h.facts;
  const out: string[] = [];
  const kv = (k: string, v: unknown) =>
    out.push(`${(k + ":").padEnd(16)} ${v === null || v === undefined || v === "" ? "-" : String(v)}`);
  kv("Host", h.name);
  kv(
    "State",
    h.connected
      ? `${h.state} since ${h.connectedSince}${h.stateDetail ? ` (${h.stateDetail})` : ""}`
      : `disconnected${h.disconnectReason ? ` (${h.disconnectReason})` : ""}`,
  );
  if (h.compliance.unknownReason) kv("Compliance", `unknown: ${h.compliance.unknownReason}`);
  kv("Last seen", h.lastSeen ? `${h.lastSeen} (${ago(h.lastSeen, now)})` : null);
  kv("First seen", h.firstSeen);
  kv("Agent", h.agentVersion);
  kv("Peer", h.peer);
  if (f.os) kv("OS", `${f.os.name ?? "?"} ${f.os.version ?? ""}, kernel ${f.os.kernel} (${f.os.arch})`);
  if (f.cpu) {
    kv(
      "CPU",
      `${f.cpu.model ?? "?"}: ${f.cpu.sockets ?? "?"} socket(s), ${f.cpu.cores ?? "?"} cores, ${f.cpu.threads ?? "?"} threads`,
    );
    kv(
      "Virtualization",
      `${f.cpu.virtualizationFlag ?? "none"}; /dev/kvm ${f.cpu.kvmUsable ? "usable" : "NOT usable"}; modules ${f.cpu.kvmModules.join(", ") || "none"}`,
    );
  }
  if (f.memory)
    kv(
      "Memory",
      `${f.memory.totalBytes ? formatBytes(f.memory.totalBytes) : "?"} total, ${f.memory.availableBytes ? formatBytes(f.memory.availableBytes) : "?"} available`,
    );
  if (f.numa) kv("NUMA", `${f.numa.nodes} node(s)`);
  if (f.libvirt)
    kv(
      "libvirt",
      f.libvirt.reachable
        ? `${f.libvirt.version ?? "?"} (${f.libvirt.hypervisor ?? "?"} ${f.libvirt.hypervisorVersion ?? ""})`
        : `unreachable: ${f.libvirt.error ?? ""}`,
    );
  if (f.filesystems) {
    for (const fs of f.filesystems)
      kv(`FS ${fs.mountpoint}`, `${formatBytes(fs.availableBytes)} free of ${formatBytes(fs.sizeBytes)} (${fs.type})`);
  }
  if (f.network) kv("Interfaces", f.network.interfaces.map((i) => i.name).join(", "));
  kv(
    "Compliance",
    h.compliance.policies === 0
      ? "no policies assigned"
      : h.compliance.compliant
        ? "compliant"
        : `${h.compliance.drifted} drifted`,
  );
  if (history.length > 0) {
    out.push("", "Fact changes (newest first):");
    out.push(
      renderTable(
        ["WHEN", "CHANGED"],
        history.map((c) => [c.changedAt, c.changedSections.join(", ")]),
      ).trimEnd(),
    );
  }
  return out.join("\n") + "\n";
}
