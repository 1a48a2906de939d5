/**
 * IPv6 address arithmetic for the network kind: parse to a 128-bit integer, format in the
 * canonical text form (RFC 5952: lower case, no leading zeros, the longest run of two or
 * more zero groups as `::`, the first on a tie), which is what libvirt writes back (inet_ntop).
 * Contract: `parseIpv6` accepts hex groups with at most one `::`, no zone index and no
 * embedded IPv4 part; anything else is null.
 */
import { isIPv6 } from "node:net";

const ALL = (1n << 128n) - 1n;

export function parseIpv6(text: string): bigint | null {
  if (!isIPv6(text) || text.includes("%") || text.includes(".")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (all.length !== 8) return null;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

export function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The canonical form of `text`, or `text` unchanged when it is not an IPv6 address. */
export function canonicalIpv6(text: string): string {
  const v = parseIpv6(text);
  return v === null ? text : formatIpv6(v);
}

/** First and last address of the subnet `address/prefix` covers. */
export function subnet6(address: bigint, prefix: number): { network: bigint; last: bigint } {
  const hostBits = BigInt(128 - prefix);
  const mask = (ALL >> hostBits) << hostBits;
  const network = address & mask;
  return { network, last: network | (ALL ^ mask) };
}
