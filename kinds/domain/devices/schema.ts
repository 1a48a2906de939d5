import { choice, oneOf } from "../../../policy-primitives/schema-builders.js";

/**
 * The devices area of the domain kind (everything under <devices> that is not a disk or a
 * NIC): graphics. Contract for additions: a new spec field is optional and left out by the
 * resolver when the policy does not set it (the spec hash of a guest that does not use it
 * stays the same).
 */

export const GRAPHICS = ["none", "vnc"] as const;

export const DEVICES_DOCUMENT_FIELDS = {
  graphics: choice(GRAPHICS, { description: "none | vnc (listens on 127.0.0.1 only). Default none." }),
};

export const DEVICES_SPEC_FIELDS = {
  graphics: oneOf(GRAPHICS),
};
