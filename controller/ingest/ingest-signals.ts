import { describeError, type Logger } from "../../common/index.js";
import type { ReplicaSignals } from "../replicas/index.js";
import type { IngestBatch, Ingestor } from "./ingestor.js";

/**
 * What other replicas are told after each batch `ingestor` committed (Ingestor.onBatch: after
 * the commit and the acknowledgements):
 * - `drift`: the ids of the drift states it stored, in the batch's order (an id stored twice
 *   in the batch: at its last position), read back by the other replicas' DriftRelay;
 * - `ingest`: the hosts whose events it stored (their compliance may have changed: the other
 *   replicas touch their compliance tally, controller/compliance/tally-hooks.ts).
 * Publishes go out one after the other (a batch's signals never overtake an earlier batch's)
 * without holding up the next batch; a publish that fails is logged (receivers catch up on
 * their next resync or full pass).
 */
export function signalIngest(ingestor: Ingestor, signals: ReplicaSignals, log: Logger): { idle(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  ingestor.onBatch((b) => {
    const { drift, hosts } = signalled(b);
    if (drift.length === 0 && hosts.length === 0) return;
    chain = chain.then(async () => {
      try {
        if (drift.length > 0) await signals.publish("drift", drift);
        if (hosts.length > 0) await signals.publish("ingest", hosts);
      } catch (err) {
        log.warn({ err: describeError(err) }, "telling the other replicas about stored events failed");
      }
    });
  });
  return { idle: () => chain };
}

/** The drift ids (last occurrence order) and hosts a batch stored. */
export function signalled(b: IngestBatch): { drift: string[]; hosts: string[] } {
  const ids: string[] = [];
  const hosts = new Set<string>();
  for (const changes of b.stored) {
    for (const c of changes.drift) ids.push(c.drift.id);
    for (const host of changes.lastEventSeq.keys()) hosts.add(host);
  }
  return { drift: lastOccurrences(ids), hosts: [...hosts] };
}

/** `ids` without repeats, each at its last position (a row read once shows the id's newest state). */
export function lastOccurrences(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = ids.length - 1; i >= 0; i--) {
    const id = ids[i]!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out.reverse();
}
