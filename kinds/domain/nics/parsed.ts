/** The NICs area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedInterface {
  /** Lower-case. */
  mac: string;
  /** `<interface type=…>`: `network`, `bridge`, … */
  type: string;
  /** Source network (type network) or bridge (type bridge). */
  network: string | null;
  model: string | null;
}

export interface ParsedNics {
  interfaces: ParsedInterface[];
}
