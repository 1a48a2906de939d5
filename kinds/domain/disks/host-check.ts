/**
 * What only the host can tell about a guest's file and device disks, checked in the plan
 * stage (dry-run and apply alike) before the guest is defined or changed: a `file` disk's
 * image exists, a `device` disk's path exists and is a block device. libvirt would define
 * the guest anyway and fail only when it starts.
 */
import { stat } from "node:fs/promises";
import { VirtfleetError } from "../../../common/errors.js";
import type { DomainSpec } from "../spec.js";
import { isDeviceDisk, isFileDisk } from "./sources.js";

/** A guest's file or device disk names what this host does not have. */
export class DiskSourceError extends VirtfleetError {
  constructor(
    readonly domain: string,
    readonly problems: string[],
    host = "this host",
  ) {
    super(
      "DISK_SOURCE_MISSING",
      `domain ${domain}: ${problems.join("; ")} on ${host}: create it or fix the path; the guest was not defined or changed`,
    );
  }
}

/** `host`: how the error names the host ("host NAME"; default "this host"). */
export async function checkDiskSources(spec: DomainSpec, host = "this host"): Promise<void> {
  const problems: string[] = [];
  for (const [i, d] of spec.disks.entries()) {
    if (isFileDisk(d)) {
      const s = await stat(d.file).catch(() => null);
      if (s === null) problems.push(`disks[${i}].file ${JSON.stringify(d.file)} does not exist`);
      else if (!s.isFile() && !s.isBlockDevice())
        problems.push(`disks[${i}].file ${JSON.stringify(d.file)} is not a regular file`);
    } else if (isDeviceDisk(d)) {
      const s = await stat(d.device).catch(() => null);
      if (s === null) problems.push(`disks[${i}].device ${JSON.stringify(d.device)} does not exist`);
      else if (!s.isBlockDevice())
        problems.push(`disks[${i}].device ${JSON.stringify(d.device)} is not a block device`);
    }
  }
  if (problems.length > 0) throw new DiskSourceError(spec.name, problems, host);
}
