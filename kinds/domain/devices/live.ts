/**
 * What the devices area does against the host and the running guest, for the domain resource:
 * the graphics password (read from passwordFile, compared with the guest's as keyed digests
 * of the secure XML, changed live with update-device) and the live-class devices (rng: attach
 * / detach). See xml-diff.ts for which field is live.
 */
import { hostname } from "node:os";
import type { FieldChange } from "../../../common/changes.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import { buildXml } from "../../libvirt-xml/xml-io.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedDevices } from "./parsed.js";
import { graphicsPasswordDigests, parseDevices } from "./xml-parse.js";
import { passwordDigest, readPasswordFile } from "./password-file.js";
import { graphicsDeviceXml, rngNode } from "./xml-build.js";
import { child, parseXml } from "../../libvirt-xml/xml-io.js";

/** The field of a graphics password change (a secret field name: views redact its values anyway). */
export const GRAPHICS_PASSWORD_FIELD = "graphics.password";

/** The console password the spec asks for, read on this host; null when it names no file. Throws SecretFileError. */
export async function readGraphicsPassword(spec: DomainSpec, host = hostname()): Promise<string | null> {
  const g = spec.graphics;
  if (typeof g === "string" || g.passwordFile === undefined) return null;
  return readPasswordFile(g.passwordFile, g.type, host);
}

/**
 * The `graphics.password` change, or none: compares the password the spec asks for (`want`,
 * null = none) with the guest's definition and, when it runs, its live console (secure XML:
 * libvirt returns `passwd` only with VIR_DOMAIN_XML_SECURE). Only when the console itself
 * (`graphics` type/listen) is unchanged — otherwise the new console brings its password. The
 * change carries no value, digest or length: from/to say only which side differs.
 */
export async function diffGraphicsPassword(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  want: string | null,
  running: boolean,
  config: readonly FieldChange[],
): Promise<FieldChange[]> {
  if (spec.graphics === "none" || config.some((c) => c.field === "graphics")) return [];
  const desired = passwordDigest(want);
  const inactive = graphicsPasswordDigests(await hv.domainXml(ref, { inactive: true, secure: true }));
  const live = running ? graphicsPasswordDigests(await hv.domainXml(ref, { secure: true })) : [desired];
  const where = [inactive[0] !== desired ? "definition" : null, live[0] !== desired ? "running guest" : null].filter(
    Boolean,
  );
  if (where.length === 0) return [];
  const from = `a different password in the ${where.join(" and ")}`;
  const to =
    typeof spec.graphics === "object" && spec.graphics.passwordFile !== undefined
      ? `the password in ${spec.graphics.passwordFile}`
      : "no password";
  return [{ field: GRAPHICS_PASSWORD_FIELD, from, to, disruption: "live" }];
}

/**
 * Applies the devices area's live changes to the running guest (the definition already has
 * them): `rng` attached or detached, `graphics.password` set with update-device. Returns the
 * fields the running guest does not have yet (an unplug the guest has not completed; a hot-plug
 * libvirt refused, e.g. no free PCIe port): they wait for the next restart.
 */
export async function applyDevicesLive(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  changes: readonly FieldChange[],
  password: string | null,
): Promise<string[]> {
  const live = { live: true, config: false };
  const pending: string[] = [];
  for (const c of changes) {
    if (c.field === GRAPHICS_PASSWORD_FIELD) {
      const xml = graphicsDeviceXml(spec, password === null ? {} : { graphicsPassword: password });
      if (xml !== null) await hv.updateDevice(ref, xml, live);
    } else if (c.field === "rng") {
      const xml = buildXml("rng", rngNode());
      try {
        if (c.to === true) await hv.attachDevice(ref, xml, live);
        else await hv.detachDevice(ref, xml, live);
      } catch {
        pending.push(c.field);
        continue;
      }
      const now = liveDevices(await hv.domainXml(ref));
      if (now.rngs.length > 0 !== (c.to === true)) pending.push(c.field);
    }
  }
  return pending;
}

function liveDevices(xml: string): ParsedDevices {
  return parseDevices(child(parseXml(xml, "domain"), "devices"));
}
