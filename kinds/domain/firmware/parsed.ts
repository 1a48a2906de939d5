/** The firmware and boot area of a ParsedDomain (see ../parsed.ts). */

// biome-ignore lint/suspicious/noEmptyInterface: the area's fields are added with its features
export interface ParsedFirmware {}
