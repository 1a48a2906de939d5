import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { VirtfleetError } from "../../common/errors.js";
import { SYS_CLASS_NET } from "./bridge-check.js";
import { completeNetworkSpec } from "./complete.js";
import type { NetworkSpec } from "./spec.js";
import { pathExists } from "../../common/path-exists.js";

/** A macvtap network's `interface` or a hostdev network's `pf` is not a usable NIC on this host. */
export class MissingHostNicError extends VirtfleetError {
  constructor(
    readonly network: string,
    readonly field: "interface" | "pf",
    readonly nic: string,
    detail: string,
    host = "this host",
  ) {
    super(
      "MISSING_HOST_NIC",
      `network ${network} (mode ${field === "pf" ? "hostdev" : "macvtap"}) uses host NIC ${nic} (${field}), which ${detail} on ${host}: fix the name or the host; the network was not defined or started`,
    );
  }
}

/**
 * A macvtap network makes its guests' ports on a host NIC and a hostdev network hands out
 * the virtual functions of an SR-IOV physical function; libvirt defines such networks even
 * when the NIC is missing and fails only when a guest starts. Checked before the network is
 * defined or reported in sync (dry-run and apply, so the plan stage shows it): throws
 * MissingHostNicError when `interface` does not exist, or `pf` does not exist or is not an
 * SR-IOV physical function (`device/sriov_totalvfs` missing or 0). Networks not wanted
 * active and other modes are not checked (bridge-check.ts checks mode bridge).
 */
/** `host`: how errors name the host ("host NAME"; default "this host"). */
export async function checkHostNic(input: NetworkSpec, sysClassNet = SYS_CLASS_NET, host = "this host"): Promise<void> {
  const spec = completeNetworkSpec(input);
  if (spec.state !== "active") return;
  if (spec.mode === "macvtap" && spec.interface !== null) {
    if (!(await pathExists(join(sysClassNet, spec.interface))))
      throw new MissingHostNicError(spec.name, "interface", spec.interface, "does not exist", host);
  }
  if (spec.mode === "hostdev" && spec.pf !== null) {
    const dev = join(sysClassNet, spec.pf);
    if (!(await pathExists(dev))) throw new MissingHostNicError(spec.name, "pf", spec.pf, "does not exist", host);
    let total = 0;
    try {
      total = Number((await readFile(join(dev, "device", "sriov_totalvfs"), "utf8")).trim());
    } catch {
      total = 0;
    }
    if (!(total > 0))
      throw new MissingHostNicError(spec.name, "pf", spec.pf, "exists but is not an SR-IOV physical function", host);
  }
}
