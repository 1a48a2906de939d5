/** One progress report of a long-running resource step. `total` is null when unknown. */
export interface ProgressEvent {
  /** The resource id (`volume/pool/name`). */
  resource: string;
  phase: "download" | "verify" | "resize";
  bytes: number;
  total: number | null;
}

export type ProgressReporter = (e: ProgressEvent) => void;

/** At most four reports a second. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/**
 * Rate-limits a byte counter: `update(bytes, total?)` reports at most once per `intervalMs` (the
 * first call always reports), `finish(bytes, total?)` always reports; a given `total` replaces the
 * base's. A throwing reporter is ignored: progress
 * never fails the work it describes.
 */
export function throttledProgress(
  report: ProgressReporter | undefined,
  base: Omit<ProgressEvent, "bytes">,
  intervalMs = DEFAULT_PROGRESS_INTERVAL_MS,
  now: () => number = Date.now,
): { update(bytes: number, total?: number | null): void; finish(bytes: number, total?: number | null): void } {
  let last = -Infinity;
  const emit = (bytes: number, total: number | null | undefined) => {
    last = now();
    try {
      report?.({ ...base, bytes, total: total === undefined ? base.total : total });
    } catch {
      // progress is advisory
    }
  };
  return {
    update(bytes, total) {
      if (report && now() - last >= intervalMs) emit(bytes, total);
    },
    finish(bytes, total) {
      if (report) emit(bytes, total);
    },
  };
}
