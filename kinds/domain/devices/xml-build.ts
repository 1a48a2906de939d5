/**
 * The devices area's XML:
 * - `console: serial` (the default, as every guest had before): `<serial type='pty'/>` +
 *   `<console type='pty'/>`; `none`: neither.
 * - graphics `vnc` listens on 127.0.0.1 without a password; the object form on its `listen`
 *   address, with `passwd` = the content of `passwordFile` (read by the agent and handed in as
 *   `ctx.graphicsPassword`; building without it is an error, never a console without password);
 *   `none` adds no `<graphics>`.
 * - guestAgent: `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>` (libvirt
 *   picks the socket path and adds the virtio-serial controller).
 * - rng: `<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`.
 * - watchdog: `<watchdog model action/>`.
 * - hostdevs: subsystem `<hostdev>` (pci and usb `managed='yes'`: libvirt detaches the device
 *   from its host driver; mdev with its model).
 * - filesystems: virtiofs `<filesystem type='mount' accessmode='passthrough'>`, and the shared
 *   memory virtiofs needs: `<memoryBacking>` gets `<source type='memfd'/>` and
 *   `<access mode='shared'/>` where it lacks them; keys the cpu-memory area set (hugepages,
 *   locked, …) are kept.
 */
import { ValidationError, VirtfleetError } from "../../../common/errors.js";
import { buildXml, xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import { appendNode, type DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import { parsePciAddress } from "./addresses.js";
import type { FilesystemSpec, HostdevSpec } from "./schema.js";
import { DEFAULT_GRAPHICS_LISTEN, GRAPHICS, MDEV_MODELS, WATCHDOG_ACTIONS, WATCHDOG_MODELS } from "./values.js";

export const GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0";
export const RNG_SOURCE = "/dev/urandom";

export function buildDevices(
  spec: DomainSpec,
  ctx: Pick<DomainBuildContext, "graphicsPassword">,
  parts: DomainXmlParts,
  where: string,
): void {
  const d = parts.devices;
  if (spec.console !== "none") {
    d.serial = { "@_type": "pty" };
    d.console = { "@_type": "pty" };
  }
  const graphics = graphicsNode(spec, ctx, where);
  if (graphics) d.graphics = graphics;
  if (spec.guestAgent) appendNode(d, "channel", guestAgentChannelNode());
  if (spec.rng) appendNode(d, "rng", rngNode());
  if (spec.watchdog)
    d.watchdog = {
      "@_model": xmlChoice(spec.watchdog.model, WATCHDOG_MODELS, `${where}: watchdog.model`),
      "@_action": xmlChoice(spec.watchdog.action, WATCHDOG_ACTIONS, `${where}: watchdog.action`),
    };
  (spec.hostdevs ?? []).forEach((h, i) => appendNode(d, "hostdev", hostdevNode(h, `${where}: hostdevs[${i}]`)));
  const shares = spec.filesystems ?? [];
  shares.forEach((f, i) => appendNode(d, "filesystem", filesystemNode(f, `${where}: filesystems[${i}]`)));
  if (shares.length > 0) shareMemory(parts.domain);
}

/** The `<graphics>` device for update-device (live password change); null for `none`. */
export function graphicsDeviceXml(spec: DomainSpec, ctx: Pick<DomainBuildContext, "graphicsPassword">): string | null {
  const node = graphicsNode(spec, ctx, `domain ${spec.name}`);
  return node ? buildXml("graphics", node) : null;
}

function graphicsNode(
  spec: DomainSpec,
  ctx: Pick<DomainBuildContext, "graphicsPassword">,
  where: string,
): XmlNode | null {
  const g = spec.graphics;
  if (typeof g === "string") {
    if (xmlChoice(g, GRAPHICS, `${where}: graphics`) === "none") return null;
    return listenAt({ "@_type": "vnc", "@_port": "-1", "@_autoport": "yes" }, DEFAULT_GRAPHICS_LISTEN, where);
  }
  const type = xmlChoice(g.type, ["vnc", "spice"] as const, `${where}: graphics.type`);
  const node: XmlNode = { "@_type": type };
  if (type === "vnc") node["@_port"] = "-1";
  node["@_autoport"] = "yes";
  listenAt(node, g.listen, where);
  if (g.passwordFile !== undefined) {
    if (ctx.graphicsPassword === undefined)
      throw new VirtfleetError(
        "GRAPHICS_PASSWORD",
        `${where}: graphics.passwordFile ${g.passwordFile} was not read; the console is not defined without its password`,
      );
    node["@_passwd"] = xmlString(ctx.graphicsPassword, `${where}: graphics password`);
  }
  return node;
}

function listenAt(node: XmlNode, address: string, where: string): XmlNode {
  const a = xmlString(address, `${where}: graphics.listen`);
  node["@_listen"] = a;
  node.listen = { "@_type": "address", "@_address": a };
  return node;
}

export function guestAgentChannelNode(): XmlNode {
  return { "@_type": "unix", target: { "@_type": "virtio", "@_name": GUEST_AGENT_CHANNEL } };
}

export function rngNode(): XmlNode {
  return { "@_model": "virtio", backend: { "@_model": "random", "#text": RNG_SOURCE } };
}

function hostdevNode(h: HostdevSpec, where: string): XmlNode {
  if ("pci" in h) {
    const a = parsePciAddress(h.pci);
    if (!a) throw new ValidationError(`${where}: ${JSON.stringify(h.pci)} is not a PCI address`);
    const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, "0")}`;
    return {
      "@_mode": "subsystem",
      "@_type": "pci",
      "@_managed": "yes",
      source: {
        address: {
          "@_domain": hex(a.domain, 4),
          "@_bus": hex(a.bus, 2),
          "@_slot": hex(a.slot, 2),
          "@_function": hex(a.function, 1),
        },
      },
    };
  }
  if ("usb" in h)
    return {
      "@_mode": "subsystem",
      "@_type": "usb",
      "@_managed": "yes",
      source: {
        vendor: { "@_id": xmlString(h.usb.vendor, `${where}: usb.vendor`) },
        product: { "@_id": xmlString(h.usb.product, `${where}: usb.product`) },
      },
    };
  return {
    "@_mode": "subsystem",
    "@_type": "mdev",
    "@_model": xmlChoice(h.model, MDEV_MODELS, `${where}: model`),
    source: { address: { "@_uuid": xmlString(h.mdev, `${where}: mdev`) } },
  };
}

function filesystemNode(f: FilesystemSpec, where: string): XmlNode {
  return {
    "@_type": "mount",
    "@_accessmode": "passthrough",
    driver: { "@_type": xmlChoice(f.driver, ["virtiofs"] as const, `${where}: driver`) },
    source: { "@_dir": xmlString(f.source, `${where}: source`) },
    target: { "@_dir": xmlString(f.target, `${where}: target`) },
  };
}

/** Adds memfd + shared access to `<memoryBacking>` where missing, keeping every other key. */
function shareMemory(domain: XmlNode): void {
  const have = domain.memoryBacking;
  const mb: XmlNode = have !== null && typeof have === "object" && !Array.isArray(have) ? (have as XmlNode) : {};
  if (mb.source === undefined) mb.source = { "@_type": "memfd" };
  if (mb.access === undefined) mb.access = { "@_mode": "shared" };
  domain.memoryBacking = mb;
}
