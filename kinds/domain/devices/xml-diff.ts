/**
 * The devices area's diff, with each field's disruption on a RUNNING guest (measured against
 * libvirt 9.0 / QEMU 7.2):
 * - `graphics` (type, listen address): `restart` — libvirt cannot change a running console's
 *   type or listen address.
 * - `graphics.password` (the content of passwordFile vs the guest's `passwd`): `live` —
 *   virDomainUpdateDeviceFlags changes a running VNC/SPICE password (live.ts). Compared as
 *   keyed digests of the secure XML, never shown; see live.ts `diffGraphicsPassword`, called by
 *   the resource (this diff has no secure XML).
 * - `console`: `restart`.
 * - `guestAgent`: `restart` — the channel needs a virtio-serial controller, which libvirt
 *   refuses to hot-plug ("'virtio-serial' controller cannot be hot plugged"); a guest without
 *   one (every guest without the channel) cannot take it live.
 * - `rng`: `live` — a virtio RNG is hot-plugged (q35: into a free PCIe root port; libvirt
 *   leaves spare ones) and unplugged (completes when the guest OS releases it; otherwise it
 *   waits for the next restart, reported as pending).
 * - `watchdog`: `restart` — attaching fails on q35 ("No more available PCI slots": i6300esb
 *   is a conventional PCI device) and libvirt 9.0 refuses a live update of its action.
 * - `hostdevs`: `restart` (not exercised live: no passthrough devices on the test machines).
 * - `filesystems`: `restart`.
 * Libvirt's additions (addresses, aliases, the channel's socket path, the virtio-serial
 * controller, memoryBacking) are not compared.
 */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import { hostdevKey } from "./addresses.js";
import type { ParsedDevices } from "./parsed.js";
import { DEFAULT_GRAPHICS_LISTEN } from "./values.js";
import { GUEST_AGENT_CHANNEL, RNG_SOURCE } from "./xml-build.js";

export function diffDevices(desired: DomainSpec, actual: ParsedDevices, add: AddChange): void {
  const gotGraphics = describeGraphics(actual);
  if (gotGraphics !== describeDesiredGraphics(desired.graphics))
    add("graphics", gotGraphics, desired.graphics, "restart");

  const console = desired.console ?? "serial";
  const gotConsole = describeConsole(actual);
  if (gotConsole !== console) add("console", gotConsole, console, "restart");

  const agent = desired.guestAgent === true;
  const gotAgent = actual.channelNames.includes(GUEST_AGENT_CHANNEL);
  if (gotAgent !== agent) add("guestAgent", gotAgent, agent, "restart");

  const rng = desired.rng === true;
  const gotRng: boolean | string =
    actual.rngs.length === 0
      ? false
      : actual.rngs.join(",") === `virtio random ${RNG_SOURCE}`
        ? true
        : actual.rngs.join(",");
  if (gotRng !== rng) add("rng", gotRng, rng, "live");

  const watchdog = desired.watchdog ? `${desired.watchdog.model} ${desired.watchdog.action}` : "none";
  const gotWatchdog =
    actual.watchdogs.length === 0 ? "none" : actual.watchdogs.map((w) => `${w.model} ${w.action}`).join(",");
  if (gotWatchdog !== watchdog) add("watchdog", gotWatchdog, watchdog, "restart");

  const hostdevs = (desired.hostdevs ?? []).map(hostdevKey).sort();
  const gotHostdevs = [...actual.hostdevs].sort();
  if (hostdevs.join("\n") !== gotHostdevs.join("\n")) add("hostdevs", gotHostdevs, hostdevs, "restart");

  const shares = (desired.filesystems ?? []).map((f) => `${f.driver} ${f.source} ${f.target}`).sort();
  const gotShares = actual.filesystems.map((f) => `${f.driver} ${f.source ?? "?"} ${f.target ?? "?"}`).sort();
  if (shares.join("\n") !== gotShares.join("\n")) add("filesystems", gotShares, shares, "restart");
}

/** `none`, `vnc` (exactly one VNC on 127.0.0.1), or a description such as `vnc@0.0.0.0`, `spice@127.0.0.1`. */
function describeGraphics(actual: ParsedDevices): string {
  if (actual.graphics.length === 0) return "none";
  return actual.graphics
    .map((g) =>
      g.type === "vnc" && g.listen === DEFAULT_GRAPHICS_LISTEN ? "vnc" : g.listen ? `${g.type}@${g.listen}` : g.type,
    )
    .join(",");
}

function describeDesiredGraphics(g: DomainSpec["graphics"]): string {
  if (typeof g === "string") return g;
  return g.type === "vnc" && g.listen === DEFAULT_GRAPHICS_LISTEN ? "vnc" : `${g.type}@${g.listen}`;
}

/** `serial` (one pty serial port with its pty console), `none`, or what the guest has instead. */
function describeConsole(actual: ParsedDevices): string {
  const { serialTypes: s, consoleTypes: c } = actual;
  if (s.length === 0 && c.length === 0) return "none";
  if (s.length === 1 && s[0] === "pty" && c.length === 1 && c[0] === "pty") return "serial";
  return `serial ${s.join(",") || "-"}, console ${c.join(",") || "-"}`;
}
