/** The metadata area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedMetadata {
  /** `<title>`; null when absent or empty. */
  title: string | null;
  /** `<description>`; null when absent or empty. */
  description: string | null;
  /** The labels in virtfleet's metadata element ({} when none). */
  labels: Record<string, string>;
}
