import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Hypervisor, SecretRef, SecretUsageName } from "../../libvirt/index.js";
import { buildXml, child, parseXml, text, xmlString } from "../libvirt-xml/xml-io.js";
import { orNull } from "../resource-context.js";

/**
 * A libvirt secret object virtfleet keeps holding given content (read from a file named in a
 * policy): usage `usage`/`usageId`, private (libvirt never hands the value out over its API),
 * not ephemeral (kept across libvirtd restarts).
 *
 * Contract: the value is compared without reading it back — the secret's description carries
 * `virtfleet-hmac-sha256:SALT:MAC`, an HMAC-SHA256 of the content keyed by a random salt set
 * when the value was written. The value goes to libvirt only through setSecretValue; it is
 * never in a return value, an error, a change or a log line. Writing is ordered so a crash in
 * between is repaired: the value is set first, the description (with the new MAC) last.
 */
export interface ManagedSecret {
  usage: SecretUsageName;
  usageId: string;
  /** Human text before the MAC in the description (`virtfleet pool/p1 CHAP secret`). */
  description: string;
}

export type SecretState = "in-sync" | "missing" | "different";

const MAC_RE = /virtfleet-hmac-sha256:([0-9a-f]{32}):([0-9a-f]{64})/;

/** What the existing secret holds compared with `value`: in sync, missing, or different content. */
export async function secretState(hv: Hypervisor, s: ManagedSecret, value: Uint8Array): Promise<SecretState> {
  const ref = await orNull(hv.secretByUsage(s.usage, s.usageId));
  if (ref === null) return "missing";
  const desc = text(parseXml(await hv.secretXml(ref), "secret"), "description") ?? "";
  const m = MAC_RE.exec(desc);
  if (!m) return "different";
  const want = Buffer.from(m[2]!, "hex");
  const have = mac(m[1]!, value);
  return want.length === have.length && timingSafeEqual(want, have) ? "in-sync" : "different";
}

/** Makes the secret exist and hold `value`; returns its ref. */
export async function ensureSecret(hv: Hypervisor, s: ManagedSecret, value: Uint8Array): Promise<SecretRef> {
  let ref = await orNull(hv.secretByUsage(s.usage, s.usageId));
  if (ref === null) ref = await hv.defineSecret(secretXml(s, null, null));
  await hv.setSecretValue(ref, value);
  const salt = randomBytes(16).toString("hex");
  return hv.defineSecret(secretXml(s, ref.uuid, `virtfleet-hmac-sha256:${salt}:${mac(salt, value).toString("hex")}`));
}

/** Removes the secret if it exists. */
export async function removeSecret(hv: Hypervisor, s: Pick<ManagedSecret, "usage" | "usageId">): Promise<boolean> {
  const ref = await orNull(hv.secretByUsage(s.usage, s.usageId));
  if (ref === null) return false;
  await hv.undefineSecret(ref);
  return true;
}

/** The usage ID an existing secret XML names (for tests and adoption checks). */
export function secretUsageIdOf(xml: string): string | null {
  const usage = child(parseXml(xml, "secret"), "usage");
  return text(usage, "target") ?? text(usage, "name") ?? text(usage, "volume");
}

function mac(salt: string, value: Uint8Array): Buffer {
  return createHmac("sha256", Buffer.from(salt, "hex")).update(value).digest();
}

const USAGE_ELEMENT: Record<SecretUsageName, string> = {
  volume: "volume",
  ceph: "name",
  iscsi: "target",
  tls: "name",
  vtpm: "name",
};

function secretXml(s: ManagedSecret, uuid: string | null, tag: string | null): string {
  const description = tag === null ? s.description : `${s.description} ${tag}`;
  return buildXml("secret", {
    "@_ephemeral": "no",
    "@_private": "yes",
    ...(uuid !== null ? { uuid } : {}),
    description: xmlString(description, "secret description"),
    usage: { "@_type": s.usage, [USAGE_ELEMENT[s.usage]]: xmlString(s.usageId, "secret usage") },
  });
}
