import { type Static, Type } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject } from "../../../policy-primitives/schema-builders.js";

/**
 * The devices area of the domain kind (everything under <devices> that is not a disk or a
 * NIC): graphics, serial console, guest-agent channel, RNG, watchdog, host devices and
 * virtiofs shares. Contract for additions: a new spec field is optional and left out by the
 * resolver when the policy does not set it — or sets it to its default (`guestAgent: false`,
 * `rng: false`, `console: serial`, an empty list) — so the spec hash of a guest that does not
 * use it stays the same.
 *
 * Secrets: there is no password field. A VNC/SPICE password lives in a file on the host
 * (`graphics.passwordFile`), read by the agent when it builds the XML; the spec, the bundle
 * and every view carry only the path.
 */

import {
  CONSOLES,
  DEFAULT_GRAPHICS_LISTEN,
  FILESYSTEM_DRIVERS,
  GRAPHICS,
  GRAPHICS_TYPES,
  MDEV_MODELS,
  WATCHDOG_ACTIONS,
  WATCHDOG_MODELS,
} from "./values.js";

/** The value sets, as values.ts declares them (the agent face imports them from there). */
export * from "./values.js";

const pathString = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });

const GraphicsObjectDocument = obj(
  {
    type: choice(GRAPHICS_TYPES, { description: "vnc | spice | none." }),
    listen: Type.String({
      minLength: 1,
      maxLength: 64,
      description: `IP address the console listens on. Default ${DEFAULT_GRAPHICS_LISTEN}; any other address must be written here.`,
    }),
    passwordFile: pathString(
      "Absolute path, on the host, of a file holding the console password (owned by root, mode 0600; trailing line breaks ignored; VNC uses at most 8 characters). Read by the agent into the guest's XML; never shown, never in the policy.",
    ),
  },
  ["type"],
);

const HostdevDocument = obj(
  {
    pci: Type.String({ minLength: 1, maxLength: 64, description: 'A host PCI address, "0000:3b:00.1".' }),
    usb: obj(
      {
        vendor: Type.String({ minLength: 1, maxLength: 16, description: 'USB vendor id, "0x0781".' }),
        product: Type.String({ minLength: 1, maxLength: 16, description: 'USB product id, "0x5581".' }),
      },
      ["vendor", "product"],
    ),
    mdev: Type.String({ minLength: 1, maxLength: 64, description: "UUID of a mediated device on the host." }),
    model: choice(MDEV_MODELS, { description: "mdev only: vfio-pci | vfio-ccw | vfio-ap. Default vfio-pci." }),
  },
  [],
  { description: "One host device passed through: exactly one of pci, usb, mdev." },
);

const FilesystemDocument = obj(
  {
    source: pathString("Absolute path of the host directory shared."),
    target: Type.String({
      minLength: 1,
      maxLength: 36,
      description: "The mount tag the guest mounts (`mount -t virtiofs TAG /mnt`).",
    }),
    driver: choice(FILESYSTEM_DRIVERS, { description: "virtiofs (the only one). Default virtiofs." }),
  },
  ["source", "target"],
);

export const DEVICES_DOCUMENT_FIELDS = {
  /** The string or the object form; `if`/`then`/`else` so an error names only the form written. */
  graphics: Type.Unsafe<(typeof GRAPHICS)[number] | Static<typeof GraphicsObjectDocument>>({
    description: `none | vnc (listens on ${DEFAULT_GRAPHICS_LISTEN}), or {type: vnc|spice|none, listen, passwordFile}. Default none.`,
    if: { type: "string" },
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
    then: { type: "string", enum: [...GRAPHICS] },
    else: GraphicsObjectDocument,
  }),
  guestAgent: Type.Boolean({
    description: "A qemu-guest-agent channel (org.qemu.guest_agent.0). Default false.",
  }),
  console: choice(CONSOLES, {
    description: "serial: a pty serial port with its console (`virsh console`); none: neither. Default serial.",
  }),
  rng: Type.Boolean({ description: "A virtio RNG fed from the host's /dev/urandom. Default false." }),
  watchdog: obj(
    {
      model: choice(WATCHDOG_MODELS, { description: "i6300esb | ib700 | itco (q35 only)." }),
      action: choice(WATCHDOG_ACTIONS, {
        description: "reset | shutdown | poweroff | pause | none | dump | inject-nmi. Default reset.",
      }),
    },
    ["model"],
    { description: "An emulated watchdog and what the host does when it fires. Default: none." },
  ),
  hostdevs: list(
    HostdevDocument,
    "Host devices passed through (PCI by address, USB by vendor/product, mediated devices). Default [].",
  ),
  filesystems: list(FilesystemDocument, "Host directories shared with the guest (virtiofs). Default []."),
};

export const GraphicsObjectSpecSchema = resolvedObject({
  type: oneOf(["vnc", "spice"] as const),
  listen: Type.String(),
  /** Absent: no password. */
  passwordFile: Type.Optional(Type.String()),
});
export type GraphicsObjectSpec = Static<typeof GraphicsObjectSpecSchema>;

export const WatchdogSpecSchema = resolvedObject({ model: oneOf(WATCHDOG_MODELS), action: oneOf(WATCHDOG_ACTIONS) });
export type WatchdogSpec = Static<typeof WatchdogSpecSchema>;

export const HostdevSpecSchema = Type.Union([
  /** Canonical: lower-case `dddd:bb:ss.f`. */
  resolvedObject({ pci: Type.String() }),
  /** Canonical: lower-case `0x` + 4 hex digits. */
  resolvedObject({ usb: resolvedObject({ vendor: Type.String(), product: Type.String() }) }),
  /** Canonical: lower-case UUID. */
  resolvedObject({ mdev: Type.String(), model: oneOf(MDEV_MODELS) }),
]);
export type HostdevSpec = Static<typeof HostdevSpecSchema>;

export const FilesystemSpecSchema = resolvedObject({
  source: Type.String(),
  target: Type.String(),
  driver: oneOf(FILESYSTEM_DRIVERS),
});
export type FilesystemSpec = Static<typeof FilesystemSpecSchema>;

export const DEVICES_SPEC_FIELDS = {
  /** `none`, `vnc` (127.0.0.1, no password: the form every guest had before), or the object. */
  graphics: Type.Union([oneOf(GRAPHICS), GraphicsObjectSpecSchema]),
  /** Present (true) only when the policy asks for the channel. */
  guestAgent: Type.Optional(Type.Boolean()),
  /** Present (`none`) only when it differs from the default `serial`. */
  console: Type.Optional(oneOf(CONSOLES)),
  /** Present (true) only when the policy asks for an RNG. */
  rng: Type.Optional(Type.Boolean()),
  watchdog: Type.Optional(WatchdogSpecSchema),
  /** Present only when non-empty. */
  hostdevs: Type.Optional(Type.Array(HostdevSpecSchema)),
  /** Present only when non-empty. */
  filesystems: Type.Optional(Type.Array(FilesystemSpecSchema)),
};
