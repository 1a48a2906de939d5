/**
 * Running guests' tap devices on a network's bridge.
 *
 * When a network is stopped (`virsh net-destroy`) libvirt deletes its bridge; the running
 * guests' taps stay, without a master. Starting the network again creates an empty bridge:
 * libvirt 9.0 has no call that re-attaches the taps (it does so only when libvirtd itself
 * restarts: qemuProcessReconnect → networkNotifyActualDevice → virNetDevTapReattachBridge).
 * So the network resource checks, after it has the network in its desired state, that every
 * running guest's `<interface type='network'>` tap on this network is enslaved to the
 * network's bridge, and re-attaches the ones that are not, as libvirt would:
 * `ip link set dev TAP master BRIDGE up`.
 *
 * Contract: `detachedTaps` reads the live domain XML (`<source network=…/><target dev=…/>`)
 * and sysfs (`/sys/class/net/TAP/master`); a tap whose device does not exist (the guest
 * stopped meanwhile) is not counted. Tap and bridge names come from libvirt and are checked
 * against the kernel's interface-name rules before they reach `ip` (argv, never a shell).
 */
import { execFile } from "node:child_process";
import { lstat, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { ProtocolError, VirtfleetError } from "../../common/errors.js";
import type { FieldChange } from "../../common/changes.js";
import { type Hypervisor, ListDomainsFlags } from "../../libvirt/index.js";
import { attr, child, children, parseXml } from "../libvirt-xml/xml-io.js";

const run = promisify(execFile);

/** A running guest's tap on a network. */
export interface GuestTap {
  guest: string;
  tap: string;
}

/** Where the kernel's network devices are read and changed; a seam for tests of the failure paths. */
export interface TapHost {
  /** `/sys/class/net` */
  sysClassNet: string;
  /** Enslaves `tap` to `bridge` and sets it up. */
  attach(tap: string, bridge: string): Promise<void>;
}

export const REAL_TAP_HOST: TapHost = {
  sysClassNet: "/sys/class/net",
  attach: async (tap, bridge) => {
    await run("ip", ["link", "set", "dev", tap, "master", bridge, "up"], { timeout: 10_000 });
  },
};

/** Linux interface names: 1–15 bytes, no `/`, whitespace or `:` (dev_valid_name, plus `:` for aliases). */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function checkIfName(name: string, what: string): string {
  if (!IFNAME.test(name) || name === "." || name === "..")
    throw new ProtocolError(`${what} ${JSON.stringify(name)} from libvirt is not a valid interface name`);
  return name;
}

/** Taps of running guests with an `<interface type='network'>` whose source is `network` (live XML). */
export async function guestTapsOn(hv: Hypervisor, network: string): Promise<GuestTap[]> {
  const out: GuestTap[] = [];
  for (const d of await hv.domains(ListDomainsFlags.ACTIVE)) {
    let xml: string;
    try {
      xml = await hv.domainXml(d);
    } catch {
      continue; // stopped or undefined meanwhile: no tap to look after
    }
    const devices = child(parseXml(xml, "domain"), "devices");
    for (const i of children(devices, "interface")) {
      if (attr(i, "type") !== "network" || attr(child(i, "source"), "network") !== network) continue;
      const tap = attr(child(i, "target"), "dev");
      if (tap) out.push({ guest: d.name, tap: checkIfName(tap, `domain ${d.name} tap`) });
    }
  }
  return out;
}

/** The bridge `tap` is enslaved to; null when it has none; undefined when the device does not exist. */
export async function tapMaster(tap: string, host: TapHost = REAL_TAP_HOST): Promise<string | null | undefined> {
  try {
    return basename(await readlink(join(host.sysClassNet, tap, "master")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  try {
    await lstat(join(host.sysClassNet, tap));
    return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The running guests' taps on `network` that are not on `bridge` (null: the network has no bridge now). */
export async function detachedTaps(
  hv: Hypervisor,
  network: string,
  bridge: string | null,
  host: TapHost = REAL_TAP_HOST,
): Promise<GuestTap[]> {
  const out: GuestTap[] = [];
  for (const t of await guestTapsOn(hv, network)) {
    const master = await tapMaster(t.tap, host);
    if (master !== undefined && (bridge === null || master !== bridge)) out.push(t);
  }
  return out;
}

/** Re-attaches each tap to `bridge`; throws one error naming every tap that could not be attached. */
export async function reattachTaps(
  taps: readonly GuestTap[],
  bridge: string,
  host: TapHost = REAL_TAP_HOST,
): Promise<void> {
  checkIfName(bridge, "bridge");
  const failed: string[] = [];
  for (const t of taps) {
    try {
      await host.attach(t.tap, bridge);
    } catch (err) {
      const e = err as { stderr?: string; message?: string };
      failed.push(`${t.tap} (guest ${t.guest}): ${(e.stderr ?? e.message ?? String(err)).trim()}`);
    }
  }
  if (failed.length > 0)
    throw new VirtfleetError(
      "TAP_REATTACH",
      `cannot re-attach guest interfaces to bridge ${bridge}: ${failed.join("; ")}; attach them by hand (ip link set dev TAP master BRIDGE up) or restart the guests`,
    );
}

/**
 * The network's check of its running guests' taps, run once the network is in its desired
 * state (active). Returns the `attachedInterfaces` change when some are detached, and with
 * `apply` re-attaches them. `definedBridge` (the definition's bridge) is the expected bridge
 * while the network is not active (dry-run of a stopped network: every tap is detached).
 */
export async function checkGuestTaps(
  hv: Hypervisor,
  network: string,
  o: { apply: boolean; definedBridge: string | null },
  host: TapHost = REAL_TAP_HOST,
): Promise<FieldChange | null> {
  const active = await hv.networkIsActive(network);
  const bridge = active ? await hv.networkBridge(network) : o.definedBridge;
  const taps = await detachedTaps(hv, network, active ? bridge : null, host);
  if (taps.length === 0) return null;
  if (o.apply) {
    if (!active || bridge === null)
      throw new VirtfleetError(
        "TAP_REATTACH",
        `network ${network} is not active: its guests' interfaces cannot be re-attached`,
      );
    await reattachTaps(taps, bridge, host);
  }
  return detachedChange(taps, bridge);
}

/** The change a network reports for detached taps (field `attachedInterfaces`). */
export function detachedChange(taps: readonly GuestTap[], bridge: string | null): FieldChange {
  return {
    field: "attachedInterfaces",
    from: `detached: ${taps.map((t) => `${t.tap} (${t.guest})`).join(", ")}`,
    to: bridge === null ? "attached to the network's bridge" : `attached to ${bridge}`,
    disruption: "live",
  };
}
