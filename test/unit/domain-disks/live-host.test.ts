/**
 * The disks area on the agent side: iotune changes become one virDomainSetBlockIoTune per
 * disk (all six limits, 0 for absent ones, live + config, on the disk's target); file and
 * device sources the host does not have fail the plan naming the host and the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FieldChange } from "../../../common/changes.js";
import {
  applyDisksLive,
  blockIoTuneParams,
  checkDiskSources,
  DiskSourceError,
} from "../../../kinds/domain/disks/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import * as S from "../xml/specs.js";

const spec = (disks: DomainSpec["disks"]): DomainSpec => ({ ...S.tinyDomain(), disks });
const dir = mkdtempSync(join(tmpdir(), "vft-disks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("iotune applied live", () => {
  it("all six limits, 0 for those left out", () => {
    expect(blockIoTuneParams({ totalIopsSec: 10, writeBytesSec: 20 })).toEqual({
      total_iops_sec: 10,
      read_iops_sec: 0,
      write_iops_sec: 0,
      total_bytes_sec: 0,
      read_bytes_sec: 0,
      write_bytes_sec: 20,
    });
    expect(Object.values(blockIoTuneParams(undefined))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("one call per changed disk, on its target, live and config; other changes untouched", async () => {
    const calls: unknown[][] = [];
    const hv = { setBlockIoTune: async (...a: unknown[]) => void calls.push(a) } as unknown as Hypervisor;
    const ref: DomainRef = { name: "g", uuid: "00000000-0000-0000-0000-000000000001", id: 1 };
    const s = spec([
      { file: "/a.img", format: "raw", bus: "sata" },
      { file: "/b.img", format: "raw", bus: "virtio", iotune: { readIopsSec: 5 } },
    ]);
    const change = (field: string): FieldChange => ({ field, from: null, to: null, disruption: "live" });
    const done = await applyDisksLive(hv, ref, s, [
      change("disks[1].iotune"),
      change("disks[2]"),
      change("disks[0].iotune"),
    ]);
    expect(done).toEqual(["disks[1].iotune", "disks[0].iotune"]);
    expect(calls).toEqual([
      [ref, "vda", blockIoTuneParams({ readIopsSec: 5 }), { live: true, config: true }],
      [ref, "sda", blockIoTuneParams(undefined), { live: true, config: true }],
    ]);
  });
});

describe("file and device sources checked on the host (plan stage)", () => {
  it("an existing file and a block device pass", async () => {
    const img = join(dir, "a.img");
    writeFileSync(img, "");
    await expect(
      checkDiskSources(spec([{ file: img, format: "raw", bus: "virtio" }]), "host h1"),
    ).resolves.toBeUndefined();
  });

  it("a missing file, a missing device and a device that is not a block device are named with the host", async () => {
    const s = spec([
      { pool: "p", volume: "v", bus: "virtio" },
      { file: join(dir, "missing.img"), format: "raw", bus: "virtio" },
      { device: "/dev/vft-no-such-device", bus: "virtio" },
      { device: "/dev/null", bus: "virtio" },
    ]);
    const err = await checkDiskSources(s, "host h1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskSourceError);
    expect((err as Error).message).toBe(
      `domain ${s.name}: disks[1].file ${JSON.stringify(join(dir, "missing.img"))} does not exist; ` +
        'disks[2].device "/dev/vft-no-such-device" does not exist; disks[3].device "/dev/null" is not a block device ' +
        "on host h1: create it or fix the path; the guest was not defined or changed",
    );
  });
});
