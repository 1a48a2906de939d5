import type { BundleService } from "../bundles/index.js";
import type { Ingestor } from "../ingest/index.js";
import type { ComplianceTally } from "./compliance-tally.js";

/**
 * Touches `tally` wherever a host's compliance may change (ComplianceTally's contract): every
 * host of a written ingest batch (events stored, or their store failed: the host becomes
 * unknown) and every host sent a bundle. What no hook announces is caught by the full pass.
 */
export function touchOnChanges(tally: ComplianceTally, on: { ingestor: Ingestor; bundles: BundleService }): void {
  on.ingestor.onBatch((b) => {
    for (const changes of b.stored) for (const host of changes.lastEventSeq.keys()) tally.touch(host);
    for (const host of b.failedHosts) tally.touch(host);
  });
  on.bundles.onDelivered((host) => tally.touch(host));
}
