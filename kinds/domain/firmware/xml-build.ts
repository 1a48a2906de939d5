/** The firmware and boot area's XML (added to `<os>` and `<features>`). */
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";

export function buildFirmware(
  _spec: DomainSpec,
  _ctx: DomainBuildContext,
  _parts: DomainXmlParts,
  _where: string,
): void {}
