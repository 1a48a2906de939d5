import { Type, type Static } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject, tpl } from "../../../policy-primitives/schema-builders.js";

/**
 * The NICs area of the domain kind: `interfaces[]`. Contract for additions: a new spec field
 * is optional and left out by the resolver when the policy does not set it (the spec hash of
 * a guest that does not use it stays the same).
 */

export const NIC_MODELS = ["virtio", "e1000", "e1000e", "rtl8139"] as const;

export const InterfaceDocumentSchema = obj(
  {
    network: tpl("resourceName", "the name of a network"),
    model: choice(NIC_MODELS, { description: "virtio | e1000 | e1000e | rtl8139. Default virtio." }),
    mac: tpl("mac", "a unicast MAC address (aa:bb:cc:dd:ee:ff)"),
  },
  ["network"],
  {
    description: 'A NIC. Without mac, one is derived: 52:54:00 + the first 3 bytes of sha256("<domain>/<index>").',
  },
);

export const NICS_DOCUMENT_FIELDS = {
  interfaces: list(InterfaceDocumentSchema, "Default []."),
};

export const InterfaceSpecSchema = resolvedObject({
  network: Type.String(),
  model: oneOf(NIC_MODELS),
  /** Always set: pinned by the policy or derived stably from domain name + index. */
  mac: Type.String(),
});
export type InterfaceSpec = Static<typeof InterfaceSpecSchema>;

export const NICS_SPEC_FIELDS = {
  interfaces: Type.Array(InterfaceSpecSchema),
};
