/**
 * The "actual" side of the pool kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

/** Credentials as libvirt holds them: the user and the secret object's usage ID. */
export interface ParsedCredentials {
  username: string | null;
  /** `<secret usage='…'/>` (null when the pool refers to the secret by UUID or not at all). */
  usage: string | null;
}

/** The source fields libvirt reports, under the policy's names (types.ts). */
export interface ParsedPoolSource {
  device?: string;
  devices?: string[];
  format?: string;
  name?: string;
  host?: string;
  hosts?: string[];
  port?: number;
  dir?: string;
  target?: string;
  initiator?: string;
  chap?: ParsedCredentials;
  auth?: ParsedCredentials;
}

export interface ParsedPool {
  name: string;
  uuid: string | null;
  type: string;
  path: string | null;
  source: ParsedPoolSource;
}
