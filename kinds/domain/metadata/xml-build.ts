/**
 * The metadata area's XML: `<description>` — the spec's, or when the spec does not manage it,
 * the one the guest has (`ctx.keepDescription`), so a redefinition keeps what the operator wrote.
 */
import { xmlString } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";

export function buildMetadata(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const description = spec.description ?? ctx.keepDescription ?? null;
  if (description) parts.domain.description = xmlString(description, `${where}: description`);
}
