import { describe, expect, it } from "vitest";
import {
  parseCpuinfo,
  parseCpuList,
  parseHugepageDirName,
  parseIpAddrJson,
  parseMeminfo,
  parseNodeMeminfo,
  parseOsRelease,
  parseProcModules,
  parseProcMounts,
  virtualizationFlag,
} from "../../../agent/facts/index.js";
import { parseSysInt, parseSysString } from "../../../agent/facts/parse/sysfs-value.js";
import {
  AMD_CPUINFO,
  ARM_CPUINFO,
  IP_ADDR_JSON,
  MEMINFO,
  OS_RELEASE,
  PROC_MODULES,
  intelTwoSocketCpuinfo,
  nodeMeminfo,
} from "./fixtures.js";

describe("parseCpuinfo", () => {
  it("reads model, vendor, flags and topology of a 2-socket Intel host with HT", () => {
    const c = parseCpuinfo(intelTwoSocketCpuinfo());
    expect(c.model).toBe("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
    expect(c.vendor).toBe("GenuineIntel");
    expect(c.processors).toBe(8);
    expect(c.sockets).toBe(2);
    expect(c.cores).toBe(4);
    expect(virtualizationFlag(c.flags)).toBe("vmx");
  });

  it("finds svm on AMD", () => {
    const c = parseCpuinfo(AMD_CPUINFO);
    expect(c.vendor).toBe("AuthenticAMD");
    expect(c.model).toBe("AMD EPYC 7543 32-Core Processor");
    expect(virtualizationFlag(c.flags)).toBe("svm");
    expect(c.sockets).toBe(1);
    expect(c.cores).toBe(2);
  });

  it("leaves what arm64 does not say null", () => {
    const c = parseCpuinfo(ARM_CPUINFO);
    expect(c.model).toBeNull();
    expect(c.vendor).toBeNull();
    expect(c.processors).toBe(2);
    expect(c.sockets).toBeNull();
    expect(c.cores).toBeNull();
    expect(c.flags).toContain("asimd");
    expect(virtualizationFlag(c.flags)).toBeNull();
  });

  it("handles empty text", () => {
    expect(parseCpuinfo("")).toEqual({
      model: null,
      vendor: null,
      flags: [],
      processors: 0,
      sockets: null,
      cores: null,
    });
  });
});

describe("parseCpuList", () => {
  it.each([
    ["0-3,8-11", [0, 1, 2, 3, 8, 9, 10, 11]],
    ["0", [0]],
    ["0-1\n", [0, 1]],
    ["", []],
    ["\n", []],
    ["5,1-2,2", [1, 2, 5]],
    ["0-7:2/4", [0, 1, 4, 5]],
  ])("%j → %j", (text, ids) => {
    expect(parseCpuList(text)).toEqual(ids);
  });

  it.each(["a", "3-1", "1,,2", "0-"])("rejects %j", (text) => {
    expect(() => parseCpuList(text)).toThrow(SyntaxError);
  });
});

describe("parseMeminfo / parseNodeMeminfo", () => {
  it("converts kB to bytes and keeps unit-less counts", () => {
    const m = parseMeminfo(MEMINFO);
    expect(m.get("MemTotal")).toBe(65843212 * 1024);
    expect(m.get("MemFree")).toBe(12345678 * 1024);
    expect(m.get("MemAvailable")).toBe(40000000 * 1024);
    expect(m.get("HugePages_Total")).toBe(16);
    expect(m.has("Nope")).toBe(false);
  });

  it("drops the Node N prefix", () => {
    const m = parseNodeMeminfo(nodeMeminfo(1, 1000, 400));
    expect(m.get("MemTotal")).toBe(1000 * 1024);
    expect(m.get("MemFree")).toBe(400 * 1024);
    expect(m.get("HugePages_Total")).toBe(4);
  });
});

describe("parseOsRelease", () => {
  it("unquotes values and skips comments", () => {
    const r = parseOsRelease(OS_RELEASE);
    expect(r.get("NAME")).toBe("Debian GNU/Linux");
    expect(r.get("VERSION_ID")).toBe("12");
    expect(r.get("ID")).toBe("debian");
    expect(r.get("HOME_URL")).toBe("https://www.debian.org/");
  });

  it("unescapes double-quoted values", () => {
    expect(parseOsRelease('NAME="A \\"B\\" \\\\ C"').get("NAME")).toBe('A "B" \\ C');
  });
});

describe("parseProcModules", () => {
  it("lists loaded module names and skips unloading ones", () => {
    expect(parseProcModules(PROC_MODULES)).toEqual(["kvm_intel", "kvm", "irqbypass", "vhost_net"]);
    expect(parseProcModules("kvm_amd 1 0 - Unloading 0x0\nkvm 1 0 - Live 0x0\n")).toEqual(["kvm"]);
  });
});

describe("parseProcMounts", () => {
  it("decodes octal escapes and splits options", () => {
    const m = parseProcMounts("/dev/sda1 /mnt/my\\040disk ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n\n");
    expect(m).toEqual([
      { device: "/dev/sda1", mountpoint: "/mnt/my disk", type: "ext4", options: ["rw", "relatime"] },
      { device: "proc", mountpoint: "/proc", type: "proc", options: ["rw"] },
    ]);
  });
});

describe("parseIpAddrJson", () => {
  it("maps interfaces to kind and inet/inet6 addresses", () => {
    const m = parseIpAddrJson(IP_ADDR_JSON);
    expect(m.get("lo")).toEqual({
      kind: null,
      addresses: [
        { family: "inet", address: "127.0.0.1", prefix: 8 },
        { family: "inet6", address: "::1", prefix: 128 },
      ],
    });
    expect(m.get("veth1")?.kind).toBe("veth");
    expect(m.get("br0")?.addresses).toEqual([{ family: "inet", address: "10.0.0.1", prefix: 24 }]);
    expect(m.get("can0")?.addresses).toEqual([]);
    expect(m.size).toBe(4);
  });

  it("rejects non-arrays", () => {
    expect(() => parseIpAddrJson("{}")).toThrow(SyntaxError);
    expect(() => parseIpAddrJson("not json")).toThrow(SyntaxError);
  });
});

describe("sysfs values", () => {
  it("parses hugepage directory names", () => {
    expect(parseHugepageDirName("hugepages-2048kB")).toBe(2 * 1024 * 1024);
    expect(parseHugepageDirName("hugepages-1048576kB")).toBe(1024 ** 3);
    expect(parseHugepageDirName("other")).toBeNull();
  });

  it("parses integers and strings", () => {
    expect(parseSysInt("1500\n")).toBe(1500);
    expect(parseSysInt("-1\n")).toBe(-1);
    expect(parseSysInt("\n")).toBeNull();
    expect(parseSysInt("0x10")).toBeNull();
    expect(parseSysString("  Samsung SSD  \n")).toBe("Samsung SSD");
    expect(parseSysString("\n")).toBeNull();
  });
});
