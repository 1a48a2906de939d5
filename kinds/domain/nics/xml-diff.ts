/**
 * The NICs area's diff: NICs matched by MAC (case-insensitive), in any order.
 *
 * Disruption on a RUNNING guest:
 * - attaching or detaching a NIC: `live` (hot-plug, kinds/domain/resource.ts);
 * - `bandwidth` and `link`: `live` (live.ts updates the running NIC);
 * - the source (`network` / `bridge` / `direct`, reported under the desired one's name),
 *   `portgroup`, `macvtapMode`, `model`, `vlan`, `queues`, `bootIndex`: `restart`.
 *
 * Compared canonically: a NIC without `link` is up (libvirt writes no `<link>`), a direct NIC
 * without `macvtapMode` is `vepa` (what libvirt writes), a NIC without `bandwidth` has no
 * limits, a rate's absent peak/burst is none; MACs lower-case.
 */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedInterface, ParsedNicRate, ParsedNics } from "./parsed.js";
import type { InterfaceSpec, NicRateSpec } from "./schema.js";
import type { NicIdentity } from "./xml-build.js";

/** A direct NIC's mode when libvirt was given none. */
export const LIBVIRT_DEFAULT_MACVTAP_MODE = "vepa";

export function diffNics(desired: DomainSpec, actual: ParsedNics, add: AddChange): void {
  const byMac = new Map(actual.interfaces.map((n) => [n.mac, n]));
  const wanted = new Set<string>();
  desired.interfaces.forEach((n, i) => {
    const mac = n.mac.toLowerCase();
    wanted.add(mac);
    const got = byMac.get(mac);
    if (got === undefined) return add(`interfaces[${i}]`, null, specView(n), "live");
    diffNic(n, got, `interfaces[${i}]`, add);
  });
  for (const got of actual.interfaces) {
    if (!wanted.has(got.mac)) add(`interfaces[${got.mac}]`, parsedView(got), null, "live");
  }
}

function diffNic(n: InterfaceSpec, got: ParsedInterface, at: string, add: AddChange): void {
  const kind = n.network !== undefined ? "network" : n.bridge !== undefined ? "bridge" : "direct";
  const name = n[kind] ?? null;
  const sameType = got.type === kind;
  if (!sameType || got[kind] !== name)
    add(`${at}.${kind}`, sameType ? got[kind] : `${got.type}:${sourceName(got) ?? ""}`, name, "restart");
  if (sameType && kind === "network" && got.portgroup !== (n.portgroup ?? null))
    add(`${at}.portgroup`, got.portgroup, n.portgroup ?? null, "restart");
  if (sameType && kind === "direct") {
    const want = n.macvtapMode ?? LIBVIRT_DEFAULT_MACVTAP_MODE;
    if (got.macvtapMode !== want) add(`${at}.macvtapMode`, got.macvtapMode, want, "restart");
  }
  if (got.model !== n.model) add(`${at}.model`, got.model, n.model, "restart");
  const vlanGot = vlanView(got);
  if (got.vlanTrunk || got.vlanTags.length > 1 || vlanGot !== (n.vlan ?? null))
    add(`${at}.vlan`, vlanGot, n.vlan ?? null, "restart");
  const bwWant = { inbound: rateView(n.bandwidth?.inbound), outbound: rateView(n.bandwidth?.outbound) };
  const bwGot = { inbound: got.inbound, outbound: got.outbound };
  if (JSON.stringify(bwWant) !== JSON.stringify(bwGot))
    add(`${at}.bandwidth`, bandwidthView(bwGot), bandwidthView(bwWant), "live");
  if ((got.link ?? "up") !== (n.link ?? "up")) add(`${at}.link`, got.link ?? "up", n.link ?? "up", "live");
  if (got.bootIndex !== (n.bootIndex ?? null)) add(`${at}.bootIndex`, got.bootIndex, n.bootIndex ?? null, "restart");
  if (got.queues !== (n.queues ?? null)) add(`${at}.queues`, got.queues, n.queues ?? null, "restart");
}

function sourceName(got: ParsedInterface): string | null {
  return got.network ?? got.bridge ?? got.direct;
}

/** One tag → its id; none → null; a trunk or several tags → `trunk:20,30` / `20,30`. */
function vlanView(got: ParsedInterface): number | string | null {
  if (got.vlanTags.length === 0) return got.vlanTrunk ? "trunk:" : null;
  if (!got.vlanTrunk && got.vlanTags.length === 1) return got.vlanTags[0]!;
  return `${got.vlanTrunk ? "trunk:" : ""}${got.vlanTags.join(",")}`;
}

/** A rate with absent peak/burst as null, in the parsed shape (key order fixed). */
function rateView(r: NicRateSpec | undefined): ParsedNicRate | null {
  return r === undefined ? null : { average: r.average, peak: r.peak ?? null, burst: r.burst ?? null };
}

function bandwidthView(b: { inbound: ParsedNicRate | null; outbound: ParsedNicRate | null }): unknown {
  return b.inbound === null && b.outbound === null ? null : b;
}

/** What an added NIC's change shows: its source, model and MAC. */
function specView(n: InterfaceSpec): NicIdentity & { model: string } {
  if (n.bridge !== undefined) return { bridge: n.bridge, model: n.model, mac: n.mac.toLowerCase() };
  if (n.direct !== undefined) return { direct: n.direct, model: n.model, mac: n.mac.toLowerCase() };
  return { network: n.network ?? null, model: n.model, mac: n.mac.toLowerCase() };
}

/** What a removed NIC's change carries: enough to detach it (interfaceDetachXml) and show it. */
function parsedView(got: ParsedInterface): NicIdentity & { model: string | null } {
  if (got.type === "bridge") return { bridge: got.bridge, model: got.model, mac: got.mac };
  if (got.type === "direct") return { direct: got.direct, model: got.model, mac: got.mac };
  if (got.type === "network") return { network: got.network, model: got.model, mac: got.mac };
  return { type: got.type, network: null, model: got.model, mac: got.mac };
}
