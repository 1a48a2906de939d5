import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { VirtfleetError } from "../../common/errors.js";
import type { NetworkSpec } from "./spec.js";

/** A `mode: bridge` network names a bridge device this host does not have. */
export class MissingBridgeError extends VirtfleetError {
  constructor(
    readonly network: string,
    readonly bridge: string,
    detail: string,
  ) {
    super(
      "MISSING_BRIDGE",
      `network ${network} (mode bridge) uses bridge ${bridge}, which ${detail} on this host: create the bridge (e.g. host networking, or ip link add ${bridge} type bridge) or fix the name; the network was not defined or started`,
    );
  }
}

/** Where network devices are listed (`/sys/class/net`); tests point it elsewhere. */
export const SYS_CLASS_NET = "/sys/class/net";

/**
 * A `mode: bridge` network hands guests to an existing Linux bridge; libvirt defines and
 * "starts" such a network even when the bridge is missing, and the guest then fails to
 * start. Checked before the network is defined or reported in sync (dry-run and apply):
 * throws MissingBridgeError when the device does not exist or is not a bridge. Other modes
 * (libvirt creates their bridge) and networks not wanted active are not checked.
 */
export async function checkBridgeExists(spec: NetworkSpec, sysClassNet = SYS_CLASS_NET): Promise<void> {
  if (spec.mode !== "bridge" || spec.state !== "active" || spec.bridge === null) return;
  const dev = join(sysClassNet, spec.bridge);
  if (!(await exists(dev))) throw new MissingBridgeError(spec.name, spec.bridge, "does not exist");
  if (!(await exists(join(dev, "bridge"))))
    throw new MissingBridgeError(spec.name, spec.bridge, "exists but is not a bridge");
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
