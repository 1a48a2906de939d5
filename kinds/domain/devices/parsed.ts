/** The devices area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedGraphics {
  type: string;
  /** Listen address (attribute or first `<listen type='address'>`), null when absent. */
  listen: string | null;
}

export interface ParsedDevices {
  graphics: ParsedGraphics[];
}
