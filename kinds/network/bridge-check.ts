import { join } from "node:path";
import { VirtfleetError } from "../../common/errors.js";
import type { NetworkSpec } from "./spec.js";
import { pathExists } from "../../common/path-exists.js";

/** A `mode: bridge` network names a bridge device this host does not have. */
export class MissingBridgeError extends VirtfleetError {
  constructor(
    readonly network: string,
    readonly bridge: string,
    detail: string,
    host = "this host",
  ) {
    super(
      "MISSING_BRIDGE",
      `network ${network} (mode bridge) uses bridge ${bridge}, which ${detail} on ${host}: create the bridge (e.g. host networking, or ip link add ${bridge} type bridge) or fix the name; the network was not defined or started`,
    );
  }
}

/** Where network devices are listed (`/sys/class/net`); tests point it elsewhere. */
export const SYS_CLASS_NET = "/sys/class/net";

/**
 * The bridges the same bundle's host networking (`host.bridges`, resource `host/network`)
 * creates, per network spec: recorded by kinds/build-resources.ts when it builds the
 * bundle's resources, read by checkBridgeExists. Keyed by the spec object, so it lives and
 * dies with the bundle that declared it.
 */
const DECLARED_HOST_BRIDGES = new WeakMap<NetworkSpec, ReadonlySet<string>>();

/** Records that `bridges` are created by the host networking of the bundle `spec` belongs to. */
export function declareHostBridges(spec: NetworkSpec, bridges: ReadonlySet<string>): void {
  DECLARED_HOST_BRIDGES.set(spec, bridges);
}

/**
 * A `mode: bridge` network hands guests to an existing Linux bridge; libvirt defines and
 * "starts" such a network even when the bridge is missing, and the guest then fails to
 * start. Checked before the network is defined or reported in sync (dry-run and apply):
 * throws MissingBridgeError when the device does not exist or is not a bridge. Other modes
 * (libvirt creates their bridge) and networks not wanted active are not checked. A bridge
 * the same bundle's `host.bridges` declares counts as existing: the network depends on
 * `host/network`, which creates it first (a dry-run plans both).
 */
/** `host`: how errors name the host ("host NAME"; default "this host"). */
export async function checkBridgeExists(
  spec: NetworkSpec,
  sysClassNet = SYS_CLASS_NET,
  host = "this host",
): Promise<void> {
  if (spec.mode !== "bridge" || spec.state !== "active" || spec.bridge === null) return;
  if (DECLARED_HOST_BRIDGES.get(spec)?.has(spec.bridge)) return;
  const dev = join(sysClassNet, spec.bridge);
  if (!(await pathExists(dev))) throw new MissingBridgeError(spec.name, spec.bridge, "does not exist", host);
  if (!(await pathExists(join(dev, "bridge"))))
    throw new MissingBridgeError(spec.name, spec.bridge, "exists but is not a bridge", host);
}
