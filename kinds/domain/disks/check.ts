import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";

/** The agent's re-check of a resolved domain's disks and cdroms (kinds/spec-checker.ts). */
export function checkDisksSpec(c: SpecChecker, d: DomainSpec): void {
  (d.disks ?? []).forEach((x, i) => {
    c.format(x.pool, `disks[${i}].pool`, "resourceName");
    c.format(x.volume, `disks[${i}].volume`, "volumeName");
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
