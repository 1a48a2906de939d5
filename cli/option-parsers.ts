import { InvalidArgumentError } from "commander";
import { parseHostPort, parseHostPortList, type HostPort } from "../common/address.js";
import { parseDuration } from "../common/units.js";

/** Commander argument parsers: each turns a bad value into a usage error naming the value. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function hostPortArg(value: string): HostPort {
  try {
    return parseHostPort(value, "address", true);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `--controller A[,B…]`: one controller or several replicas (common/address.ts parseHostPortList). */
export function hostPortListArg(value: string): HostPort[] {
  try {
    return parseHostPortList(value, "--controller");
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** What the admin commands' --controller says (and the agent's, with its own wording). */
export const CONTROLLER_FLAGS = "--controller <host:port[,host:port…]>";
export const CONTROLLER_HELP =
  "controller address, or several replicas as a:7443,b:7443 (tried in order when one cannot be reached; env VIRTFLEET_CONTROLLER)";

/**
 * Resolves the controller addresses for admin commands: flag, then VIRTFLEET_CONTROLLER (same
 * syntax: one address or a comma-separated list), then the default. Never empty.
 */
export function controllerAddresses(flag: readonly HostPort[] | undefined, fallback: HostPort): HostPort[] {
  if (flag && flag.length > 0) return [...flag];
  const env = process.env.VIRTFLEET_CONTROLLER;
  if (env) return parseHostPortList(env, "VIRTFLEET_CONTROLLER");
  return [fallback];
}

/**
 * The agent's controllers (`virtfleet agent`, `agent install`): the flag (or the configuration
 * file's `controller`), else VIRTFLEET_CONTROLLER (same syntax); undefined when neither is set.
 */
export function agentControllers(flag: readonly HostPort[] | undefined): HostPort[] | undefined {
  if (flag && flag.length > 0) return [...flag];
  const env = process.env.VIRTFLEET_CONTROLLER;
  return env ? parseHostPortList(env, "VIRTFLEET_CONTROLLER") : undefined;
}

/** True when --insecure was given or VIRTFLEET_INSECURE=1. */
export function insecureFlag(flag: boolean | undefined): boolean {
  return flag === true || process.env.VIRTFLEET_INSECURE === "1";
}

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}
