import { attr, child, children, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedDisk, ParsedDisks } from "./parsed.js";

/** `<disk>` elements of `<devices>`: device `disk` and `cdrom`, in document order. */
export function parseDisks(devices: XmlNode | undefined): ParsedDisks {
  const disks: ParsedDisk[] = [];
  const cdroms: ParsedDisk[] = [];
  for (const disk of children(devices, "disk")) {
    const device = attr(disk, "device") ?? "disk";
    if (device === "disk") disks.push(parseDisk(disk));
    else if (device === "cdrom") cdroms.push(parseDisk(disk));
  }
  return { disks, cdroms };
}

function parseDisk(disk: XmlNode): ParsedDisk {
  const source = child(disk, "source");
  const target = child(disk, "target");
  const type = attr(disk, "type") ?? "file";
  return {
    target: attr(target, "dev") ?? "",
    bus: attr(target, "bus") ?? "",
    pool: type === "volume" ? attr(source, "pool") : null,
    volume: type === "volume" ? attr(source, "volume") : null,
    path: type === "file" ? attr(source, "file") : type === "block" ? attr(source, "dev") : null,
    format: attr(child(disk, "driver"), "type"),
  };
}
