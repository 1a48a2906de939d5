import type { Command } from "commander";
import { hostname } from "node:os";
// Modules, not the common/ and policy-language/ barrels: `apply` loads what it runs and no
// gRPC, certificate or controller code (start-up is most of a re-check's time).
import { OptionError, ValidationError } from "../../common/errors.js";
import { DeferredLogger } from "../../common/event-log.js";
import { formatBytes } from "../../common/units.js";
import { formatConflict } from "../../policy-language/conflicts.js";
import { resolveHostPolicies } from "../../policy-language/host-policies.js";
import { loadPolicies } from "../../policy-language/load.js";
import { formatIssue, sortIssues } from "../../policy-primitives/issues.js";
import { collectFacts } from "../../agent/facts/index.js";
import { DEFAULT_ENGINE_OPTIONS } from "../../engine/index.js";
import { DEFAULT_LIBVIRT_SOCKET } from "../../agent/facts/index.js";
import { Hypervisor } from "../../libvirt/index.js";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, type ResourceContext } from "../../kinds/index.js";
import { prepareBundle, runBundle, type PreparedBundle } from "../../agent/run-bundle/index.js";
import { ExitCode } from "../exit-codes.js";
import { durationArg, hostPortArg } from "../option-parsers.js";
import type { HostPort } from "../../common/address.js";
import { localUplinkGuard } from "../local-uplink.js";
import {
  HOST_NETWORK_DIR_HELP,
  HOST_NETWORK_STYLE_HELP,
  hostNetworkStyleArg,
  hostNetworkTarget,
} from "../host-network-options.js";
import { applyToJson, domainLabels, renderApply, renderResourceLine } from "../output/apply-view.js";

interface ApplyFlags {
  local?: boolean;
  dryRun?: boolean;
  json?: boolean;
  name: string;
  libvirtSocket: string;
  concurrency: number;
  timeout: number;
  shutdownTimeout: number;
  confirmTimeout?: number;
  confirmAddress?: HostPort;
  hostNetworkConfigDir?: string;
  hostNetworkConfigStyle?: "networkd" | "ifupdown" | "none";
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new OptionError("--concurrency", `must be a positive integer, got ${v}`);
  return n;
}

export function registerApplyCommand(program: Command): void {
  program
    .command("apply")
    .description("converge this host to the policies in PATH (files or folders) through local libvirt")
    .argument("<paths...>", "policy files or folders (with inventory.yaml)")
    .option("--local", "masterless: no controller, this host's libvirt directly")
    .option(
      "--dry-run",
      "show what would change; change nothing (exit 3 when something differs, 4 when a change is refused)",
    )
    .option("--json", "print one JSON document on stdout")
    .option("--name <host>", "this host's name for targeting and templating", hostname())
    .option("--libvirt-socket <path>", "libvirtd's unix socket", DEFAULT_LIBVIRT_SOCKET)
    .option("--concurrency <n>", "resources checked at once", positiveInt, DEFAULT_ENGINE_OPTIONS.concurrency)
    .option("--timeout <duration>", "per resource attempt", durationArg, DEFAULT_ENGINE_OPTIONS.timeoutMs)
    .option(
      "--shutdown-timeout <duration>",
      "graceful guest shutdown before forcing it off",
      durationArg,
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
    )
    .option(
      "--confirm-timeout <duration>",
      "allow host networking to change the uplink (the route to --confirm-address, the SSH client, or the default route) under commit-confirm: undone unless confirmed within this time",
      durationArg,
    )
    .option(
      "--confirm-address <host:port>",
      "with --confirm-timeout: the address to protect, and the change is confirmed by a TCP connection to it (default: the operator types yes)",
      hostPortArg,
    )
    .option("--host-network-config-dir <dir>", HOST_NETWORK_DIR_HELP)
    .option("--host-network-config-style <style>", HOST_NETWORK_STYLE_HELP, hostNetworkStyleArg)
    .action(async (paths: string[], flags: ApplyFlags) => {
      if (!flags.local) {
        throw new OptionError(
          "--local",
          "applying through the controller is not available yet; add --local to converge this host directly",
        );
      }
      if (flags.confirmAddress && flags.confirmTimeout === undefined)
        throw new OptionError("--confirm-address", "is used with --confirm-timeout");
      const hostNetwork = {
        persist: hostNetworkTarget(flags.hostNetworkConfigDir, flags.hostNetworkConfigStyle),
        uplink: localUplinkGuard({
          confirmTimeoutMs: flags.confirmTimeout,
          confirmAddress: flags.confirmAddress,
          sshConnection: process.env.SSH_CONNECTION,
          input: process.stdin,
          output: process.stderr,
        }),
      };
      const log = new DeferredLogger("apply");
      // The libvirt connection opens while the policies load; a policy error comes first and
      // closes it unused.
      const hvP = Hypervisor.open({ socketPath: flags.libvirtSocket });
      hvP.catch(() => undefined); // its error is reported when awaited, after the policies' own
      const bundle = await loadBundle(paths, flags).catch(async (err: unknown) => {
        await hvP.then(
          (h) => h.close(),
          () => undefined,
        );
        throw err;
      });
      const hv = await hvP;
      try {
        const progress = !flags.json && process.stderr.isTTY;
        const status = statusLine(process.stderr);
        const { report } = await runBundle(bundle, {
          mode: flags.dryRun ? "dry-run" : "enforce",
          origin: "local",
          host: {
            hv,
            log,
            shutdownTimeoutMs: flags.shutdownTimeout,
            progress: progress ? (e) => status.show(formatProgress(e)) : undefined,
            hostNetwork,
            hostName: flags.name,
          },
          engine: { concurrency: flags.concurrency, timeoutMs: flags.timeout },
          onEvent: (e) => {
            if (progress && e.type === "start") status.line(`  ... ${e.id}`);
            if (progress && e.type === "done") status.line(renderResourceLine(e.report).split("\n")[0]!);
          },
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(applyToJson(flags.name, report, domainLabels(bundle.policies)), null, 2)}\n`
            : renderApply(flags.name, report, domainLabels(bundle.policies)),
        );
        if (report.summary.failed > 0) process.exitCode = ExitCode.FAILURE;
        else if (report.summary.blocked + report.summary.conflict > 0) process.exitCode = ExitCode.REFUSED;
        else if (report.dryRun && report.summary.drift > 0) process.exitCode = ExitCode.DRIFT;
      } finally {
        await hv.close();
        await log.settled();
      }
    });
}

/**
 * The policies in `paths` resolved for this host, as a bundle; throws ValidationError after
 * printing file:line:col issues. Facts (files under /proc and /sys) are read while the policies parse.
 */
async function loadBundle(paths: string[], flags: ApplyFlags): Promise<PreparedBundle> {
  const factsP = collectFacts({ libvirtSocket: flags.libvirtSocket, addressSource: "none" });
  factsP.catch(() => undefined); // awaited below, unless the policies fail first
  const loaded = await loadPolicies(paths);
  if (loaded.errors.length > 0) {
    for (const issue of sortIssues(loaded.errors, loaded.files)) process.stderr.write(`${formatIssue(issue)}\n`);
    throw new ValidationError(`${loaded.errors.length} error(s) in the policies; nothing was applied`);
  }
  const host = resolveHostPolicies(loaded.policies, loaded.inventory, { name: flags.name, facts: await factsP });
  // A conflict priority settled is reported and applied (the winner's value), as the
  // controller does; only errors and ties (nobody wins) stop the run.
  const tied = host.conflicts.filter((c) => c.winner === null);
  for (const c of host.conflicts.filter((c) => c.winner !== null))
    process.stderr.write(`conflict settled by priority: ${formatConflict(c)}\n`);
  if (host.errors.length > 0 || tied.length > 0) {
    for (const issue of host.errors) process.stderr.write(`${formatIssue(issue)}\n`);
    for (const c of tied) process.stderr.write(`${formatConflict(c)}\n`);
    throw new ValidationError(`the policies cannot be resolved for host ${flags.name}; nothing was applied`);
  }
  return prepareBundle(host.policies);
}

export type ProgressEvent = Parameters<NonNullable<ResourceContext["progress"]>>[0];

/** A progress event as one line, e.g. `  importing vf-pool/base.qcow2: 45.2 MiB / 300.0 MiB (15%)`. */
export function formatProgress(e: ProgressEvent): string {
  const name = e.resource.replace(/^[a-z]+\//, "");
  if (e.phase === "resize")
    return `  resizing ${name}: ${formatBytes(e.bytes)} → ${e.total === null ? "?" : formatBytes(e.total)}`;
  const verb = e.phase === "verify" ? "verifying" : "importing";
  if (e.total === null || e.total <= 0) return `  ${verb} ${name}: ${formatBytes(e.bytes)}`;
  const pct = Math.min(100, Math.floor((e.bytes / e.total) * 100));
  return `  ${verb} ${name}: ${formatBytes(e.bytes)} / ${formatBytes(e.total)} (${pct}%)`;
}

/**
 * A terminal status line: `show` rewrites it in place (cut to the terminal width, so it never
 * wraps); `line` clears it and prints a permanent line above.
 */
function statusLine(out: NodeJS.WriteStream): { show(text: string): void; line(text: string): void } {
  const CLEAR = "\r\x1b[2K";
  let shown = false;
  return {
    show(text) {
      const width = out.columns > 1 ? out.columns - 1 : 79;
      out.write(`${CLEAR}${text.length > width ? text.slice(0, width) : text}`);
      shown = true;
    },
    line(text) {
      out.write(`${shown ? CLEAR : ""}${text}\n`);
      shown = false;
    },
  };
}
