import { ValidationError } from "./errors.js";

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h` (or a plain number of milliseconds)
 * into milliseconds. Throws ValidationError naming the text on anything else.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === "number") {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new ValidationError(`invalid duration ${text}: must be a non-negative number of milliseconds`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new ValidationError(`invalid duration "${text}": use a number with ms, s, m or h (e.g. 30s)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"]);
}

/**
 * Parses a size such as `512MiB`, `10GiB` or a plain integer number of bytes.
 * Throws ValidationError naming the text on anything else (e.g. `10GB`: only binary units).
 */
export function parseSize(text: string | number): number {
  if (typeof text === "number") {
    if (Number.isSafeInteger(text) && text >= 0) return text;
    throw new ValidationError(`invalid size ${text}: must be a non-negative integer number of bytes`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|TiB)?\s*$/.exec(text);
  if (!m) throw new ValidationError(`invalid size "${text}": use an integer with KiB, MiB, GiB or TiB (e.g. 10GiB)`);
  const bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? ""];
  if (!Number.isSafeInteger(bytes)) throw new ValidationError(`invalid size "${text}": not a whole number of bytes`);
  return bytes;
}

/** Renders milliseconds as a short human duration (`850ms`, `12.5s`, `3m20s`, `2h5m`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}

/** Renders bytes with binary units (`1.5 GiB`). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
