import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { HostJson } from "../../cli/output/hosts-view.js";
import { spawnCli, runCli, waitFor, type Proc } from "./processes.js";

export interface StartedController {
  proc: Proc;
  address: string;
  port: number;
}

export interface ControllerSpec {
  dataDir: string;
  port?: number;
  heartbeatInterval?: string;
  heartbeatTimeout?: string;
  /** `--policies`; default: an empty folder `policies` inside `dataDir` (never the repo's examples). */
  policiesDir?: string;
  /** `--webhook URL` for each. */
  webhooks?: string[];
  /** More flags, appended as given. */
  extraArgs?: string[];
}

/** Starts `virtfleet controller` on loopback and waits for its "listening on" line. */
export async function startController(spec: ControllerSpec): Promise<StartedController> {
  const args = ["controller", "--listen", `127.0.0.1:${spec.port ?? 0}`, "--data", spec.dataDir, "--insecure"];
  if (spec.heartbeatInterval) args.push("--heartbeat-interval", spec.heartbeatInterval);
  if (spec.heartbeatTimeout) args.push("--heartbeat-timeout", spec.heartbeatTimeout);
  const policiesDir = spec.policiesDir ?? join(spec.dataDir, "policies");
  if (spec.policiesDir === undefined) mkdirSync(policiesDir, { recursive: true });
  args.push("--policies", policiesDir);
  for (const url of spec.webhooks ?? []) args.push("--webhook", url);
  args.push(...(spec.extraArgs ?? []));
  const proc = spawnCli(args);
  const address = await waitFor(
    "controller to listen",
    () => {
      if (!proc.running) throw new Error(`controller exited: ${proc.stderr}`);
      return /listening on (\S+)/.exec(proc.stdout)?.[1];
    },
    15_000,
    50,
  );
  return { proc, address, port: Number(address.split(":").pop()) };
}

export interface AgentSpec {
  controller: string;
  name: string;
  stateDir: string;
  maxBackoff?: string;
  factsInterval?: string;
  libvirtSocket?: string;
  /** `--webhook URL` for each. */
  webhooks?: string[];
  /** More flags, appended as given. */
  extraArgs?: string[];
}

export function startAgent(spec: AgentSpec): Proc {
  const args = [
    "agent",
    "--controller",
    spec.controller,
    "--name",
    spec.name,
    "--state-dir",
    spec.stateDir,
    "--insecure",
  ];
  if (spec.maxBackoff) args.push("--max-backoff", spec.maxBackoff);
  if (spec.factsInterval) args.push("--facts-interval", spec.factsInterval);
  if (spec.libvirtSocket) args.push("--libvirt-socket", spec.libvirtSocket);
  for (const url of spec.webhooks ?? []) args.push("--webhook", url);
  args.push(...(spec.extraArgs ?? []));
  return spawnCli(args);
}

/** `hosts --json` elements, as the CLI prints them (facts loosely typed for assertions). */
export type HostJsonView = Omit<HostJson, "facts"> & { facts: Record<string, any> };

/** `virtfleet hosts --json` against `controller`; throws with stderr on a non-zero exit. */
export async function hostsJson(controller: string): Promise<HostJsonView[]> {
  const r = await runCli(["hosts", "--json", "--controller", controller, "--insecure"]);
  if (r.code !== 0) throw new Error(`hosts --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as HostJsonView[];
}

/** Waits until `name` is listed with `connected === want`, returning its record. */
export function waitForHost(
  controller: string,
  name: string,
  want: boolean,
  timeoutMs = 20_000,
): Promise<HostJsonView> {
  return waitFor(
    `host ${name} to be ${want ? "connected" : "disconnected"}`,
    async () => (await hostsJson(controller)).find((h) => h.name === name && h.connected === want),
    timeoutMs,
    200,
  );
}
