import type { Command } from "commander";
import { DEFAULT_BACKOFF, type HostPort } from "../../common/index.js";
import { Agent, DEFAULT_AGENT_STATE_DIR, DEFAULT_FACTS_INTERVAL_MS, defaultAgentName } from "../../agent/index.js";
import { DEFAULT_LIBVIRT_SOCKET } from "../../agent/facts/index.js";
import { durationArg, hostPortArg } from "../option-parsers.js";
import { onShutdownSignal } from "../signals.js";

interface AgentFlags {
  controller: HostPort;
  name: string;
  stateDir: string;
  libvirtSocket: string;
  insecure?: boolean;
  factsInterval: number;
  maxBackoff: number;
}

export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("run the agent on this host: report facts, hold the stream to the controller")
    .requiredOption("--controller <host:port>", "the controller's agent endpoint", hostPortArg)
    .option("--name <name>", "this host's name in the fleet", defaultAgentName())
    .option("--state-dir <dir>", "local state folder (SQLite)", DEFAULT_AGENT_STATE_DIR)
    .option("--libvirt-socket <path>", "libvirtd's unix socket", DEFAULT_LIBVIRT_SOCKET)
    .option("--insecure", "plaintext gRPC without certificates (local demos only)")
    .option("--facts-interval <duration>", "how often facts are re-checked (re-sent only when changed)", durationArg, DEFAULT_FACTS_INTERVAL_MS)
    .option("--max-backoff <duration>", "longest wait between reconnect attempts", durationArg, DEFAULT_BACKOFF.maxMs)
    .action(async (flags: AgentFlags) => {
      const agent = new Agent({
        controller: flags.controller,
        name: flags.name,
        stateDir: flags.stateDir,
        libvirtSocket: flags.libvirtSocket,
        insecure: flags.insecure === true,
        factsIntervalMs: flags.factsInterval,
        backoff: { ...DEFAULT_BACKOFF, maxMs: Math.max(flags.maxBackoff, DEFAULT_BACKOFF.initialMs) },
      });
      await agent.start();
      await onShutdownSignal(agent.log);
      await agent.stop();
    });
}
