/**
 * Counts refused enrolment attempts per client address in a sliding window, so a peer cannot
 * guess tokens at line rate. `blocked` says whether the address has used up its failures.
 */
export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    /** Addresses remembered at most (oldest forgotten first). */
    private readonly maxAddresses = 10_000,
  ) {}

  blocked(address: string): boolean {
    return this.recent(address).length >= this.maxFailures;
  }

  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, list);
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value as string);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(address);
    return list;
  }
}

/** The address part of a grpc-js peer string ("ipv4:1.2.3.4:567", "[::1]:567", "1.2.3.4:567"). */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, "");
  const v6 = /^\[([^\]]+)\]/.exec(p);
  if (v6) return v6[1];
  const i = p.lastIndexOf(":");
  return i > 0 ? p.slice(0, i) : p;
}
