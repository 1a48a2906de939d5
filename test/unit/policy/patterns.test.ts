import { describe, expect, it } from "vitest";
import { expandHostPattern, HostPattern, HostPatternError, matchesHostPattern } from "../../../common/index.js";

describe("host patterns", () => {
  it.each([
    ["kvm[1:3].lab", ["kvm1.lab", "kvm2.lab", "kvm3.lab"]],
    ["kvm[01:04].lab", ["kvm01.lab", "kvm02.lab", "kvm03.lab", "kvm04.lab"]],
    ["srv[a:d].lab", ["srva.lab", "srvb.lab", "srvc.lab", "srvd.lab"]],
    ["10.0.0.[1:4]", ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]],
    ["r[1:2]n[a:b]", ["r1na", "r1nb", "r2na", "r2nb"]],
    ["n[8:10]", ["n8", "n9", "n10"]],
    ["n[08:10]", ["n08", "n09", "n10"]],
    ["plain.lab", ["plain.lab"]],
  ])("%s expands to %j", (pattern, names) => expect(expandHostPattern(pattern)).toEqual(names));

  it("matches without expanding, keeping zero padding exact", () => {
    expect(matchesHostPattern("kvm[01:04].lab", "kvm03.lab")).toBe(true);
    expect(matchesHostPattern("kvm[01:04].lab", "kvm3.lab")).toBe(false);
    expect(matchesHostPattern("kvm[01:04].lab", "kvm05.lab")).toBe(false);
    expect(matchesHostPattern("kvm[1:10]", "kvm05")).toBe(false);
    expect(matchesHostPattern("kvm[1:10]", "kvm10")).toBe(true);
    expect(matchesHostPattern("10.0.0.[1:4]", "10.0.0.4")).toBe(true);
    expect(matchesHostPattern("10.0.0.[1:4]", "10.0.0.40")).toBe(false);
    expect(matchesHostPattern("[1:9][1:9]", "19")).toBe(true);
    expect(matchesHostPattern("srv[a:d].lab", "srve.lab")).toBe(false);
  });

  it("huge ranges match instantly and refuse to expand", () => {
    const p = HostPattern.parse("h[0:999999999].r[0:999999]");
    expect(p.count).toBe(1e9 * 1e6);
    expect(p.matches("h123456789.r42")).toBe(true);
    expect(() => p.expand()).toThrow(/expands to/);
  });

  it.each(["", "kvm[1:3", "kvm1:3]", "kvm[3:1]", "kvm[a:3]", "kvm[aa:b]", "kvm*", "kvm 1", "kvm[1-3]"])(
    "rejects %j",
    (bad) => {
      expect(() => HostPattern.parse(bad)).toThrow(HostPatternError);
    },
  );
});
