import type { Command } from "commander";
import { DEFAULT_BACKOFF } from "../../common/backoff.js";
import { OptionError } from "../../common/errors.js";
import type { HostPort } from "../../common/address.js";
import { InvalidArgumentError } from "commander";
import {
  Agent,
  DEFAULT_AGENT_STATE_DIR,
  DEFAULT_FACTS_INTERVAL_MS,
  DEFAULT_FLAP,
  DEFAULT_RESYNC_INTERVAL_MS,
  defaultAgentName,
  resyncCronPattern,
} from "../../agent/index.js";
import { DEFAULT_LIBVIRT_SOCKET } from "../../agent/facts/index.js";
import { applyHeapGrowth, DEFAULT_AGENT_HEAP_GROWTH_PERCENT, heapGrowthArg } from "../heap-growth.js";
import { agentControllers, durationArg, hostPortListArg } from "../option-parsers.js";
import { agentToken } from "../agent-token.js";
import { onShutdownSignal } from "../signals.js";
import {
  HOST_NETWORK_DIR_HELP,
  HOST_NETWORK_STYLE_HELP,
  hostNetworkStyleArg,
  hostNetworkTarget,
} from "../host-network-options.js";
import { DEFAULT_CONFIRM_TIMEOUT_MS } from "../../kinds/index.js";
import { DEFAULT_AGENT_CONFIG, useConfigFile } from "../config-file/index.js";
import { registerAgentInstallCommand } from "./agent-install/index.js";

interface AgentFlags {
  controller?: HostPort[];
  name: string;
  stateDir: string;
  libvirtSocket: string;
  insecure?: boolean;
  token?: string;
  tokenFile?: string;
  factsInterval: number;
  maxBackoff: number;
  resyncInterval: number;
  flapThreshold: number;
  flapWindow: number;
  heapGrowth: number;
  hostNetworkConfigDir?: string;
  hostNetworkConfigStyle?: "networkd" | "ifupdown" | "none";
  uplinkConfirmTimeout: number;
}

/** A resync interval cron can schedule (0 = off). */
function resyncIntervalArg(value: string): number {
  const ms = durationArg(value);
  if (ms === 0) return 0;
  try {
    resyncCronPattern(ms);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--resync-interval: /, ""));
  }
  return ms;
}

function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function positiveDurationArg(value: string): number {
  const ms = durationArg(value);
  if (ms <= 0) throw new InvalidArgumentError(`"${value}" must be longer than 0`);
  return ms;
}

export function registerAgentCommand(program: Command): void {
  const command = program
    .command("agent")
    // the agent's options come before `install`: what follows it is install's, so
    // `agent install --controller X` is install's option (the other commands keep commander's
    // default: a parent's options, e.g. `host`'s --controller, are read after its subcommand too)
    .enablePositionalOptions()
    .description(
      "run the agent on this host: enforce its policy bundle, report facts and drift, hold the stream to the controller",
    )
    // checked in the action, not requiredOption: commander checks a command's mandatory options for its subcommands too (agent install)
    .option(
      "--controller <host:port[,host:port…]>",
      "the controller's agent endpoint (required; env VIRTFLEET_CONTROLLER); several replicas as a:7443,b:7443,c:7443: this host spreads over them and fails over to the next",
      hostPortListArg,
    )
    .option("--name <name>", "this host's name in the fleet", defaultAgentName())
    .option("--state-dir <dir>", "local state folder (SQLite)", DEFAULT_AGENT_STATE_DIR)
    .option("--libvirt-socket <path>", "libvirtd's unix socket", DEFAULT_LIBVIRT_SOCKET)
    .option(
      "--token-file <file>",
      "file holding the enrolment token from 'virtfleet token create' (needed once: the certificate is stored in the state folder; or env VIRTFLEET_TOKEN)",
    )
    .option("--token <token>", "the enrolment token itself: visible to every local user in `ps`, prefer --token-file")
    .option(
      "--insecure",
      "plaintext gRPC without certificates, for a controller started with --insecure (local demos only)",
    )
    .option(
      "--facts-interval <duration>",
      "how often facts are re-checked (re-sent only when changed)",
      positiveDurationArg,
      DEFAULT_FACTS_INTERVAL_MS,
    )
    .option("--max-backoff <duration>", "longest wait between reconnect attempts", durationArg, DEFAULT_BACKOFF.maxMs)
    .option(
      "--resync-interval <duration>",
      "full re-check of the policy bundle this often, plus up to 30s jitter (e.g. 30s, 5m, 1h; 0 = off)",
      resyncIntervalArg,
      DEFAULT_RESYNC_INTERVAL_MS,
    )
    .option(
      "--flap-threshold <n>",
      "repairs of one resource allowed per flap window before it is left alone",
      positiveIntArg,
      DEFAULT_FLAP.threshold,
    )
    .option("--flap-window <duration>", "flap guard window", positiveDurationArg, DEFAULT_FLAP.windowMs)
    .option(
      "--heap-growth <percent>",
      "how far the JavaScript heap may grow past its live data before a full collection (0: V8's own rule; less memory, more CPU)",
      heapGrowthArg,
      DEFAULT_AGENT_HEAP_GROWTH_PERCENT,
    )
    .option("--host-network-config-dir <dir>", HOST_NETWORK_DIR_HELP)
    .option("--host-network-config-style <style>", HOST_NETWORK_STYLE_HELP, hostNetworkStyleArg)
    .option(
      "--uplink-confirm-timeout <duration>",
      "commit-confirm: how long an allowed change of the interface carrying the controller connection waits for the controller before it is undone",
      positiveDurationArg,
      DEFAULT_CONFIRM_TIMEOUT_MS,
    )
    .action(async (flags: AgentFlags) => {
      const controllers = agentControllers(flags.controller);
      if (!controllers)
        throw new OptionError(
          "--controller",
          "required: the controller's agent endpoint (host:port, or host:port,host:port,… for replicas; or VIRTFLEET_CONTROLLER)",
        );
      applyHeapGrowth(flags.heapGrowth);
      const token = agentToken(flags);
      // VIRTFLEET_TOKEN left in the environment does not stop an --insecure agent; a flag does.
      if (flags.insecure && token && token.from !== "VIRTFLEET_TOKEN")
        throw new OptionError(token.from, `${token.from} and --insecure exclude each other: a token enrols for mTLS`);
      if (flags.insecure)
        process.stderr.write(
          "virtfleet: WARNING: --insecure: plaintext gRPC, no certificates. For local demos and tests only.\n",
        );
      const agent = new Agent({
        controllers,
        name: flags.name,
        stateDir: flags.stateDir,
        libvirtSocket: flags.libvirtSocket,
        insecure: flags.insecure === true,
        token: flags.insecure ? undefined : token?.token,
        factsIntervalMs: flags.factsInterval,
        backoff: {
          ...DEFAULT_BACKOFF,
          maxMs: Math.min(2 ** 31 - 1, Math.max(flags.maxBackoff, DEFAULT_BACKOFF.initialMs)),
        },
        resyncIntervalMs: flags.resyncInterval,
        flapThreshold: flags.flapThreshold,
        flapWindowMs: flags.flapWindow,
        hostNetworkConfig: hostNetworkTarget(flags.hostNetworkConfigDir, flags.hostNetworkConfigStyle),
        uplinkConfirmTimeoutMs: flags.uplinkConfirmTimeout,
      });
      await agent.start();
      const end = await Promise.race([onShutdownSignal(agent.log), agent.fatal]);
      await agent.stop();
      if (end instanceof Error) throw end;
    });
  useConfigFile(command, { defaultPath: DEFAULT_AGENT_CONFIG });
  registerAgentInstallCommand(program);
}
