/** The metadata area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedMetadata {
  /** `<description>`; null when absent or empty. */
  description: string | null;
}
