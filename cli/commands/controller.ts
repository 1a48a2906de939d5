import { Option, type Command } from "commander";
import { describeError, formatHostPort, OptionError, type HostPort } from "../../common/index.js";
import {
  Controller,
  DEFAULT_AGENT_SERVICE_OPTIONS,
  DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS,
  DEFAULT_CONTROLLER_DATA_DIR,
  DEFAULT_LISTEN,
  DEFAULT_POLICIES_DIR,
  DEFAULT_SNAPSHOT_CRON,
  DEFAULT_WEB_LISTEN,
} from "../../controller/index.js";
import { complianceSnapshotArg, webhookArg } from "../compliance-options.js";
import { InvalidArgumentError } from "commander";
import {
  DEFAULT_AGENT_CERT_TTL_MS,
  MIN_AGENT_CERT_TTL_MS,
  resolveWebhooks,
  type WebhookSpec,
} from "../../controller/index.js";
import { durationArg, hostPortArg, positiveIntArg } from "../option-parsers.js";
import { CONNECTION_LIMITS } from "../../common/index.js";
import { onShutdownSignal } from "../signals.js";
import { applyHeapGrowth, DEFAULT_CONTROLLER_HEAP_GROWTH_PERCENT, heapGrowthArg } from "../heap-growth.js";
import { DEFAULT_CONTROLLER_CONFIG, useConfigFile } from "../config-file/index.js";
import { registerStoreCommands } from "./controller-store.js";
import { parseStoreOption } from "../../controller/database/index.js";

interface ControllerFlags {
  listen: HostPort;
  webListen: HostPort;
  /** false with --no-web */
  web: boolean;
  data: string;
  store?: string;
  storePasswordFile?: string;
  replicaName?: string;
  storeKeyFile?: string;
  policies: string;
  /** false with --no-policies-folder */
  policiesFolder: boolean;
  insecure?: boolean;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  webhook: WebhookSpec[];
  webhookSecretFile?: string;
  complianceSnapshot: string;
  planTimeout: number;
  caCert?: string;
  caKey?: string;
  san: string[];
  agentCertTtl: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxUnauthenticatedConnections: number;
  heapGrowth: number;
  metricsTokenFile?: string;
  metricsPerHost?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function agentCertTtlArg(value: string): number {
  const ms = durationArg(value);
  if (ms < MIN_AGENT_CERT_TTL_MS)
    throw new InvalidArgumentError(`"${value}" is shorter than ${MIN_AGENT_CERT_TTL_MS / 1000}s`);
  return ms;
}

export function registerControllerCommand(program: Command): void {
  const command = program
    .command("controller")
    .description("run the controller: the agents' gRPC endpoint, the admin API and the fleet store")
    .option("--listen <host:port>", "address to listen on (port 0: any free port)", hostPortArg, DEFAULT_LISTEN)
    .option(
      "--web-listen <host:port>",
      "the dashboard's address (HTTPS with the controller's certificate; plain HTTP with --insecure, loopback only); see docs/dashboard.md",
      hostPortArg,
      DEFAULT_WEB_LISTEN,
    )
    .option("--no-web", "run without the dashboard")
    .option(
      "--data <dir>",
      "data folder (this controller's PKI and credentials; the SQLite store by default)",
      DEFAULT_CONTROLLER_DATA_DIR,
    )
    .option(
      "--store <location>",
      "the store: sqlite:PATH (default sqlite:DATA/controller.db) or postgres://USER@HOST:PORT/DB (replicas share it; docs/postgres.md)",
    )
    .option(
      "--replica-name <name>",
      "PostgreSQL store: this controller's name among the replicas sharing it (default HOSTNAME:PORT)",
    )
    .option(
      "--store-password-file <file>",
      "PostgreSQL: a file holding the password (first line); else PGPASSFILE or ~/.pgpass. Never in the URL",
    )
    .option(
      "--store-key-file <file>",
      "PostgreSQL: the 32-byte key (file mode 0600, the same on every replica) sealing the replicas' shared CA key in the store; required there unless --insecure",
    )
    .option(
      "--policies <dir>",
      "policies folder (policies + inventory.yaml), watched for changes",
      DEFAULT_POLICIES_DIR,
    )
    .option(
      "--no-policies-folder",
      "run without a policies folder: the revisions in force are the stored ones, changed with `virtfleet policy push DIR` (replicas need no shared folder; docs/postgres.md)",
    )
    .option(
      "--insecure",
      "plaintext gRPC without certificates: loopback only, local demos and tests (default: mTLS with the controller's CA)",
    )
    .option(
      "--ca-cert <file>",
      "use this CA certificate (PEM, ECDSA P-256) instead of the controller's own in DATA/pki; with --ca-key",
    )
    .option("--ca-key <file>", "the private key of --ca-cert (PEM PKCS#8)")
    .option(
      "--san <name>",
      "another DNS name or IP address the server certificate must cover (repeatable)",
      collect,
      [],
    )
    .addOption(
      new Option("--agent-cert-ttl <duration>", "lifetime of agent certificates (tests)")
        .argParser(agentCertTtlArg)
        .default(DEFAULT_AGENT_CERT_TTL_MS)
        .hideHelp(),
    )
    .option(
      "--heartbeat-interval <duration>",
      "interval agents heartbeat at",
      durationArg,
      DEFAULT_AGENT_SERVICE_OPTIONS.heartbeatIntervalMs,
    )
    .option(
      "--heartbeat-timeout <duration>",
      "silence after which a host counts as disconnected",
      durationArg,
      DEFAULT_AGENT_SERVICE_OPTIONS.heartbeatTimeoutMs,
    )
    .option(
      "--webhook <url>",
      "POST alerts as JSON to this http(s) URL (repeatable); 'URL events=drift,failure,change secret-file=FILE' filters the event types (default drift,failure) and signs with that webhook's own secret",
      webhookArg,
      [],
    )
    .option(
      "--webhook-secret-file <file>",
      "sign every webhook request (HMAC-SHA256 over timestamp and body, headers x-virtfleet-timestamp and x-virtfleet-signature) with the secret in this file (mode 0600, at least 16 bytes)",
    )
    .option(
      "--compliance-snapshot <cron>",
      "when to store compliance snapshots (cron expression)",
      complianceSnapshotArg,
      DEFAULT_SNAPSHOT_CRON,
    )
    .option(
      "--plan-timeout <duration>",
      "how long a rollout's plan stage (fleet dry-run) waits for the hosts' answers; 0 skips the stage",
      durationArg,
      DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS,
    )
    .option(
      "--max-connections <n>",
      "connections the listener holds at once (each is a file descriptor: keep below `ulimit -n`)",
      positiveIntArg,
      CONNECTION_LIMITS.total,
    )
    .option(
      "--max-connections-per-address <n>",
      "connections from one remote address at once (raise it when many agents reach the controller through one NAT address)",
      positiveIntArg,
      CONNECTION_LIMITS.perAddress,
    )
    .option(
      "--max-unauthenticated-connections <n>",
      "connections without a valid client certificate held at once (mTLS); past it the oldest is closed; each is closed 10 s after it was accepted",
      positiveIntArg,
      CONNECTION_LIMITS.unauthenticated,
    )
    .option(
      "--heap-growth <percent>",
      "how far the JavaScript heap may grow past its live data before a full collection (0: V8's own rule, up to 4×; less memory, more CPU)",
      heapGrowthArg,
      DEFAULT_CONTROLLER_HEAP_GROWTH_PERCENT,
    )
    .option(
      "--metrics-token-file <file>",
      "serve /metrics (web listener) to any address that sends 'Authorization: Bearer <token>' with the token in this file (mode 0600, at least 16 bytes); default: loopback peers only (and admin client certificates of the controller's CA)",
    )
    .option(
      "--metrics-per-host",
      "add metrics series with a host label (state, compliance, outbox backlog per host): one series per host each",
    )
    .action(async (flags: ControllerFlags, command: Command) => {
      applyHeapGrowth(flags.heapGrowth);
      // The default address may be held by another controller on this machine: then run without
      // the dashboard (with a warning); an address given with --web-listen must be served.
      const webDefault = command.getOptionValueSource("webListen") === "default";
      if (!flags.policiesFolder && command.getOptionValueSource("policies") !== "default")
        throw new OptionError("--no-policies-folder", "excludes --policies: give one of them");
      const controller = new Controller({
        listen: flags.listen,
        dataDir: flags.data,
        store: parseStoreOption(flags.store, flags.data, flags.storePasswordFile),
        replica: {
          name: flags.replicaName,
          // A replica that lost the leadership stops (its streams move to the other replicas)
          // and starts again as a follower; while the store is unreachable (PostgreSQL
          // restarting) it keeps trying every 2 s.
          onLeadershipLost: () => {
            void (async () => {
              await controller.stop().catch(() => undefined);
              for (let attempt = 1; ; attempt++) {
                try {
                  announce(await controller.start());
                  return;
                } catch (err) {
                  controller.log.warn(
                    { err: describeError(err), attempt },
                    "cannot start again yet (is the store reachable?); retrying in 2 s",
                  );
                  await new Promise((r) => setTimeout(r, 2_000));
                }
              }
            })();
          },
        },
        policiesDir: flags.policiesFolder ? flags.policies : null,
        insecure: flags.insecure === true,
        pki: {
          ca: { certFile: flags.caCert, keyFile: flags.caKey, storeKeyFile: flags.storeKeyFile },
          agentCertTtlMs: flags.agentCertTtl,
          extraNames: flags.san,
        },
        web: flags.web ? { listen: flags.webListen, optional: webDefault } : undefined,
        webhooks: resolveWebhooks(flags.webhook, flags.webhookSecretFile),
        complianceSnapshotCron: flags.complianceSnapshot,
        rollouts: { planTimeoutMs: flags.planTimeout },
        connectionLimits: {
          ...CONNECTION_LIMITS,
          total: flags.maxConnections,
          perAddress: flags.maxConnectionsPerAddress,
          unauthenticated: flags.maxUnauthenticatedConnections,
        },
        metrics: { tokenFile: flags.metricsTokenFile, perHost: flags.metricsPerHost === true },
        agents: {
          heartbeatIntervalMs: flags.heartbeatInterval,
          heartbeatTimeoutMs: Math.max(flags.heartbeatTimeout, 2 * flags.heartbeatInterval),
        },
      });
      // The one line on stdout: where to reach it (scripts and tests read this); again each
      // time a replica that lost the leadership starts again.
      const announce = (address: HostPort): void => {
        process.stdout.write(`virtfleet controller listening on ${formatHostPort(address)}\n`);
        if (controller.webUrl) process.stdout.write(`virtfleet dashboard on ${controller.webUrl}\n`);
      };
      const address = await controller.start();
      if (flags.insecure)
        process.stderr.write(
          `virtfleet: WARNING: --insecure: plaintext gRPC, no certificates; any local process can act as any host or admin. For local demos and tests only.\n`,
        );
      announce(address);
      await onShutdownSignal(controller.log);
      await controller.stop();
    });
  useConfigFile(command, { defaultPath: DEFAULT_CONTROLLER_CONFIG });
  registerStoreCommands(command);
}
