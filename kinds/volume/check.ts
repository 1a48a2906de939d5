import { checkAbsolutePath } from "../../policy-primitives/names.js";
import type { SpecChecker } from "../spec-checker.js";
import type { VolumeSpec } from "./spec.js";

/** The loader's value rules for a resolved volume (kinds/spec-checker.ts); a file URL names a clean absolute path; allocation ≤ capacity. */
export function checkVolumeSpec(c: SpecChecker, v: VolumeSpec): void {
  c.format(v.name, "name", "volumeName");
  c.format(v.pool, "pool", "resourceName");
  c.format(v.backingVolume, "backingVolume", "volumeName", true);
  if (v.cloneFrom !== undefined) c.format(v.cloneFrom, "cloneFrom", "volumeName");
  if (v.allocationBytes !== undefined && v.allocationBytes > v.capacityBytes)
    c.add("allocationBytes", "is more than capacityBytes");
  if (v.source) {
    c.format(v.source.url, "source.url", "url");
    c.format(v.source.sha256, "source.sha256", "sha256");
    if (typeof v.source.url === "string" && v.source.url.startsWith("file:")) {
      let pathname = "";
      try {
        pathname = decodeURIComponent(new URL(v.source.url).pathname);
      } catch {
        c.add("source.url", "is not a valid URL");
      }
      if (pathname && checkAbsolutePath(pathname) !== null)
        c.add("source.url", `a file URL names an absolute, normalised path (${checkAbsolutePath(pathname)})`);
    }
  }
}
