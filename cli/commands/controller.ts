import type { Command } from "commander";
import { formatHostPort, type HostPort } from "../../common/index.js";
import { Controller, DEFAULT_AGENT_SERVICE_OPTIONS, DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS, DEFAULT_CONTROLLER_DATA_DIR, DEFAULT_LISTEN, DEFAULT_POLICIES_DIR, DEFAULT_SNAPSHOT_CRON } from "../../controller/index.js";
import { complianceSnapshotArg, webhookArg } from "../compliance-options.js";
import { durationArg, hostPortArg } from "../option-parsers.js";
import { onShutdownSignal } from "../signals.js";

interface ControllerFlags {
  listen: HostPort;
  data: string;
  policies: string;
  insecure?: boolean;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  webhook: string[];
  complianceSnapshot: string;
  planTimeout: number;
}

export function registerControllerCommand(program: Command): void {
  program
    .command("controller")
    .description("run the controller: the agents' gRPC endpoint, the admin API and the fleet store")
    .option("--listen <host:port>", "address to listen on (port 0: any free port)", hostPortArg, DEFAULT_LISTEN)
    .option("--data <dir>", "data folder (SQLite store)", DEFAULT_CONTROLLER_DATA_DIR)
    .option("--policies <dir>", "policies folder (policies + inventory.yaml), watched for changes", DEFAULT_POLICIES_DIR)
    .option("--insecure", "plaintext gRPC without client certificates (local demos only)")
    .option("--heartbeat-interval <duration>", "interval agents heartbeat at", durationArg, DEFAULT_AGENT_SERVICE_OPTIONS.heartbeatIntervalMs)
    .option("--heartbeat-timeout <duration>", "silence after which a host counts as disconnected", durationArg, DEFAULT_AGENT_SERVICE_OPTIONS.heartbeatTimeoutMs)
    .option("--webhook <url>", "POST drift and failure alerts as JSON to this http(s) URL (repeatable)", webhookArg, [])
    .option("--compliance-snapshot <cron>", "when to store compliance snapshots (cron expression)", complianceSnapshotArg, DEFAULT_SNAPSHOT_CRON)
    .option("--plan-timeout <duration>", "how long a rollout's plan stage (fleet dry-run) waits for the hosts' answers; 0 skips the stage", durationArg, DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS)
    .action(async (flags: ControllerFlags) => {
      const controller = new Controller({
        listen: flags.listen,
        dataDir: flags.data,
        policiesDir: flags.policies,
        insecure: flags.insecure === true,
        webhooks: flags.webhook,
        complianceSnapshotCron: flags.complianceSnapshot,
        rollouts: { planTimeoutMs: flags.planTimeout },
        agents: { heartbeatIntervalMs: flags.heartbeatInterval, heartbeatTimeoutMs: Math.max(flags.heartbeatTimeout, 2 * flags.heartbeatInterval) },
      });
      const address = await controller.start();
      // The one line on stdout: where to reach it (scripts and tests read this).
      process.stdout.write(`virtfleet controller listening on ${formatHostPort(address)}\n`);
      await onShutdownSignal(controller.log);
      await controller.stop();
    });
}
