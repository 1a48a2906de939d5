/**
 * Benchmark-only preload for the controller process (`node --import <this file>`): once a second it
 * overwrites the file named by VIRTFLEET_BENCH_MEMORY_PROBE with one JSON object, the process's
 * memory by kind (bytes). `native` is what is resident and anonymous but neither V8's heap nor
 * memory V8 knows to be external: malloc'd memory of OpenSSL, nghttp2, libuv, SQLite and Node.
 * It is never loaded by the product.
 */
import { renameSync, writeFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
import { sampleProc } from "../lib/proc-sample.js";

export type MemorySample = {
  rssBytes: number;
  anonBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  nativeBytes: number;
  /** V8's heap by space (new_space, old_space, code_space, large_object_space, …): committed and used bytes. */
  heapSpaces: Record<string, { sizeBytes: number; usedBytes: number }>;
};

const out = process.env.VIRTFLEET_BENCH_MEMORY_PROBE;

function sample(): MemorySample {
  const m = process.memoryUsage();
  const anonBytes = sampleProc(process.pid).rssAnonKb * 1024;
  const heapSpaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, { sizeBytes: s.space_size, usedBytes: s.space_used_size }]),
  );
  return {
    rssBytes: m.rss,
    anonBytes,
    heapTotalBytes: m.heapTotal,
    heapUsedBytes: m.heapUsed,
    externalBytes: m.external,
    nativeBytes: Math.max(0, anonBytes - m.heapTotal - m.external),
    heapSpaces,
  };
}

if (out) {
  setInterval(() => {
    writeFileSync(`${out}.tmp`, JSON.stringify(sample()));
    renameSync(`${out}.tmp`, out);
  }, 1_000).unref();
}
