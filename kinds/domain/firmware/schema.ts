/**
 * The firmware and boot area of the domain kind. Contract for additions: a new spec field is
 * optional and left out by the resolver when the policy does not set it (the spec hash of a
 * guest that does not use it stays the same).
 */

export const FIRMWARE_DOCUMENT_FIELDS = {};

export const FIRMWARE_SPEC_FIELDS = {};
