import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, parseDuration, parseSize, ValidationError } from "../../../common/index.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1.5s", 1500],
    ["250", 250],
    [" 2s ", 2000],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "s", "5d", "-1s", "1 hour", "1e3"])("rejects %j with a message naming it", (text) => {
    expect(() => parseDuration(text)).toThrow(ValidationError);
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe("parseSize", () => {
  it.each([
    ["1024", 1024],
    ["1KiB", 1024],
    ["512MiB", 512 * 1024 ** 2],
    ["10GiB", 10 * 1024 ** 3],
    ["2TiB", 2 * 1024 ** 4],
    ["1.5GiB", 1.5 * 1024 ** 3],
  ])("%s → %d bytes", (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(["10GB", "1.5", "ten", "-1GiB", ""])("rejects %j", (text) =>
    expect(() => parseSize(text)).toThrow(ValidationError),
  );
});

describe("formatting", () => {
  it("renders durations and sizes compactly", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(12_500)).toBe("13s");
    expect(formatDuration(3_500)).toBe("3.5s");
    expect(formatDuration(200_000)).toBe("3m20s");
    expect(formatBytes(1536 * 1024 ** 2)).toBe("1.5 GiB");
    expect(formatBytes(100)).toBe("100 B");
  });
});
