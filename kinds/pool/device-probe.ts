import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { promisify } from "node:util";
import { VirtfleetError } from "../../common/errors.js";

const run = promisify(execFile);

/** What a block device holds, as `blkid -p` (low-level superblock probing) reports it. */
export interface DeviceContent {
  /** File system or other superblock type (`ext4`, `xfs`, `LVM2_member`, …), or null. */
  fsType: string | null;
  /** Partition table type (`gpt`, `dos`, …), or null. */
  ptType: string | null;
}

/** A pool's source device is missing or not a block device on this host. */
export class PoolDeviceError extends VirtfleetError {
  constructor(
    readonly pool: string,
    readonly device: string,
    detail: string,
  ) {
    super("POOL_DEVICE", `pool ${pool}: source device ${device} ${detail} on this host; nothing was applied`);
  }
}

/** Throws PoolDeviceError unless `device` exists and is a block device. */
export async function checkBlockDevice(pool: string, device: string): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(device);
  } catch {
    throw new PoolDeviceError(pool, device, "does not exist");
  }
  if (!st.isBlockDevice()) throw new PoolDeviceError(pool, device, "is not a block device");
}

/**
 * Probes `device` with `blkid -p -o export` (execFile, argv only, no shell; the device path
 * was checked to be under /dev). blkid exits 2 when it finds nothing: an empty device.
 * Contract: never writes to the device.
 */
export async function probeDevice(device: string): Promise<DeviceContent> {
  try {
    const { stdout } = await run("blkid", ["-p", "-o", "export", "--", device], { timeout: 30_000 });
    const fields = new Map(
      stdout
        .split("\n")
        .map((l) => l.split("="))
        .filter((kv) => kv.length >= 2)
        .map(([k, ...v]) => [k!, v.join("=")] as const),
    );
    return { fsType: fields.get("TYPE") ?? null, ptType: fields.get("PTTYPE") ?? null };
  } catch (err) {
    const e = err as { code?: number | string; stderr?: string };
    if (e.code === 2) return { fsType: null, ptType: null };
    throw new VirtfleetError(
      "POOL_DEVICE_PROBE",
      `cannot probe ${device} with blkid -p: ${String(e.stderr ?? err)
        .trim()
        .slice(0, 200)}`,
      { cause: err },
    );
  }
}

/** "a ext4 file system" / "a gpt partition table" / null for an empty device. */
export function describeContent(c: DeviceContent): string | null {
  if (c.ptType !== null) return `a ${c.ptType} partition table`;
  if (c.fsType !== null)
    return `${c.fsType === "LVM2_member" ? "an LVM physical volume" : `a ${c.fsType} file system`}`;
  return null;
}
