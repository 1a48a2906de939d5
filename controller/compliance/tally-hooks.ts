import type { BundleService } from "../bundles/index.js";
import type { Ingestor } from "../ingest/index.js";
import type { ReplicaSignals } from "../replicas/index.js";
import type { ComplianceTally } from "./compliance-tally.js";

/**
 * Touches `tally` wherever a host's compliance may change (ComplianceTally's contract): every
 * host of a written ingest batch (events stored, or their store failed: the host becomes
 * unknown) and every host sent a bundle. With `signals` (replicas): also every host another
 * replica stored events of (`ingest` signals, controller/ingest/ingest-signals.ts), and a
 * full pass after a resync (signals may have been lost). What no hook announces is caught by
 * the full pass.
 */
export function touchOnChanges(
  tally: ComplianceTally,
  on: { ingestor: Ingestor; bundles: BundleService; signals?: ReplicaSignals },
): void {
  on.ingestor.onBatch((b) => {
    for (const changes of b.stored) for (const host of changes.lastEventSeq.keys()) tally.touch(host);
    for (const host of b.failedHosts) tally.touch(host);
  });
  on.bundles.onDelivered((host) => tally.touch(host));
  const signals = on.signals;
  if (!signals) return;
  signals.subscribe("ingest", (s) => {
    if (s.from !== signals.replica) for (const host of s.ids) tally.touch(host);
  });
  signals.onResync(() => tally.markStale());
}
