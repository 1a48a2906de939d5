import { createHash } from "node:crypto";

/**
 * The MAC of a domain's interface that the policy does not pin: `52:54:00` (QEMU's prefix,
 * unicast and locally administered) followed by the first 3 bytes of
 * sha256(`${domain}/${index}`), lower-case. Stable across hosts, runs and versions.
 */
export function deriveMac(domain: string, index: number): string {
  const digest = createHash("sha256").update(`${domain}/${index}`, "utf8").digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => digest[i].toString(16).padStart(2, "0"))].join(":");
}
