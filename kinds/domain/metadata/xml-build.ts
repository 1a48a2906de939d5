/**
 * The metadata area's XML: `<title>` and `<description>` — the spec's, or when the spec does
 * not manage one, the one the guest has (`ctx.keepTitle`, `ctx.keepDescription`), so a
 * redefinition keeps what the operator wrote. Labels go into virtfleet's own metadata element,
 * which the orchestrator builds (kinds/libvirt-xml/metadata.ts `metadataNode`).
 */
import { xmlString } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";

export function buildMetadata(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const title = spec.title ?? ctx.keepTitle ?? null;
  if (title) parts.domain.title = xmlString(title, `${where}: title`);
  const description = spec.description ?? ctx.keepDescription ?? null;
  if (description) parts.domain.description = xmlString(description, `${where}: description`);
}
