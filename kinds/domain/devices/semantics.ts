import { isIP } from "node:net";
import type { PathSegment } from "../../../policy-primitives/issues.js";
import { checkAbsolutePath } from "../../../policy-primitives/names.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";
import { canonicalPci, canonicalUsbId, canonicalUuid, hostdevKey } from "./addresses.js";
import type { HostdevSpec } from "./schema.js";

/**
 * A domain's devices beyond the schema (policy load, file:line:col): graphics `listen` an IP
 * address, `passwordFile` an absolute path, neither with `type: none`; the `itco` watchdog
 * only on a q35 machine; each host device exactly one of pci/usb/mdev, well-formed and listed
 * once; virtiofs sources absolute, targets (mount tags) unique. What only the host can tell
 * (a PCI device that is missing or taken, an unreadable password file) is checked in the plan
 * stage (host-checks.ts, password-file.ts).
 */
export function checkDevicesDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  checkGraphics(d, [...path, "graphics"], c);
  if (d.watchdog?.model === "itco") {
    const machine = c.concrete(d.machine);
    if (d.machine === undefined || (machine !== undefined && !/q35/.test(machine)))
      c.issues.add(
        [...path, "watchdog", "model"],
        "the itco watchdog is part of the q35 chipset: set machine: q35 or use model i6300esb",
      );
  }
  checkHostdevs(d, [...path, "hostdevs"], c);
  const targets = new Map<string, number>();
  (d.filesystems ?? []).forEach((f, i) => {
    const at = [...path, "filesystems", i];
    const source = c.concrete(f.source);
    if (source !== undefined) {
      const bad = checkAbsolutePath(source);
      if (bad) c.issues.add([...at, "source"], bad);
    }
    const target = c.concrete(f.target);
    if (target !== undefined)
      c.unique(
        targets,
        target,
        [...at, "target"],
        `mount tag ${JSON.stringify(target)} is also used by filesystems[${targets.get(target)}]`,
        i,
      );
  });
}

function checkGraphics(d: DomainDocument, at: PathSegment[], c: ValueChecker): void {
  const g = d.graphics;
  if (g === undefined || typeof g === "string") return;
  if (g.type === "none") {
    for (const k of ["listen", "passwordFile"] as const)
      if (g[k] !== undefined) c.issues.add([...at, k], `${k} needs type vnc or spice (type is none)`);
    return;
  }
  const listen = c.concrete(g.listen);
  if (listen !== undefined && isIP(listen) === 0)
    c.issues.add(
      [...at, "listen"],
      `invalid value ${JSON.stringify(listen.slice(0, 64))}: listen must be an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1)`,
    );
  const file = c.concrete(g.passwordFile);
  if (file !== undefined) {
    const bad = checkAbsolutePath(file);
    if (bad) c.issues.add([...at, "passwordFile"], `${bad} (a file on the host, read by the agent)`);
  }
}

function checkHostdevs(d: DomainDocument, at: PathSegment[], c: ValueChecker): void {
  const seen = new Map<string, number>();
  (d.hostdevs ?? []).forEach((h, i) => {
    const here = [...at, i];
    const given = (["pci", "usb", "mdev"] as const).filter((k) => h[k] !== undefined);
    if (given.length !== 1) {
      c.issues.add(
        here,
        given.length === 0
          ? "a host device needs one of pci, usb or mdev"
          : `a host device is one of pci, usb or mdev, not ${given.join(" and ")}`,
      );
      return;
    }
    if (h.model !== undefined && h.mdev === undefined)
      c.issues.add([...here, "model"], "model applies to mdev devices only");
    let spec: HostdevSpec | undefined;
    if (h.pci !== undefined) {
      const pci = c.concrete(h.pci);
      if (pci === undefined) return;
      const canonical = canonicalPci(pci);
      if (canonical === null) {
        c.issues.add(
          [...here, "pci"],
          `invalid PCI address ${JSON.stringify(pci.slice(0, 64))}: must be domain:bus:slot.function in hex, e.g. "0000:3b:00.1" (slot at most 1f, function 0-7)`,
        );
        return;
      }
      spec = { pci: canonical };
    } else if (h.usb !== undefined) {
      const ids = (["vendor", "product"] as const).map((k) => {
        const v = c.concrete(h.usb![k]);
        if (v === undefined) return undefined;
        const id = canonicalUsbId(v);
        if (id === null)
          c.issues.add(
            [...here, "usb", k],
            `invalid USB ${k} id ${JSON.stringify(v.slice(0, 16))}: 4 hex digits, e.g. "0x0781"`,
          );
        return id ?? undefined;
      });
      if (ids[0] === undefined || ids[1] === undefined) return;
      spec = { usb: { vendor: ids[0], product: ids[1] } };
    } else {
      const mdev = c.concrete(h.mdev);
      if (mdev === undefined) return;
      const uuid = canonicalUuid(mdev);
      if (uuid === null) {
        c.issues.add([...here, "mdev"], `invalid mdev ${JSON.stringify(mdev.slice(0, 64))}: must be the device's UUID`);
        return;
      }
      spec = { mdev: uuid, model: h.model ?? "vfio-pci" };
    }
    const key = "mdev" in spec ? `mdev ${spec.mdev}` : hostdevKey(spec);
    c.unique(seen, key, here, `host device ${key} is listed twice (first at hostdevs[${seen.get(key)}])`, i);
  });
}
