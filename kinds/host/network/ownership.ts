import type { Link } from "./links.js";

/**
 * Who owns a host interface. The libvirt kinds keep records in the agent's state; a host
 * interface carries its own marker instead, so ownership survives a lost state folder and is
 * visible to an operator (`ip link show` prints it):
 * - the interface alias (`ip link set NAME alias …`): CREATED_ALIAS on what virtfleet created,
 *   ADOPTED_ALIAS on a pre-existing interface taken over with `adopt: true`;
 * - the persistent file virtfleet writes for it (persist/*.ts), whose first line says the
 *   same: after a reboot the host's network service recreates the interface without an
 *   alias, and the file still says whose it is (the alias is then set again).
 * An interface with neither is not virtfleet's: declaring it without `adopt: true` is a
 * conflict; dropping it from the policy never touches it.
 */
export const CREATED_ALIAS = "virtfleet:created";
export const ADOPTED_ALIAS = "virtfleet:adopted";

export type Ownership = "created" | "adopted" | "foreign";

/** `persisted`: what the persistent file for this name says (null when there is none). */
export function ownershipOf(link: Link, persisted: "created" | "adopted" | null): Ownership {
  if (link.alias === CREATED_ALIAS) return "created";
  if (link.alias === ADOPTED_ALIAS) return "adopted";
  if (link.alias === null && persisted !== null) return persisted;
  return "foreign";
}

export function aliasFor(o: "created" | "adopted"): string {
  return o === "created" ? CREATED_ALIAS : ADOPTED_ALIAS;
}
