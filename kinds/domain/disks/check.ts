import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";
import { DISK_SERIAL_PATTERN } from "./values.js";
import { isDeviceDisk, isFileDisk, isVolumeDisk } from "./sources.js";

const SERIAL_RE = new RegExp(DISK_SERIAL_PATTERN);

/**
 * The agent's re-check of a resolved domain's disks and cdroms (kinds/spec-checker.ts): a
 * volume disk names a pool and a volume, a file disk an absolute path, a device disk an
 * absolute path under /dev; a serial has the loader's format.
 */
export function checkDisksSpec(c: SpecChecker, d: DomainSpec): void {
  (d.disks ?? []).forEach((x, i) => {
    if (isVolumeDisk(x)) {
      c.format(x.pool, `disks[${i}].pool`, "resourceName");
      c.format(x.volume, `disks[${i}].volume`, "volumeName");
    } else if (isFileDisk(x)) c.path(x.file, `disks[${i}].file`);
    else if (isDeviceDisk(x)) {
      c.path(x.device, `disks[${i}].device`);
      if (typeof x.device === "string" && !x.device.startsWith("/dev/"))
        c.add(`disks[${i}].device`, "a device disk names a block device under /dev");
    } else c.add(`disks[${i}]`, "a disk needs one of pool/volume, file or device");
    if (x.serial !== undefined && (typeof x.serial !== "string" || !SERIAL_RE.test(x.serial)))
      c.add(`disks[${i}].serial`, "letters, digits, _ . + -, at most 20");
  });
  (d.cdroms ?? []).forEach((cd, i) => {
    if ("path" in cd) {
      c.path(cd.path, `cdroms[${i}].path`);
      if (typeof cd.path === "string" && !cd.path.endsWith(".iso"))
        c.add(`cdroms[${i}].path`, "a cdrom path must end in .iso");
    } else {
      c.format(cd.pool, `cdroms[${i}].pool`, "resourceName");
      c.format(cd.volume, `cdroms[${i}].volume`, "volumeName");
    }
  });
}
