import { describe, expect, it } from "vitest";
import { redactUrl, throttledProgress, type ProgressEvent } from "../../../kinds/volume/import/index.js";
import { formatProgress } from "../../../cli/commands/apply.js";

describe("redactUrl", () => {
  it("hides userinfo and keeps everything else", () => {
    expect(redactUrl("https://user:pa%40ss@images.example/a/b.qcow2?x=1")).toBe(
      "https://***@images.example/a/b.qcow2?x=1",
    );
    expect(redactUrl("http://token@10.0.0.1:8080/i.img")).toBe("http://***@10.0.0.1:8080/i.img");
    expect(redactUrl("http://images.example/i.img")).toBe("http://images.example/i.img");
    expect(redactUrl("file:///srv/images/debian.qcow2")).toBe("file:///srv/images/debian.qcow2");
  });
  it("does not echo what it cannot parse", () => {
    expect(redactUrl("http://us er:pw@[bad")).toBe("<unparsable URL>");
  });
});

describe("throttledProgress", () => {
  const base = { resource: "volume/p/v", phase: "download" as const, total: 100 };

  it("reports at most once per interval, the first update and finish always", () => {
    let clock = 0;
    const seen: ProgressEvent[] = [];
    const p = throttledProgress(
      (e) => seen.push(e),
      base,
      250,
      () => clock,
    );
    for (clock = 0; clock <= 1000; clock += 10) p.update(clock / 10);
    p.finish(100);
    expect(seen.map((e) => e.bytes)).toEqual([0, 25, 50, 75, 100, 100]);
    expect(seen[0]).toEqual({ ...base, bytes: 0 });
  });

  it("a total given with an update replaces the base's", () => {
    const seen: ProgressEvent[] = [];
    const p = throttledProgress((e) => seen.push(e), { ...base, total: null });
    p.update(5, 50);
    p.finish(50);
    p.finish(60, 60);
    expect(seen.map((e) => [e.bytes, e.total])).toEqual([
      [5, 50],
      [50, null],
      [60, 60],
    ]);
  });

  it("a throwing reporter never fails the work", () => {
    const p = throttledProgress(() => {
      throw new Error("tty gone");
    }, base);
    expect(() => {
      p.update(1);
      p.finish(2);
    }).not.toThrow();
  });

  it("without a reporter it is a no-op", () => {
    const p = throttledProgress(undefined, base);
    p.update(1);
    p.finish(1);
  });
});

describe("formatProgress (apply's progress line)", () => {
  it("renders each phase", () => {
    const mib = 1024 * 1024;
    expect(
      formatProgress({ resource: "volume/vf-pool/base.qcow2", phase: "download", bytes: 45.2 * mib, total: 300 * mib }),
    ).toBe("  importing vf-pool/base.qcow2: 45.2 MiB / 300.0 MiB (15%)");
    expect(formatProgress({ resource: "volume/p/v", phase: "download", bytes: 2048, total: null })).toBe(
      "  importing p/v: 2.0 KiB",
    );
    expect(formatProgress({ resource: "volume/p/v", phase: "verify", bytes: mib, total: mib })).toBe(
      "  verifying p/v: 1.0 MiB / 1.0 MiB (100%)",
    );
    expect(formatProgress({ resource: "volume/p/v", phase: "resize", bytes: 16 * mib, total: 64 * mib })).toBe(
      "  resizing p/v: 16.0 MiB → 64.0 MiB",
    );
  });
});
