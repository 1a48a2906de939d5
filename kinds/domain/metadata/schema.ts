import { Type } from "@sinclair/typebox";
import { text } from "../../../policy-primitives/schema-builders.js";

/**
 * The metadata area of the domain kind: what describes the guest without changing it
 * (description). Contract for additions: a new spec field is optional and left out by the
 * resolver when the policy does not set it (the spec hash of a guest that does not use it
 * stays the same).
 */

export const METADATA_DOCUMENT_FIELDS = {
  description: text(
    "Free text about the guest (libvirt's <description>, `virsh desc`); changed live. Default: not managed (whatever the guest has is kept).",
  ),
};

export const METADATA_SPEC_FIELDS = {
  /** libvirt's <description>; absent = not managed (kept as the guest has it). */
  description: Type.Optional(Type.String()),
};
