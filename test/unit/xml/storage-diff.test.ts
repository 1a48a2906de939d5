import { describe, expect, it } from "vitest";
import { diffPool, diffVolume, effectiveCapacity, parsePoolXml, parseVolumeXml } from "../../../kinds/index.js";
import { fixture } from "./fixtures.js";
import * as S from "./specs.js";

describe("diffPool", () => {
  it("a different path is recreate; a different UUID too", () => {
    const p = parsePoolXml(fixture("pool-dir.xml"));
    expect(diffPool({ ...S.dirPool(), path: "/srv/elsewhere" }, p)).toEqual([
      { field: "path", from: S.FIXTURE_POOL_PATH, to: "/srv/elsewhere", disruption: "recreate" },
    ]);
    expect(diffPool(S.dirPool(), p, { uuid: "00000000-0000-0000-0000-000000000000" })[0]).toMatchObject({
      field: "uuid",
      disruption: "recreate",
    });
    expect(diffPool(S.dirPool(), { ...p, type: "logical" })[0]).toMatchObject({
      field: "type",
      from: "logical",
      to: "dir",
      disruption: "recreate",
    });
  });
});

describe("diffVolume", () => {
  const over = () => parseVolumeXml(fixture("volume-overlay.xml"));
  it("capacity grow is live (vol-resize)", () => {
    expect(diffVolume({ ...S.overlayVolume(), capacityBytes: 4 * 1024 * 1024 }, over())).toEqual([
      { field: "capacity", from: 2 * 1024 * 1024, to: 4 * 1024 * 1024, disruption: "live" },
    ]);
  });
  it("capacity shrink is recreate and destructive", () => {
    expect(diffVolume({ ...S.overlayVolume(), capacityBytes: 1024 * 1024 }, over())).toEqual([
      { field: "capacity", from: 2 * 1024 * 1024, to: 1024 * 1024, disruption: "recreate", destructive: true },
    ]);
  });
  it("qcow2 capacity is compared after rounding up to 512 (raw is exact)", () => {
    expect(effectiveCapacity("qcow2", 1000)).toBe(1024);
    expect(effectiveCapacity("qcow2", 1024)).toBe(1024);
    expect(effectiveCapacity("raw", 1000)).toBe(1000);
    expect(diffVolume({ ...S.baseVolume(), capacityBytes: 1023 }, parseVolumeXml(fixture("volume-base.xml")))).toEqual(
      [],
    );
    expect(
      diffVolume({ ...S.baseVolume(), capacityBytes: 1025 }, parseVolumeXml(fixture("volume-base.xml")))[0],
    ).toMatchObject({ field: "capacity", disruption: "live" });
  });
  it("format change is recreate and destructive", () => {
    expect(diffVolume({ ...S.rawVolume(), format: "qcow2" }, parseVolumeXml(fixture("volume-raw.xml")))).toEqual([
      { field: "format", from: "raw", to: "qcow2", disruption: "recreate", destructive: true },
    ]);
  });
  it("backing: added, removed, other volume, other path, other format", () => {
    const base = parseVolumeXml(fixture("volume-base.xml"));
    expect(diffVolume({ ...S.baseVolume(), backingVolume: "x.qcow2" }, base)).toEqual([
      { field: "backingVolume", from: null, to: "x.qcow2", disruption: "recreate", destructive: true },
    ]);
    expect(diffVolume({ ...S.overlayVolume(), backingVolume: null }, over())).toEqual([
      {
        field: "backingVolume",
        from: `${S.FIXTURE_POOL_PATH}/base.qcow2`,
        to: null,
        disruption: "recreate",
        destructive: true,
      },
    ]);
    expect(diffVolume({ ...S.overlayVolume(), backingVolume: "other.qcow2" }, over()).map((c) => c.field)).toEqual([
      "backingVolume",
    ]);
    expect(diffVolume(S.overlayVolume(), over(), { backingPath: "/elsewhere/base.qcow2" })[0]).toMatchObject({
      from: `${S.FIXTURE_POOL_PATH}/base.qcow2`,
      to: "/elsewhere/base.qcow2",
    });
    expect(diffVolume(S.overlayVolume(), over(), { backingFormat: "raw" }).map((c) => c.field)).toEqual([
      "backingVolume",
    ]);
  });
});
