import { Type } from "@sinclair/typebox";
import { map, text } from "../../../policy-primitives/schema-builders.js";

/**
 * The metadata area of the domain kind: what describes the guest without changing it
 * (title, description, labels). Contract for additions: a new spec field is optional and left
 * out by the resolver when the policy does not set it (the spec hash of a guest that does not
 * use it stays the same). None of them is part of the spec hash (resource.ts): each is
 * compared on its own and changed live.
 */

export const METADATA_DOCUMENT_FIELDS = {
  title: text(
    "A short title (libvirt's <title>, `virsh desc --title`), one line; changed live. Default: not managed (whatever the guest has is kept).",
    256,
  ),
  description: text(
    "Free text about the guest (libvirt's <description>, `virsh desc`); changed live. Default: not managed (whatever the guest has is kept).",
  ),
  labels: map(
    "labelKey",
    Type.String({ maxLength: 256, description: "label value" }),
    "Labels: key → string value, kept in virtfleet's own metadata namespace of the guest and shown by `virtfleet host NAME` and `apply`; keys as inventory labels. Changed live. Default {} (none).",
  ),
};

export const METADATA_SPEC_FIELDS = {
  /** libvirt's <title>; absent = not managed (kept as the guest has it). */
  title: Type.Optional(Type.String()),
  /** libvirt's <description>; absent = not managed (kept as the guest has it). */
  description: Type.Optional(Type.String()),
  /** Labels in virtfleet's metadata element; absent = none (only virtfleet writes that element). */
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
};
