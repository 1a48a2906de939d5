import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { virsh } from "./virsh.js";

const run = promisify(execFile);

/**
 * A /24 (as its third octet in 192.168.X.0) that no host interface and no libvirt network
 * uses right now. Tests define libvirt networks on it; no traffic leaves the machine.
 */
export async function freeSubnet24(from = 160, to = 249): Promise<number> {
  const used = new Set<number>();
  const { stdout } = await run("ip", ["-4", "-o", "addr"]);
  for (const m of stdout.matchAll(/inet 192\.168\.(\d+)\./g)) used.add(Number(m[1]));
  for (const net of (await virsh("net-list", "--all", "--name")).split("\n").filter(Boolean)) {
    const xml = await virsh("net-dumpxml", net);
    for (const m of xml.matchAll(/address='192\.168\.(\d+)\./g)) used.add(Number(m[1]));
  }
  const candidates = [];
  for (let x = from; x <= to; x++) if (!used.has(x)) candidates.push(x);
  if (candidates.length === 0) throw new Error("no free 192.168.X.0/24 for a test network");
  return candidates[Math.floor(Math.random() * candidates.length)];
}
