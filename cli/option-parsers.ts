import { InvalidArgumentError } from "commander";
import { parseHostPort, type HostPort } from "../common/address.js";
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

/** Resolves the controller address for admin commands: flag, then VIRTFLEET_CONTROLLER, then the default. */
export function controllerAddress(flag: HostPort | undefined, fallback: HostPort): HostPort {
  if (flag) return flag;
  const env = process.env.VIRTFLEET_CONTROLLER;
  if (env) return parseHostPort(env, "VIRTFLEET_CONTROLLER");
  return fallback;
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
