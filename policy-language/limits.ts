/**
 * Bounds on policy input, so a hostile or broken policies folder cannot exhaust memory or
 * block the process that loads it (the controller's event loop, `policy validate`,
 * `apply --local`). Each is checked before the YAML is parsed; a file over a bound is an
 * error naming the file and the bound, and (like any error) rejects the whole load.
 */
export const POLICY_LIMITS = {
  /** Largest policy or inventory file. */
  fileBytes: 1024 * 1024,
  /** Largest sum of the policy files of one load (a folder, or the paths given). */
  totalBytes: 16 * 1024 * 1024,
  /** Most policy files in one load. */
  files: 1_000,
  /** Deepest nesting of YAML collections (block, compact and flow); real policies need about 10. */
  nesting: 64,
  /** Most entries in one file (non-empty lines plus flow-collection items): bounds the parse time. */
  entries: 100_000,
  /** Alias expansion bound (billion-laughs documents), the yaml package's `maxAliasCount`. */
  aliasCount: 100,
} as const;

/** `1048576` → `1 MiB` (limits are whole KiB/MiB). */
export function formatLimitBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
